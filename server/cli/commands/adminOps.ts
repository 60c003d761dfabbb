// `qtc admin halt|resume|status|ticks|reconciliation|sync`, loaded only when used.
//
// halt, resume, status, ticks and reconciliation work on Postgres directly (DATABASE_URL or the embedded
// one), like `qtc admin keys`: no admin key and no running server needed. Halts are audited with the CLI
// user as actor and announced on the activity stream when Redis answers (REDIS_URL, or the embedded
// Redis a running `qtc all` keeps). sync asks the running server (its Git sync owns the mirrors) through
// the admin API, with an admin key.
import os from 'node:os';
import { ServiceStateFile } from '../../../data/embedded/serviceState.ts';
import { createLedger } from '../../ledger/ledger.ts';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { loadConfig, type Config } from '../../config/config.ts';
import { haltCompetition, HaltError, haltTeam, resumeCompetition, resumeTeam, type HaltChange } from '../../control/halts.ts';
import { listRecentTicks } from '../../control/teamQueries.ts';
import { readAdminStatus } from '../../http/routes/adminStatus.ts';
import { DEFAULT_HALT_REASON } from '../../http/routes/adminOps.ts';
import { withAdminDatabase } from './adminDatabase.ts';
import { cliAdminKey } from '../../config/processHooks.ts';

export class AdminCommandError extends Error {
  override name = 'AdminCommandError';
}

function actor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
const printJson = (value: unknown): void => print(JSON.stringify(value));
const when = (iso: string | Date | null | undefined) => (iso === null || iso === undefined ? '-' : new Date(iso).toISOString().slice(0, 16).replace('T', ' '));

/**
 * A Redis connection for the activity stream: REDIS_URL, else the embedded Redis of QTC_DATA_DIR when a
 * `qtc all` runs it. Where none answers, a client that never connects: the announcement is then
 * reported as not made (the halt itself is in Postgres and holds either way).
 */
async function openAnnouncer(config: Config): Promise<RedisClient> {
  let url = config.redisUrl;
  if (url === undefined) {
    const state = new ServiceStateFile(config.dataDir, 'redis').read();
    if (state.port !== undefined) url = `redis://:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}`;
  }
  if (url !== undefined) {
    const client = createRedis(url, { retryStrategy: () => null });
    try {
      await connectRedis(client, 2_000);
      return client;
    } catch {
      client.disconnect();
    }
  }
  return createRedis('redis://127.0.0.1:1', { retryStrategy: () => null });
}

async function withControl<T>(work: (deps: { pg: PgPool; redis: RedisClient }) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const redis = await openAnnouncer(config);
  try {
    return await withAdminDatabase(config, (pg) => work({ pg, redis }));
  } finally {
    redis.disconnect();
  }
}

function changeJson(change: HaltChange) {
  return {
    changed: change.changed,
    announced: change.announced,
    halt: change.halt && { reason: change.halt.reason, halted_at: change.halt.haltedAt.toISOString(), halted_by: change.halt.haltedBy },
  };
}

async function control(work: () => Promise<HaltChange>): Promise<HaltChange> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HaltError) throw new AdminCommandError(error.message, { cause: error });
    throw error;
  }
}

export interface HaltOptions {
  team?: string;
  reason?: string;
  json?: boolean;
}

export async function haltCommand(options: HaltOptions): Promise<void> {
  const reason = options.reason === undefined || options.reason.trim() === '' ? DEFAULT_HALT_REASON : options.reason;
  const change = await withControl((deps) =>
    control(() => (options.team === undefined ? haltCompetition(deps, { reason, actor: actor() }) : haltTeam(deps, options.team, { reason, actor: actor() }))),
  );
  if (options.json === true) return printJson(changeJson(change));
  const subject = options.team === undefined ? 'the competition' : `team ${options.team}`;
  if (!change.changed)
    return print(`${subject} was already halted (since ${when(change.halt?.haltedAt)} by ${change.halt?.haltedBy ?? '?'}: ${change.halt?.reason ?? ''}); nothing changed`);
  const effect = options.team === undefined ? 'no strategy runs and no order is sent' : 'its strategy does not run';
  print(
    `${subject} is halted from the next minute (${effect}): ${change.halt?.reason ?? reason}${change.announced ? '' : '\n(not announced on the activity stream: Redis did not answer)'}`,
  );
}

