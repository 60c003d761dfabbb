// Does API load delay the minute? (issue 11: with the API and the tick worker on one event loop, 200
// connections on /leaderboard took a tick from 46 ms to 866 ms.) Runs a real `qtc all` (a fresh data
// folder, embedded Postgres and Redis, TEAMS demo teams on the simulated market, one minute a second),
// reads each minute's `total` from the worker's "tick done" log lines, and compares tick p95 while idle
// (half before, half after the load) with tick p95 while autocannon keeps CONNECTIONS connections busy on GET /leaderboard (and then on a
// second route, ROUTE2, default the leaderboard history). Target: under load ≤ 1.5 × idle.
// Run with: npm run bench:tick-load   Prints one JSON object. DURATION_S (per phase, default 30), TEAMS (default 30).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { findFreePort } from '../data/embedded/freePort.ts';
import { quantile, round } from './apiProcess.ts';

const DURATION_S = Number(process.env.DURATION_S ?? 30);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 200);
const TEAMS = Number(process.env.TEAMS ?? 30);
const ROUTE2 = process.env.ROUTE2 ?? '/api/v1/leaderboard/history';
const projectRoot = path.resolve(import.meta.dirname, '..');
const STRATEGIES = ['sma-crossover', 'momentum', 'mean-reversion'];

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-bench-tick-load-'));
chmodSync(dataDir, 0o755); // PostgreSQL runs as the postgres user when we are root
const registryFile = path.join(dataDir, 'team_registry.yaml');
const starter = readFileSync(path.join(projectRoot, 'team_registry.yaml'), 'utf8');
const teams = Array.from({ length: TEAMS }, (_, index) => {
  const strategy = STRATEGIES[index % STRATEGIES.length]!;
  return [
    `  - id: bench-${String(index + 1).padStart(3, '0')}`,
    `    name: Bench ${String(index + 1)} (${strategy})`,
    '    repo: local-repos/demo-strategies.git',
    `    path: ${strategy}`,
  ].join('\n');
});
writeFileSync(registryFile, `${starter.slice(0, starter.indexOf('\nteams:'))}\nteams:\n${teams.join('\n')}\n`);

const port = await findFreePort();
const base = `http://127.0.0.1:${String(port)}`;
const env: Record<string, string | undefined> = {
  ...process.env,
  QTC_DATA_DIR: dataDir,
  QTC_REGISTRY_FILE: registryFile,
  PORT: String(port),
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  RATE_LIMIT_PUBLIC_PER_MINUTE: '100000000',
  RATE_LIMIT_TEAM_PER_MINUTE: '100000000',
};
delete env.DATABASE_URL;
delete env.REDIS_URL;
const qtc = spawn(process.execPath, ['--no-node-snapshot', path.join(projectRoot, 'bin/qtc.js'), 'all'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
const exited = new Promise<number | null>((resolve) => qtc.once('exit', (code) => resolve(code)));
// The load generator stands in for clients on other machines: on this machine it runs at CLIENT_NICE
// (default 19), so its own CPU is not charged to the server. CLIENT_NICE=0 measures it competing.
const CLIENT_NICE = Number(process.env.CLIENT_NICE ?? 19);
os.setPriority(CLIENT_NICE); // this thread only (Linux): qtc, spawned above, keeps its own priority

interface Tick {
  at: number;
  teams: number;
  totalMs: number;
}
const ticks: Tick[] = [];
readline.createInterface({ input: qtc.stdout }).on('line', (line) => {
  if (!line.includes('"tick done"')) return;
  try {
    const entry = JSON.parse(line) as { time: string; teams: number; stageMs: { total: number } };
    ticks.push({ at: Date.parse(entry.time), teams: entry.teams, totalMs: entry.stageMs.total });
  } catch {
    // not a log line of ours
  }
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(check()).catch(() => false))) {
    if (qtc.exitCode !== null) throw new Error(`qtc all exited (${String(qtc.exitCode)}) while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function summary(...windows: Array<[number, number]>) {
  const totals = ticks.filter((tick) => windows.some(([from, to]) => tick.at >= from && tick.at <= to)).map((tick) => tick.totalMs);
  return { ticks: totals.length, p50Ms: quantile(totals, 0.5), p95Ms: quantile(totals, 0.95), maxMs: Math.max(...totals) };
}

async function loaded(route: string) {
  const from = Date.now();
  const result = await autocannon({ url: `${base}${route}`, connections: CONNECTIONS, duration: DURATION_S });
  const ticksUnderLoad = summary([from, Date.now()]);
  return {
    route,
    ...ticksUnderLoad,
    requestsPerSecond: round(result.requests.average),
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

try {
  await until('GET /health 200', async () => (await fetch(`${base}/health`)).status === 200, 180_000);
  // Every team synced and trading, then a few minutes to warm up.
  await until(`ticks with ${String(TEAMS)} teams`, () => ticks.some((tick) => tick.teams >= TEAMS), 300_000);
  const warm = ticks.length + 10;
  await until('10 warm-up ticks', () => ticks.length >= warm, 120_000);

  // Idle is measured half before and half after the load, so a passing disturbance weighs less.
  const idleWindow = async (): Promise<[number, number]> => {
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, (DURATION_S * 1_000) / 2));
    return [from, Date.now()];
  };
  const idleBefore = await idleWindow();
  const leaderboard = await loaded('/leaderboard');
  const second = await loaded(ROUTE2);
  const idle = summary(idleBefore, await idleWindow());
  const worst = Math.max(leaderboard.p95Ms, second.p95Ms);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'tick total under API load on qtc all (API and worker in separate processes)',
        teams: TEAMS,
        connections: CONNECTIONS,
        phaseS: DURATION_S,
        clientNice: CLIENT_NICE,
        cores: os.availableParallelism(),
        idle,
        underLoad: [leaderboard, second],
        p95Ratio: { leaderboard: round(leaderboard.p95Ms / idle.p95Ms), [ROUTE2]: round(second.p95Ms / idle.p95Ms) },
        target: { maxRatio: 1.5, met: worst <= 1.5 * idle.p95Ms },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  qtc.kill('SIGTERM');
  const timer = setTimeout(() => qtc.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
  rmSync(dataDir, { recursive: true, force: true });
}
