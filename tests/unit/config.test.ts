import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrl } from '../../server/config/config.ts';

describe('configuration from the environment', () => {
  it('has working defaults: port 8000 on loopback, embedded services', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.dataDir).toMatch(/\.qtc$/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).databaseUrl).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, /^invalid configuration: PORT must be a TCP port number \(1-65535\) \(got "abc"\)$/],
    [{ PORT: '70000' }, /PORT must be a TCP port number/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error/],
    [{ DATABASE_URL: 'mysql://u:pw@h/db' }, /DATABASE_URL must be a URL starting with postgres:\/\/ or postgresql:\/\/ \(got "mysql:\/\/u:\*\*\*@h\/db"\)/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a URL starting with redis:\/\/ or rediss:\/\//],
    [{ PG_POOL_MAX: '0' }, /PG_POOL_MAX must be a positive integer/],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads TRUST_PROXY as none, a hop count or proxy addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY must be/);
  });

  it('reads QTC_EMBEDDED_LISTEN as extra IPv4 addresses for the embedded services', () => {
    expect(loadConfig({}).embeddedListen).toEqual([]);
    expect(loadConfig({ QTC_EMBEDDED_LISTEN: '10.77.0.1, 192.168.1.5' }).embeddedListen).toEqual(['10.77.0.1', '192.168.1.5']);
    expect(() => loadConfig({ QTC_EMBEDDED_LISTEN: 'db.example.org' })).toThrow(/QTC_EMBEDDED_LISTEN must list IPv4 addresses/);
    expect(() => loadConfig({ QTC_EMBEDDED_LISTEN: '127.0.0.1' })).toThrow(/QTC_EMBEDDED_LISTEN must list IPv4 addresses/);
  });

  it('names every wrong variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT.*; LOG_LEVEL/);
  });

  it('never prints a password', () => {
    expect(redactUrl('postgres://qtc:hunter2@localhost:5432/qtc')).toBe('postgres://qtc:***@localhost:5432/qtc');
    expect(redactUrl('not a url')).toBe('not a url');
  });
});