export async function resumeCommand(options: { team?: string; json?: boolean }): Promise<void> {
  const change = await withControl((deps) => control(() => (options.team === undefined ? resumeCompetition(deps, actor()) : resumeTeam(deps, options.team, actor()))));
  if (options.json === true) return printJson(changeJson(change));
  const subject = options.team === undefined ? 'the competition' : `team ${options.team}`;
  if (!change.changed) return print(`${subject} was not halted; nothing changed`);
  print(`${subject} resumes from the next minute${change.announced ? '' : '\n(not announced on the activity stream: Redis did not answer)'}`);
}

export async function statusCommand(options: { json?: boolean }): Promise<void> {
  const status = await withAdminDatabase(loadConfig(), (pg) => readAdminStatus(pg));
  if (options.json === true) return printJson(status);
  const lines: string[] = [];
  const halt = status.competition.halt;
  lines.push(halt ? `competition: HALTED since ${when(halt.halted_at)} by ${halt.halted_by}: ${halt.reason}` : 'competition: running');
  if (status.teams.length === 0) lines.push('no teams yet (add one: qtc admin teams add <id> --name <name> --repo <url>)');
  const width = Math.max(2, ...status.teams.map((team) => team.id.length));
  for (const team of status.teams) {
    const state = [team.removed_at ? 'removed' : team.enabled ? 'enabled' : 'disabled', team.halt ? 'halted' : '', team.quarantine.quarantined ? 'quarantined' : '']
      .filter(Boolean)
      .join(',');
    const active = team.active_version ? `#${team.active_version.id} ${team.active_version.commit.slice(0, 8)}` : 'no active version';
    lines.push(`${team.id.padEnd(width)}  ${state.padEnd(16)}  ${active.padEnd(18)}  keys ${team.working_keys}  last minute ${when(team.last_run_at)}`);
    if (team.halt) lines.push(`${' '.repeat(width)}  halted since ${when(team.halt.halted_at)} by ${team.halt.halted_by}: ${team.halt.reason}`);
    if (team.git_sync?.error) lines.push(`${' '.repeat(width)}  Git sync failing (${team.git_sync.error_kind ?? '?'}, ${team.git_sync.failures}x): ${team.git_sync.error}`);
    if (team.last_error) lines.push(`${' '.repeat(width)}  last error ${when(team.last_error.minute)} ${team.last_error.kind}: ${team.last_error.message.split('\n')[0] ?? ''}`);
  }
  print(lines.join('\n'));
}

const STAGE_COLUMNS = ['bars', 'fills', 'load', 'strategies', 'orders', 'submit', 'books', 'total'] as const;

export async function ticksCommand(options: { limit?: string; json?: boolean }): Promise<void> {
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) throw new AdminCommandError('--limit must be a whole number from 1 to 1000');
  const ticks = await withAdminDatabase(loadConfig(), (pg) => listRecentTicks(pg, limit));
  if (options.json === true) return printJson({ ticks });
  if (ticks.length === 0) return print('no minute has run yet');
  const header = ['minute (UTC)    ', 'status   ', 'try', 'teams', ...STAGE_COLUMNS.map((stage) => stage.padStart(10)), 'errors'];
  const lines = [header.join('  ')];
  for (const tick of ticks) {
    const ms = (stage: string) => {
      const value = tick.stage_ms[stage];
      return (typeof value === 'number' ? `${value.toFixed(value < 100 ? 1 : 0)}` : '-').padStart(10);
    };
    lines.push(
      [
        when(tick.minute),
        tick.status.padEnd(9),
        String(tick.attempts).padStart(3),
        `${tick.teams_run ?? '-'}/${tick.teams}`.padStart(5),
        ...STAGE_COLUMNS.map(ms),
        String(tick.errors).padStart(6),
      ].join('  '),
    );
  }
  lines.push("(milliseconds per stage; orders includes submit, books includes snapshot and leaderboard, total is from the minute's start to its books)");
  print(lines.join('\n'));
}

