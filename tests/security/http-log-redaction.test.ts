import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { serverPort } from '../support/serverPort.ts';
import { createPgPool, type PgPool } from '../../data/postgres/pool.ts';
import { ApiKeyStore } from '../../registry/keys/store.ts';
import { createTestDatabase } from '../support/databases.ts';
import { makeTempDir } from '../support/tempDir.ts';
import { publishRegistryAt } from '../integration/registry/publish.ts';

/**
 * The real server (`qtc api`, its own pino logger on stdout) is sent admin and team keys in every
 * place and spelling a client may use; its log output must contain none of them, raw or encoded,
 * not even a 12-character piece.
 */

const projectRoot = path.resolve(import.meta.dirname, '../..');
// Base64 characters that need encoding, and a "/" that splits the key into two path segments.
const ADMIN_KEY = `Adm+${randomBytes(12).toString('base64url')}/${randomBytes(12).toString('base64url')}=`;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: PgPool;
let temp: ReturnType<typeof makeTempDir>;
let server: ChildProcess;
let port: number;
let output = '';

const everyByteEncoded = (text: string, hex: 'upper' | 'lower') =>
  [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')[hex === 'upper' ? 'toUpperCase' : 'toLowerCase']()}`).join('');

/** A raw GET: the path goes out exactly as written (fetch would normalise it). */
function get(rawPath: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: rawPath, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPgPool({ url: database.url, max: 2, connectTimeoutMs: 5_000 });
  temp = makeTempDir('qtc-log-');
  const registryFile = path.join(temp.dir, 'team_registry.yaml');
  writeFileSync(registryFile, 'competition:\n  name: Log Cup\n  universe: [SPY]\nteams:\n  - id: alpha\n    name: Alpha\n    repo: https://git.example.org/alpha.git\n');
  // qtc api reads the registry from Postgres, where the control process publishes it.
  await publishRegistryAt(database.url, registryFile);
  port = await serverPort();
  server = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'api'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL: inject('redisUrl'),
      QTC_DATA_DIR: temp.dir,
      QTC_REGISTRY_FILE: registryFile,
      QTC_ADMIN_KEYS: ADMIN_KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await vi.waitFor(
    async () => {
      if (server.exitCode !== null) throw new Error(`qtc api exited: ${output}`);
      expect(await get('/health').catch(() => 0)).toBe(200);
    },
    { timeout: 60_000, interval: 200 },
  );
}, 90_000);
afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await pool.end();
  await database.drop();
  temp.remove();
});

describe('request logs of the real server', () => {
  it('never contain an admin or team key, whatever the encoding or place', async () => {
    const teamKey = (await new ApiKeyStore({ pool, graceMs: 0 }).issue('alpha', 'test')).key;
    const keyId = teamKey.slice('qtc_team_'.length, 'qtc_team_'.length + 12);
    const secret = teamKey.slice(-43);
    const admin = encodeURIComponent(ADMIN_KEY);
    const twice = encodeURIComponent(admin);
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

    const accepted = [
      await get(`/api/v1/admin/registry?%6Bey=${admin}`),
      await get(`/api/v1/admin/registry?key=${everyByteEncoded(ADMIN_KEY, 'lower')}&x=1`),
      await get('/api/v1/admin/teams', bearer(ADMIN_KEY)),
      await get(`/api/v1/team/alpha?%6b%65%79=${everyByteEncoded(teamKey, 'upper')}`),
      await get(`/line/${everyByteEncoded(teamKey, 'upper')}`),
      await get(`/${teamKey}`),
      await get('/api/v1/team/alpha/history', bearer(teamKey)),
    ];
    expect(accepted).toEqual([200, 200, 200, 200, 200, 200, 200]);
    const refused = [
      await get(`/api/v1/admin/registry?KEY=${admin}`),
      await get(`/api/v1/admin/registry?key=${twice}`),
      await get(`/api/v1/team/alpha?token=${admin}&note=${encodeURIComponent(`my key is ${teamKey}`)}`),
      await get(`/line/${ADMIN_KEY}`),
      await get(`/line/${admin}`),
      await get(`/${ADMIN_KEY}`),
      await get(`/${admin}`),
      await get(`/no/such/${teamKey}`),
      await get(`/${ADMIN_KEY}?${admin}`),
    ];
    expect(refused.every((status) => status >= 400 && status < 500)).toBe(true);

    const logged = () => output.split('\n').filter((line) => line.includes('"incoming request"') && !line.includes('"url":"/health"')).length;
    await expect.poll(logged).toBe(accepted.length + refused.length);
    const log = output;
    for (const key of [ADMIN_KEY, secret]) {
      for (const form of [key, encodeURIComponent(key), encodeURIComponent(encodeURIComponent(key)), everyByteEncoded(key, 'upper'), everyByteEncoded(key, 'lower')]) {
        expect(log.includes(form), `log contains ${form}`).toBe(false);
      }
      // Not even a piece of one (e.g. the half of a key before a "/").
      for (let start = 0; start + 12 <= key.length; start += 1)
        expect(log.includes(key.slice(start, start + 12)), `log contains a piece of a key: ${key.slice(start, start + 12)}`).toBe(false);
    }
    // The requests are there, with the key positions marked and the team key's public id kept.
    expect(log).toContain('"url":"/api/v1/admin/registry?key=[redacted]"');
    expect(log).toContain('"url":"/api/v1/admin/registry?key=[redacted]&x=1"');
    expect(log).toContain(`"url":"/line/qtc_team_${keyId}_[redacted]"`);
    expect(log).toContain(`"url":"/qtc_team_${keyId}_[redacted]"`);
    expect(log).toContain('"url":"/[redacted]/[redacted]?[redacted]="');
  });
});
