import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minuteStamp } from '../../../server/tick/minuteId.ts';
import { makeTempDir } from '../../support/tempDir.ts';

/**
 * Several machines, made of Linux network namespaces joined by veth pairs to a bridge on a private
 * subnet that only this test creates: Postgres and Redis in one namespace, the control role in
 * another, two `qtc worker`s and two `qtc api` replicas in their own. None of them has a registry
 * file but the control. A worker's namespace is cut off and torn down in the middle of a minute; the
 * minute completes on the other worker with no strategy run twice and no duplicate order, and both
 * replicas serve the same leaderboard. The test talks to the processes only through `ip netns exec`
 * (the control process runs its queries), so all traffic stays inside the namespaces it made.
 */

const projectRoot = path.resolve(import.meta.dirname, '../../..');
const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (ip netns); run the tests as root to include it';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return 'the ip command (iproute2) with netns support is missing';
  if (spawnSync(path.join(POSTGRES_BIN, 'initdb'), ['--version']).status !== 0) return `PostgreSQL 15 server binaries not found in ${POSTGRES_BIN}`;
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'redis-server is missing';
  if (spawnSync('id', ['postgres']).status !== 0) return 'no postgres system user (PostgreSQL refuses to run as root)';
  return undefined;
}
const SKIP = skipReason();
if (SKIP) console.warn(`multihost test skipped: ${SKIP}`);

const OPEN = Date.UTC(2025, 6, 8, 13, 30);
const minuteAt = (index: number) => OPEN + index * 60_000;

const id = randomBytes(2).toString('hex');
const net = `10.213.${String(randomInt(10, 250))}`;
const ns = (name: string) => `qtcmh-${id}-${name}`;
const HOSTS = { db: 1, ctl: 2, w1: 3, w2: 4, a1: 5, a2: 6 } as const;
type Host = keyof typeof HOSTS;
const ip = (host: Host) => `${net}.${String(HOSTS[host])}`;
const made: string[] = [];
const ipCmd = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

interface Proc {
  child: ChildProcess;
  output: () => string;
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
  exit: Promise<number | null>;
}