export async function reconciliationCommand(options: { audit?: boolean; json?: boolean }): Promise<void> {
  const result = await withAdminDatabase(loadConfig(), async (pg) => {
    const ledger = createLedger(pg);
    const [report, unattributed, audit] = await Promise.all([
      ledger.latestReconciliation(),
      ledger.listUnattributed(100),
      options.audit === true ? ledger.auditBooks() : Promise.resolve(undefined),
    ]);
    return { report: report && { ...report, checkedAt: new Date(report.checkedAt).toISOString() }, unattributed, ...(audit === undefined ? {} : { audit }) };
  });
  if (options.json === true) return printJson(result);
  const lines: string[] = [];
  const { report } = result;
  if (report === null) lines.push('no reconciliation has run yet');
  else {
    lines.push(
      `reconciliation ${when(report.checkedAt)} against ${report.broker}: ${report.discrepancies.length === 0 ? 'the broker and the books agree' : `${report.discrepancies.length} discrepancies`}`,
    );
    for (const d of report.discrepancies) lines.push(`  ${d.symbol}  ${d.kind}  broker ${d.brokerQuantity}  books ${d.booksQuantity}`);
  }
  lines.push(`${result.unattributed.length} broker event(s) attributed to no team${result.unattributed.length === 100 ? ' (the latest 100)' : ''}`);
  for (const event of result.unattributed)
    lines.push(`  ${when(new Date(event.receivedAt))}  ${event.kind}  ${event.clientOrderId ?? event.brokerOrderId ?? event.executionId ?? '-'}: ${event.reason}`);
  if (result.audit !== undefined) {
    lines.push(result.audit.length === 0 ? 'every book matches its fills' : `${result.audit.length} book field(s) differ from the fills:`);
    for (const finding of result.audit)
      lines.push(`  ${finding.teamId}${finding.symbol ? ` ${finding.symbol}` : ''} ${finding.field}: stored ${finding.stored}, from fills ${finding.expected}`);
  }
  print(lines.join('\n'));
}

interface SyncAnswer {
  results: Array<{ team_id: string; outcome: string; sha?: string | null; version_id?: number; findings?: unknown[]; error?: string | null; kind?: string }>;
}

/** The running server's address: `--server`, else http://HOST:PORT (a wildcard HOST is reached on the loopback). */
function serverAddress(config: Config, server: string | undefined): string {
  if (server !== undefined) return server.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

export async function syncCommand(team: string | undefined, options: { server?: string; json?: boolean }): Promise<void> {
  const config = loadConfig();
  const key = cliAdminKey() ?? config.adminKeys[0];
  if (key === undefined || key === '') {
    throw new AdminCommandError(
      "qtc admin sync asks the running server's Git sync, which needs an admin key: set QTC_ADMIN_KEY (or QTC_ADMIN_KEYS) to one of the server's QTC_ADMIN_KEYS",
    );
  }
  const address = serverAddress(config, options.server);
  let response: Response;
  try {
    response = await fetch(`${address}/api/v1/admin/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(team === undefined ? {} : { team }),
    });
  } catch (error) {
    throw new AdminCommandError(
      `no server answers at ${address} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}); start it (npm start) or name it with --server`,
      { cause: error },
    );
  }
  const body = (await response.json().catch(() => null)) as (SyncAnswer & { message?: string }) | null;
  if (!response.ok) throw new AdminCommandError(`${address} answered ${response.status}: ${body?.message ?? response.statusText}`);
  const results = body?.results ?? [];
  // A rejected commit is the team's verdict; a sync that could not run is the command's failure.
  if (results.some((result) => result.outcome === 'failed')) process.exitCode = 1;
  if (options.json === true) return printJson({ results });
  if (results.length === 0) return print('no enabled team to sync');
  const lines = results.map((result) => {
    const sha = (result.sha ?? '').slice(0, 12);
    switch (result.outcome) {
      case 'unchanged':
        return `${result.team_id}: up to date (${sha})`;
      case 'activated':
        return `${result.team_id}: ${sha} passed every stage and is now active (#${result.version_id})`;
      case 'rejected':
        return `${result.team_id}: ${sha} was rejected (#${result.version_id}): ${result.findings?.length ? `${result.findings.length} finding(s); ` : ''}${result.error ?? ''} (qtc versions list ${result.team_id})`;
      default:
        return `${result.team_id}: sync failed (${result.kind ?? result.outcome}): ${result.error ?? ''}`;
    }
  });
  print(lines.join('\n'));
}
