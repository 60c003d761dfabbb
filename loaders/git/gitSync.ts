import path from 'node:path';
import type { Logger } from 'pino';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { Registry } from '../../registry/schema.ts';
import type { SmokeOptions } from '../activation/smokeRun.ts';
import type { VersionSummary } from '../activation/versionStore.ts';
import { PerKeyCoalescer, Semaphore } from './coalesce.ts';
import { DEFAULT_GIT_LIMITS, syncTeam, type GitLimits, type TeamSyncContext, type TeamSyncResult } from './syncTeam.ts';

/**
 * The sync loop: every `pollIntervalMs` each enabled team's branch is looked at, and a webhook
 * can ask for one team at once. One sync per team at a time (a request during a sync queues
 * one more), `maxConcurrentTeams` teams at a time.
 */

export interface GitSyncDeps {
  pg: PgPool;
  logger: Logger;
  /** QTC_DATA_DIR: mirrors go to `<dataDir>/repos/<team>`, scratch exports to `<dataDir>/worktrees`. */
  dataDir: string;
  /** The current registry; read at every sync, so live reloads apply to the next one. */
  registry: () => Registry;
  /** GIT_POLL_INTERVAL_MS; 0 turns polling off (webhooks and syncNow only). */
  pollIntervalMs: number;
  /** GIT_ALLOWED_LOCAL_PATHS: absolute folders local repositories may live under. */
  allowedLocalRoots: readonly string[];
  /** Folder relative local repository paths are resolved against: the registry file's folder. */
  localPathBase: string;
  limits?: Partial<GitLimits>;
  /** Sample minutes and sandbox options of the smoke run. */
  smoke?: Pick<SmokeOptions, 'minutes' | 'pool'>;
  /** Default 1: a smoke run forks a sandbox process. */
  maxConcurrentTeams?: number;
  /** Default true: the first round starts at once rather than after one interval. */
  syncOnStart?: boolean;
  /** Called after a new version became active (load it into the live sandbox here). */
  onActivated?: (teamId: string, version: VersionSummary) => void | Promise<void>;
  /** Environment git children take PATH, HOME, ssh agent and proxies from; default process.env. */
  baseEnv?: NodeJS.ProcessEnv;
}

export interface GitSync {
  /** Syncs one team (any team of the registry, even disabled) or every enabled team; resolves when done. */
  syncNow(teamId?: string): Promise<TeamSyncResult[]>;
  /** Starts a sync of an enabled team without waiting (the webhook); false when there is no such team. */
  requestSync(teamId: string): boolean;
  /** Stops polling, kills running git processes and waits for running syncs. */
  stop(): Promise<void>;
}

export class UnknownTeamError extends Error {
  override name = 'UnknownTeamError';
}

export function startGitSync(deps: GitSyncDeps): GitSync {
  const log = deps.logger.child({ component: 'git-sync' });
  const controller = new AbortController();
  const coalescer = new PerKeyCoalescer<TeamSyncResult>();
  const semaphore = new Semaphore(deps.maxConcurrentTeams ?? 1);
  const context: TeamSyncContext = {
    pg: deps.pg,
    logger: log,
    reposDir: path.join(deps.dataDir, 'repos'),
    worktreesDir: path.join(deps.dataDir, 'worktrees'),
    localPathBase: deps.localPathBase,
    allowedLocalRoots: deps.allowedLocalRoots,
    limits: { ...DEFAULT_GIT_LIMITS, ...deps.limits },
    smoke: deps.smoke ?? {},
    signal: controller.signal,
    ...(deps.baseEnv === undefined ? {} : { baseEnv: deps.baseEnv }),
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<unknown> = Promise.resolve();

  const report = async (result: TeamSyncResult): Promise<void> => {
    if (result.outcome === 'activated') {
      log.info({ team: result.teamId, sha: result.sha, version: result.version.id, timings: result.version.timings }, 'new strategy version activated');
      try {
        await deps.onActivated?.(result.teamId, result.version);
      } catch (error) {
        log.error({ err: error, team: result.teamId }, 'onActivated failed');
      }
    } else if (result.outcome === 'rejected') {
      log.warn(
        { team: result.teamId, sha: result.sha, stage: result.version.rejectedAtStage, findings: result.version.findings.length, error: result.version.error },
        'strategy version rejected',
      );
    } else if (result.outcome === 'failed') {
      log[result.repeated ? 'debug' : 'warn']({ team: result.teamId, kind: result.kind, error: result.error }, 'git sync failed; the active version keeps running');
    }
  };

  const runTeam = (teamId: string): Promise<TeamSyncResult> =>
    coalescer.run(teamId, () =>
      semaphore.use(async () => {
        const registry = deps.registry();
        const team = registry.teams.find((candidate) => candidate.id === teamId);
        if (team === undefined) return { teamId, outcome: 'failed', kind: 'refused', error: `team ${teamId} is not in the registry`, sha: null, repeated: false };
        if (stopped) return { teamId, outcome: 'failed', kind: 'aborted', error: 'git sync is stopping', sha: null, repeated: true };
        const result = await syncTeam(team, registry.competition, context);
        await report(result);
        return result;
      }),
    );

  const syncAll = async (): Promise<TeamSyncResult[]> => {
    const teams = deps.registry().teams.filter((team) => team.enabled);
    return Promise.all(teams.map((team) => runTeam(team.id)));
  };

  const schedule = () => {
    if (stopped || deps.pollIntervalMs <= 0) return;
    timer = setTimeout(() => {
      round = syncAll()
        .catch((error: unknown) => log.error({ err: error }, 'git sync round failed'))
        .finally(schedule);
    }, deps.pollIntervalMs);
  };

  if (deps.syncOnStart ?? true)
    round = syncAll()
      .catch((error: unknown) => log.error({ err: error }, 'git sync round failed'))
      .finally(schedule);
  else schedule();

  return {
    async syncNow(teamId) {
      if (teamId === undefined) return syncAll();
      if (!deps.registry().teams.some((team) => team.id === teamId)) throw new UnknownTeamError(`no team "${teamId}" in the registry`);
      return [await runTeam(teamId)];
    },
    requestSync(teamId) {
      if (stopped || !deps.registry().teams.some((team) => team.id === teamId && team.enabled)) return false;
      runTeam(teamId).catch((error: unknown) => log.error({ err: error, team: teamId }, 'git sync failed'));
      return true;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
      await round.catch(() => undefined);
      await coalescer.idle();
    },
  };
}