function inNs(host: Host, command: string[], env: Record<string, string> = {}): Proc {
  const child = spawn('ip', ['netns', 'exec', ns(host), ...command], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const waiters = new Set<{ text: string; resolve: () => void }>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters) {
      if (!output.includes(waiter.text)) continue;
      waiters.delete(waiter);
      waiter.resolve();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exit,
    waitFor: (text, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (output.includes(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`${host}: no ${JSON.stringify(text)} within ${String(timeoutMs)} ms; output:\n${output.slice(-4000)}`)), timeoutMs);
        waiters.add({ text, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
}

async function stop(proc: Proc | undefined): Promise<void> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  await proc.exit;
  clearTimeout(timer);
}

const temp = makeTempDir('qtc-multihost-');
const PASSWORD = randomBytes(12).toString('hex');
const DATABASE_URL = `postgres://qtc:${PASSWORD}@${ip('db')}:5432/postgres`;
const REDIS_URL = `redis://:${PASSWORD}@${ip('db')}:6379`;
const PREFIX = `qtcmh${id}`;
const common = { DATABASE_URL, REDIS_URL, QTC_REDIS_PREFIX: PREFIX, QTC_REGISTRY_FILE: '/nonexistent/team_registry.yaml', LOG_LEVEL: 'info', LOG_FORMAT: 'json' };
const procs: Proc[] = [];
let control: Proc;
let pending: Array<(value: Record<string, unknown>) => void> = [];

function ask(command: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    pending.push(resolve);
    control.child.stdin!.write(`${JSON.stringify(command)}\n`);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const tickDone = (minute: number) =>
  until(`minute ${new Date(minute).toISOString()}`, async () => {
    const answer = (await ask({ cmd: 'tick', minute })) as { tick: { status: string; attempts: number } | null; workers: string[] };
    return answer.tick && answer.tick.status !== 'running' ? answer : undefined;
  });

function startWorker(host: 'w1' | 'w2', env: Record<string, string> = {}): Proc {
  // TMPDIR: w1 is killed with its sandbox children (a machine going away), which leaves their
  // progress folders behind; they go with this test's folder.
  const proc = inNs(host, [process.execPath, '--no-node-snapshot', 'bin/qtc.js', 'worker'], { ...common, TICK_LOCK_MS: '1500', SANDBOX_PROCESSES: '1', TMPDIR: temp.dir, ...env });
  procs.push(proc);
  return proc;
}

describe.skipIf(SKIP !== undefined)('several machines (network namespaces)', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    // The namespaces, a bridge in the database namespace, a veth pair from each other namespace to it.
    for (const host of Object.keys(HOSTS) as Host[]) {
      ipCmd('netns', 'add', ns(host));
      made.push(ns(host));
      ipCmd('-n', ns(host), 'link', 'set', 'lo', 'up');
    }
    ipCmd('-n', ns('db'), 'link', 'add', 'br0', 'type', 'bridge');
    ipCmd('-n', ns('db'), 'addr', 'add', `${ip('db')}/24`, 'dev', 'br0');
    ipCmd('-n', ns('db'), 'link', 'set', 'br0', 'up');
    for (const host of Object.keys(HOSTS).filter((h) => h !== 'db') as Host[]) {
      const inside = `m${id}${String(HOSTS[host])}a`;
      const outside = `m${id}${String(HOSTS[host])}b`;
      ipCmd('link', 'add', inside, 'netns', ns(host), 'type', 'veth', 'peer', 'name', outside, 'netns', ns('db'));
      ipCmd('-n', ns('db'), 'link', 'set', outside, 'master', 'br0', 'up');
      ipCmd('-n', ns(host), 'addr', 'add', `${ip(host)}/24`, 'dev', inside);
      ipCmd('-n', ns(host), 'link', 'set', inside, 'up');
    }

    // Postgres (password authentication from the test subnet only) and Redis, in the database namespace.
    chmodSync(temp.dir, 0o755);
    const pgdata = path.join(temp.dir, 'pgdata');
    mkdirSync(pgdata, { mode: 0o700 });
    execFileSync('chown', ['postgres', pgdata]);
    const pwfile = path.join(temp.dir, 'pw');
    writeFileSync(pwfile, PASSWORD, { mode: 0o644 });
    execFileSync(
      'runuser',
      ['-u', 'postgres', '--', path.join(POSTGRES_BIN, 'initdb'), '-D', pgdata, '-U', 'qtc', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256'],
      { stdio: 'pipe' },
    );
    appendFileSync(path.join(pgdata, 'pg_hba.conf'), `host all all ${net}.0/24 scram-sha-256\n`);
    procs.push(
      inNs('db', [
        'runuser',
        '-u',
        'postgres',
        '--',
        path.join(POSTGRES_BIN, 'postgres'),
        '-D',
        pgdata,
        '-c',
        `listen_addresses=${ip('db')}`,
        '-p',
        '5432',
        '-c',
        `unix_socket_directories=${pgdata}`,
      ]),
    );
    procs.push(inNs('db', ['redis-server', '--bind', ip('db'), '--port', '6379', '--requirepass', PASSWORD, '--save', '', '--appendonly', 'no']));
    await until(
      'postgres',
      () => Promise.resolve(spawnSync('ip', ['netns', 'exec', ns('db'), 'pg_isready', '-h', ip('db'), '-p', '5432']).status === 0 ? true : undefined),
      30_000,
    );

    // The control role, the only one with a registry file.
    const registryFile = path.join(temp.dir, 'team_registry.yaml');
    writeFileSync(
      registryFile,
      [
        'competition:',
        '  name: Multi-host',
        '  universe: [SPY, QQQ]',
        '  marketData: { source: simulator, seed: 7 }',
        '  risk: { maxPositionPct: 0.9, maxOrderNotional: 50000, maxOrdersPerMinute: 10 }',
        'teams:',
        ...['alpha', 'beta', 'gamma'].flatMap((team) => [`  - id: ${team}`, `    name: Team ${team}`, `    repo: https://example.org/${team}.git`]),
        '',
      ].join('\n'),
    );
    control = inNs('ctl', [process.execPath, '--no-node-snapshot', 'tests/integration/multihost/control.ts'], { ...common, QTC_REGISTRY_FILE: registryFile });
    procs.push(control);
    let buffered = '';
    control.child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.startsWith('@@ ')) {
          const value = JSON.parse(line.slice(3)) as Record<string, unknown>;
          if (value.ready === true) continue;
          const [resolve, ...rest] = pending;
          pending = rest;
          resolve?.(value);
        }
      }
    });
    await control.waitFor('@@ {"ready":true', 60_000);
  }, 180_000);

  afterAll(async () => {
    for (const proc of [...procs].reverse()) await stop(proc);
    for (const name of made) spawnSync('ip', ['netns', 'del', name]);
    temp.remove();
  });

  it('a worker torn down mid-minute: the minute completes on the other worker; both replicas stream the next minute and serve the same leaderboard', async () => {
    const m1 = minuteAt(1);
    const w1 = startWorker('w1', { QTC_TICK_PAUSE_AT: `after-intents@${minuteStamp(m1)}` });
    let w2 = startWorker('w2');
    for (const host of ['a1', 'a2'] as const) {
      procs.push(inNs(host, [process.execPath, '--no-node-snapshot', 'bin/qtc.js', 'api'], { ...common, HOST: ip(host), PORT: '8000' }));
    }
    await Promise.all([w1.waitFor('tick worker ready'), w2.waitFor('tick worker ready')]);
    for (const host of ['a1', 'a2'] as const) {
      await until(`${host} /health`, async () => ((await ask({ cmd: 'get', url: `http://${ip(host)}:8000/health` })).status === 200 ? true : undefined));
    }

    // Minute 0 on both workers (two shards).
    await ask({ cmd: 'enqueue', minute: minuteAt(0), shards: 2 });
    expect((await tickDone(minuteAt(0))).tick).toMatchObject({ status: 'completed' });

    // Minute 1 reaches w1 alone (w2 removed with SIGTERM), which stops in the middle of it.
    await stop(w2);
    await ask({ cmd: 'enqueue', minute: m1, shards: 1 });
    await w1.waitFor(`qtc-tick-paused after-intents ${minuteStamp(m1)}`);
    w2 = startWorker('w2');
    await w2.waitFor('tick worker ready');

    // w1's machine goes away: its link first (cut off mid-minute), then its processes and namespace.
    ipCmd('-n', ns('w1'), 'link', 'del', `m${id}${String(HOSTS.w1)}a`);
    const pids = execFileSync('ip', ['netns', 'pids', ns('w1')])
      .toString()
      .split(/\s+/)
      .filter(Boolean);
    for (const pid of pids) spawnSync('kill', ['-9', pid]);
    await w1.exit;
    ipCmd('netns', 'del', ns('w1'));
    made.splice(made.indexOf(ns('w1')), 1);

    const done = (await tickDone(m1)) as { tick: { status: string; attempts: number }; workers: string[] };
    expect(done.tick.status).toBe('completed');
    expect(done.tick.attempts).toBeGreaterThan(1);
    expect(done.workers).toEqual([expect.stringMatching(new RegExp(`^${hostname()}:${String(w2.child.pid)}:`))]);

    // Each team's strategy ran once per minute (its memory counts 2 calls) and sent one order per minute.
    const books = (await ask({ cmd: 'books' })) as {
      orders: Array<{ team_id: string; orders: number }>;
      fills: Array<{ team_id: string; fills: number }>;
      memory: Array<{ team_id: string; calls: number }>;
    };
    expect(books.memory).toEqual(['alpha', 'beta', 'gamma'].map((team) => ({ team_id: team, calls: 2 })));
    expect(books.orders).toEqual(['alpha', 'beta', 'gamma'].map((team) => ({ team_id: team, orders: 2 })));
    // Minute 0's buy filled in minute 1, once (no fill lost or applied twice); minute 1's orders wait for minute 2.
    expect(books.fills).toEqual(['alpha', 'beta', 'gamma'].map((team) => ({ team_id: team, fills: 1 })));

    // Both replicas stream the next minute's events (published once, through Redis).
    for (const host of ['a1', 'a2'] as const) expect((await ask({ cmd: 'sse-open', key: host, url: `http://${ip(host)}:8000/activity/stream` })).status).toBe(200);
    await ask({ cmd: 'enqueue', minute: minuteAt(2), shards: 1 });
    expect((await tickDone(minuteAt(2))).tick).toMatchObject({ status: 'completed' });
    for (const host of ['a1', 'a2'] as const) {
      await until(
        `${host}'s SSE tick event`,
        async () => {
          const text = (await ask({ cmd: 'sse-read', key: host })).text as string;
          return text.includes('tick') && text.includes(String(minuteAt(2))) ? true : undefined;
        },
        15_000,
      );
    }

    // Both replicas serve the same leaderboard.
    const boards = await Promise.all((['a1', 'a2'] as const).map((host) => ask({ cmd: 'get', url: `http://${ip(host)}:8000/leaderboard` })));
    for (const board of boards) expect(board.status).toBe(200);
    const [first, second] = boards.map((board) => JSON.parse(board.body as string) as unknown);
    expect(second).toEqual(first);
    expect(JSON.stringify(first)).toContain('alpha');
  });
});
