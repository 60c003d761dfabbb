import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPort } from '../../support/serverPort.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { publishRegistryAt } from '../registry/publish.ts';

/**
 * Remote services over TLS: a Postgres that accepts only TLS connections (hostssl) and a Redis that
 * listens only on its TLS port, both with a certificate from a test CA. `qtc api` reaches them with
 * `DATABASE_URL=…?sslmode=verify-full&sslrootcert=ca.pem` and `REDIS_URL=rediss://…` (the CA trusted
 * through NODE_EXTRA_CA_CERTS) and answers /health 200; a plain connection is refused.
 */

const projectRoot = path.resolve(import.meta.dirname, '../../..');
const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;

function skipReason(): string | undefined {
  if (spawnSync(path.join(POSTGRES_BIN, 'initdb'), ['--version']).status !== 0) return `PostgreSQL 15 server binaries not found in ${POSTGRES_BIN}`;
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'redis-server is missing';
  if (spawnSync('openssl', ['version']).status !== 0) return 'openssl is missing';
  if (asRoot && spawnSync('id', ['postgres']).status !== 0) return 'running as root without a postgres system user (PostgreSQL refuses root)';
  return undefined;
}
const SKIP = skipReason();
if (SKIP) console.warn(`TLS test skipped: ${SKIP}`);

const temp = makeTempDir('qtc-tls-');
const PASSWORD = randomBytes(12).toString('hex');
const ADMIN_KEY = 'tls-test-admin-key-0123456789abcdefghij';
const procs: ChildProcess[] = [];
let pgPort = 0;
let redisPort = 0;
const ca = path.join(temp.dir, 'ca.pem');

function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  procs.push(child);
  return { child, output: () => output };
}

const databaseUrl = (query: string) => `postgres://qtc:${PASSWORD}@127.0.0.1:${String(pgPort)}/postgres?${query}`;

describe.skipIf(SKIP !== undefined)('Postgres and Redis over TLS', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    chmodSync(temp.dir, 0o755);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: temp.dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=qtc test CA');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(path.join(temp.dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    for (const file of ['server.key', 'server.pem', 'ca.pem']) chmodSync(path.join(temp.dir, file), file.endsWith('.key') ? 0o600 : 0o644);

    // Postgres: TLS connections only.
    const pgdata = path.join(temp.dir, 'pgdata');
    mkdirSync(pgdata, { mode: 0o700 });
    const pwfile = path.join(temp.dir, 'pw');
    writeFileSync(pwfile, PASSWORD, { mode: 0o644 });
    const asPostgres = (bin: string, args: string[]) => (asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]) as [string, string[]];
    if (asRoot) execFileSync('chown', ['postgres', pgdata, path.join(temp.dir, 'server.key'), path.join(temp.dir, 'server.pem')]);
    execFileSync(...asPostgres(path.join(POSTGRES_BIN, 'initdb'), ['-D', pgdata, '-U', 'qtc', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256']), {
      stdio: 'pipe',
    });
    writeFileSync(path.join(pgdata, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n');
    pgPort = await serverPort();
    const [pgBin, pgArgs] = asPostgres(path.join(POSTGRES_BIN, 'postgres'), [
      '-D',
      pgdata,
      '-p',
      String(pgPort),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${pgdata}`,
      '-c',
      'ssl=on',
      '-c',
      `ssl_cert_file=${path.join(temp.dir, 'server.pem')}`,
      '-c',
      `ssl_key_file=${path.join(temp.dir, 'server.key')}`,
    ]);
    start(pgBin, pgArgs);

    // Redis: the TLS port only.
    redisPort = await serverPort();
    start('redis-server', [
      '--port',
      '0',
      '--tls-port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--requirepass',
      PASSWORD,
      '--save',
      '',
      '--appendonly',
      'no',
      '--tls-cert-file',
      path.join(temp.dir, 'server.pem'),
      '--tls-key-file',
      path.join(temp.dir, 'server.key'),
      '--tls-ca-cert-file',
      ca,
      '--tls-auth-clients',
      'no',
    ]);

    for (const deadline = Date.now() + 30_000; ;) {
      if (spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', String(pgPort)]).status === 0) break;
      if (Date.now() > deadline) throw new Error('postgres did not start');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 90_000);

  afterAll(async () => {
    for (const child of procs.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    temp.remove();
  });

  it('Postgres refuses a plain connection and takes sslmode=verify-full with the CA', async () => {
    const plain = new pg.Client({ connectionString: databaseUrl('sslmode=disable') });
    await expect(plain.connect()).rejects.toThrow(/no pg_hba.conf entry|SSL off/);
    const secure = new pg.Client({ connectionString: databaseUrl(`sslmode=verify-full&sslrootcert=${ca}`) });
    await secure.connect();
    try {
      const result = await secure.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(result.rows[0]?.ssl).toBe(true);
    } finally {
      await secure.end();
    }
  });

  it('qtc api serves on Postgres with sslmode and Redis with rediss://', async () => {
    const registryFile = path.join(temp.dir, 'team_registry.yaml');
    writeFileSync(registryFile, 'competition:\n  name: TLS Cup\n  universe: [SPY]\nteams:\n  - id: alpha\n    name: Alpha\n    repo: https://git.example.org/alpha.git\n');
    const url = databaseUrl(`sslmode=verify-full&sslrootcert=${ca}`);
    await publishRegistryAt(url, registryFile);
    const port = await serverPort();
    const api = start(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'api'], {
      ...process.env,
      DATABASE_URL: url,
      REDIS_URL: `rediss://:${PASSWORD}@127.0.0.1:${String(redisPort)}`,
      NODE_EXTRA_CA_CERTS: ca,
      QTC_REGISTRY_FILE: '/nonexistent/team_registry.yaml',
      QTC_ADMIN_KEYS: ADMIN_KEY,
      QTC_DATA_DIR: temp.dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
    });
    await expect
      .poll(
        async () => {
          if (api.child.exitCode !== null) throw new Error(`qtc api exited: ${api.output()}`);
          return (await fetch(`http://127.0.0.1:${String(port)}/health`).catch(() => undefined))?.status;
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(200);
    expect((await fetch(`http://127.0.0.1:${String(port)}/leaderboard`)).status).toBe(200);
  });
});
