/**
 * `qtc replay`: reads the recorded season from Postgres (one READ ONLY snapshot), replays it through the
 * minute engine with its stored bundles in a sandbox pool, and compares. Exit 0: every team identical;
 * 1: a divergence; 2: a usage problem (no database, an unknown season).
 */
import { createPgPool } from '../../data/postgres/pool.ts';
import { SandboxPool } from '../../sandbox/index.ts';
import { redactUrl, type Config } from '../config/config.ts';
import { compareSeason } from './compare.ts';
import { ReplayHost } from './host.ts';
import { readRecordedSeason } from './recorded.ts';
import { replayText, type ReplayReport } from './report.ts';
import { replaySeason } from './run.ts';

export interface ReplayCommandOptions {
  databaseUrl?: string;
  /** `all` (default), or the season's first minute (ISO): one database holds one season, its books carried from its first minute. */
  season?: string;
  json?: boolean;
}

export class ReplayUsageError extends Error {}

const iso = (minute: number): string => new Date(minute).toISOString().replace('.000Z', 'Z');

/** Replays and compares; returns the report (the caller prints it and sets the exit code). */
export async function replayDatabase(url: string, options: { season?: string; defaultSlippageBps: number; connectTimeoutMs: number }): Promise<ReplayReport> {
  const pg = createPgPool({ url, max: 2, connectTimeoutMs: options.connectTimeoutMs });
  try {
    const season = await readRecordedSeason(pg).catch((error: unknown) => {
      throw new Error(`cannot read the recorded season from ${redactUrl(url)}: ${(error as Error).message || String(error)}`, { cause: error });
    });
    const first = season.ticks[0]?.minute;
    const wanted = options.season ?? 'all';
    if (wanted !== 'all' && (first === undefined || Date.parse(wanted) !== first)) {
      throw new ReplayUsageError(
        `no season ${wanted}: this database holds one season${first === undefined ? ' with no minute recorded yet' : `, starting ${iso(first)}`} (use --season all)`,
      );
    }
    const sandbox = new SandboxPool({ mode: 'processes', processes: 1, randomSecret: season.randomSecret });
    await sandbox.start();
    const started = performance.now();
    try {
      const replay = await replaySeason(season, { host: new ReplayHost(sandbox, season.bundles), defaultSlippageBps: options.defaultSlippageBps });
      const teams = compareSeason(season, replay);
      const durationMs = Math.round(performance.now() - started);
      const last = season.ticks.at(-1)?.minute;
      return {
        season: { from: first === undefined ? null : iso(first), to: last === undefined ? null : iso(last) },
        minutes: replay.minutes,
        durationMs,
        minutesPerSecond: durationMs === 0 ? replay.minutes : (replay.minutes * 1000) / durationMs,
        identical: teams.every((team) => team.identical),
        teams,
        assumedMinutes: new Set(replay.assumptions.map((entry) => entry.minute)).size,
        alteredBars: replay.badBars.map(iso),
        brokerMinutes: replay.brokerMinutes.length,
      };
    } finally {
      await sandbox.close();
    }
  } finally {
    await pg.end();
  }
}

export async function runReplayCommand(options: ReplayCommandOptions, config: Config): Promise<number> {
  const url = options.databaseUrl ?? config.databaseUrl;
  if (url === undefined) throw new ReplayUsageError('qtc replay reads a recorded season from Postgres: give --database-url or set DATABASE_URL');
  const report = await replayDatabase(url, {
    ...(options.season === undefined ? {} : { season: options.season }),
    defaultSlippageBps: config.tick.simSlippageBps,
    connectTimeoutMs: config.serviceConnectTimeoutMs,
  });
  process.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : replayText(report));
  return report.identical ? 0 : 1;
}
