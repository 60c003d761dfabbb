import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config/config.ts';
import { makeTempDir } from '../support/tempDir.ts';

const temp = makeTempDir('qtc-secret-files-');
afterAll(() => temp.remove());

function secret(name: string, text: string): string {
  const file = path.join(temp.dir, name);
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return file;
}

describe('secrets from files (NAME_FILE)', () => {
  it('reads DATABASE_URL, REDIS_URL, the Alpaca keys and the admin keys from files, dropping one trailing newline', () => {
    const admin = 'a'.repeat(40);
    const config = loadConfig({
      DATABASE_URL_FILE: secret('db', 'postgres://qtc:pw@db.internal:5432/qtc\n'),
      REDIS_URL_FILE: secret('redis', 'redis://:pw@redis.internal:6379\n'),
      ALPACA_KEY_ID_FILE: secret('key-id', 'PKTESTKEYID\n'),
      ALPACA_SECRET_KEY_FILE: secret('secret', 'alpaca-secret-value'),
      QTC_ADMIN_KEYS_FILE: secret('admin', `${admin}\n`),
    });
    expect(config.databaseUrl).toBe('postgres://qtc:pw@db.internal:5432/qtc');
    expect(config.redisUrl).toBe('redis://:pw@redis.internal:6379');
    expect(config.alpaca).toMatchObject({ keyId: 'PKTESTKEYID', secretKey: 'alpaca-secret-value' });
    expect([...config.adminKeys]).toEqual([admin]);
  });

  it('refuses NAME and NAME_FILE together', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://localhost:6379', REDIS_URL_FILE: secret('r2', 'redis://other:6379') })).toThrow(
      new ConfigError('invalid configuration: set REDIS_URL or REDIS_URL_FILE, not both'),
    );
  });

  it('names the variable and the file when it cannot be read or is empty, never the value', () => {
    const missing = path.join(temp.dir, 'nope');
    expect(() => loadConfig({ ALPACA_SECRET_KEY_FILE: missing })).toThrow(`invalid configuration: ALPACA_SECRET_KEY_FILE: cannot read ${missing} (ENOENT)`);
    const empty = secret('empty', '\n');
    expect(() => loadConfig({ QTC_ADMIN_KEYS_FILE: empty })).toThrow(`invalid configuration: QTC_ADMIN_KEYS_FILE: ${empty} is empty`);
    const short = secret('short', 'tooshort\n');
    const error = (() => {
      try {
        loadConfig({ QTC_ADMIN_KEYS_FILE: short });
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/QTC_ADMIN_KEYS must be/);
    expect(error?.message).not.toContain('tooshort');
  });

  it('a value read from a file is validated like the variable', () => {
    expect(() => loadConfig({ DATABASE_URL_FILE: secret('bad-db', 'mysql://x\n') })).toThrow(/DATABASE_URL/);
  });
});
