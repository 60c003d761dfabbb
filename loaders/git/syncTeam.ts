import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { Registry, TeamEntry } from '../../registry/schema.ts';
import { evaluateStrategy, type StageTimings } from '../activation/evaluateStrategy.ts';
import type { SmokeOptions } from '../activation/smokeRun.ts';
import { hasVersion, recordVersion, type VersionSource, type VersionSummary } from '../activation/versionStore.ts';
import { ExportRejection, exportFolder, readCommitInfo } from './exportTree.ts';
import { fetchHead, prepareMirror, remoteHead, type MirrorOptions } from './mirror.ts';
import { classifyRepo, localPathIsAllowed, normaliseSubPath, validateBranch, type RepoSource } from './repoSource.ts';
import type { GitLimits } from './limits.ts';
import { GitSyncError, teamVisibleText, type SyncErrorKind } from './syncError.ts';
import { readSyncState, recordSyncFailure, recordSyncSuccess } from './syncState.ts';

/** One team, one pass: look at the branch head, and evaluate and record it when it is new. */

export { DEFAULT_GIT_LIMITS, type GitLimits } from './limits.ts';

export interface TeamSyncContext {
  pg: PgPool;
  logger: Logger;
  /** Mirrors live in `<reposDir>/<team>`. */
  reposDir: string;
  /** Scratch exports of commits, removed after evaluation. */
  worktreesDir: string;
  /** Folder relative local repository paths are resolved against. */
  localPathBase: string;
  allowedLocalRoots: readonly string[];
  limits: GitLimits;
  smoke: Pick<SmokeOptions, 'minutes' | 'pool'>;
  signal: AbortSignal;
  baseEnv?: NodeJS.ProcessEnv;
}

export type TeamSyncResult =
  | { teamId: string; outcome: 'unchanged'; sha: string }
  | { teamId: string; outcome: 'activated' | 'rejected'; sha: string; version: VersionSummary }
  | { teamId: string; outcome: 'failed'; kind: SyncErrorKind; error: string; sha: string | null; /** The same error as last time. */ repeated: boolean };

export interface ValidSource {
  source: RepoSource;
  branch: string;
  folder: string;
}

async function realRoots(roots: readonly string[]): Promise<string[]> {
  return Promise.all(roots.map((root) => realpath(root).catch(() => path.resolve(root))));
}

/**
 * The checks every sync makes before git runs: the repository (transport, host, local path under an
 * allowed root, symbolic links included), the branch name and the strategy folder. Throws GitSyncError
 * ('refused', or 'unreachable' for a local repository that does not exist). `qtc admin teams add` uses it too.
 */
export async function validateTeamSource(
  team: Pick<TeamEntry, 'repo' | 'branch' | 'path'>,
  context: Pick<TeamSyncContext, 'localPathBase' | 'allowedLocalRoots'>,
): Promise<ValidSource> {
  const classified = classifyRepo(team.repo, { base: context.localPathBase, allowedRoots: context.allowedLocalRoots });
  if (!classified.ok) throw new GitSyncError('refused', classified.reason);
  const branchProblem = validateBranch(team.branch);
  if (branchProblem !== null) throw new GitSyncError('refused', branchProblem);
  const folder = normaliseSubPath(team.path);
  if (!folder.ok) throw new GitSyncError('refused', folder.reason);
  const { source } = classified;
  if (source.protocol === 'file') {
    // The lexical check passed; a symbolic link inside the root may still point outside it.
    const real = await realpath(source.location).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new GitSyncError('unreachable', `local repository ${source.location} does not exist`, { cause: error });
      throw error;
    });
    if (!localPathIsAllowed(real, await realRoots(context.allowedLocalRoots))) {
      throw new GitSyncError('refused', `local repository ${source.location} resolves to ${real}, outside the allowed roots`);
    }
  }
  return { source, branch: team.branch, folder: folder.path };
}

function versionSource(team: TeamEntry, valid: ValidSource): VersionSource {
  return { repo: valid.source.display, branch: valid.branch, path: valid.folder, entry: team.entry ?? null };
}

async function timed<T>(timings: StageTimings, stage: keyof StageTimings, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[stage] = Math.round(performance.now() - started);
  }
}

async function evaluateHead(
  team: TeamEntry,
  competition: Registry['competition'],
  valid: ValidSource,
  mirrorDir: string,
  sha: string,
  timings: StageTimings,
  context: TeamSyncContext,
): Promise<TeamSyncResult> {
  const gitOptions = { timeoutMs: context.limits.timeoutMs, signal: context.signal, baseEnv: context.baseEnv };
  const commit = await readCommitInfo(mirrorDir, sha, gitOptions);
  const source = versionSource(team, valid);
  await mkdir(context.worktreesDir, { recursive: true });
  const exportDir = await mkdtemp(path.join(context.worktreesDir, `${team.id}-${sha.slice(0, 12)}-`));
  const started = performance.now();
  try {
    try {
      const { limits } = context;
      const exportLimits = {
        maxFiles: limits.maxFolderFiles,
        maxBytes: limits.maxFolderBytes,
        maxEntries: limits.maxFolderEntries,
        maxDepth: limits.maxFolderDepth,
        maxFileBytes: limits.maxFileBytes,
      };
      await timed(timings, 'export', () => exportFolder(mirrorDir, sha, valid.folder, path.join(exportDir, 'strategy'), exportLimits, gitOptions));
    } catch (error) {
      if (!(error instanceof ExportRejection)) throw error;
      timings.total = Math.round(performance.now() - started + (timings.fetch ?? 0));
      const recorded = await recordVersion(context.pg, { teamId: team.id, commit, source, timings, outcome: { ok: false, stage: 'export', findings: [], error: error.message } });
      return { teamId: team.id, outcome: 'rejected', sha, version: recorded.version };
    }
    const evaluation = await evaluateStrategy(path.join(exportDir, 'strategy'), {
      teamId: team.id,
      ...(team.entry === undefined ? {} : { entry: team.entry }),
      params: team.params,
      universe: competition.universe,
      startingCash: competition.startingCash,
      cpuMs: team.limits?.cpuMs ?? competition.limits.cpuMs,
      memoryMb: team.limits?.memoryMb ?? competition.limits.memoryMb,
      ...context.smoke,
    });
    Object.assign(timings, evaluation.timings);
    timings.total = Math.round(performance.now() - started + (timings.fetch ?? 0));
    const outcome = evaluation.ok
      ? { ok: true as const, compiled: evaluation.compiled }
      : // A strategy's own error text may hold a NUL, which Postgres text refuses.
        { ok: false as const, stage: evaluation.stage, findings: evaluation.findings, error: evaluation.error === null ? null : teamVisibleText(evaluation.error, 10_000) };
    const recorded = await recordVersion(context.pg, { teamId: team.id, commit, source, timings, outcome });
    if (recorded.duplicate) return { teamId: team.id, outcome: 'unchanged', sha };
    return { teamId: team.id, outcome: recorded.activated ? 'activated' : 'rejected', sha, version: recorded.version };
  } finally {
    await rm(exportDir, { recursive: true, force: true });
  }
}

/**
 * Syncs one team: never throws for a problem of the repository (it is recorded in
 * team_git_sync and returned); throws only when the database itself fails.
 */
export async function syncTeam(team: TeamEntry, competition: Registry['competition'], context: TeamSyncContext): Promise<TeamSyncResult> {
  const mirrorDir = path.join(context.reposDir, team.id);
  const mirrorOptions: MirrorOptions = { timeoutMs: context.limits.timeoutMs, maxRepoBytes: context.limits.maxRepoBytes, signal: context.signal, baseEnv: context.baseEnv };
  let headSha: string | null = null;
  try {
    const valid = await validateTeamSource(team, context);
    await prepareMirror(mirrorDir, valid.source.protocol, mirrorOptions);
    headSha = await remoteHead(mirrorDir, valid.source, valid.branch, mirrorOptions);
    const folder = versionSource(team, valid);
    if (await hasVersion(context.pg, team.id, headSha, folder)) {
      await recordSyncSuccess(context.pg, team.id, headSha);
      return { teamId: team.id, outcome: 'unchanged', sha: headSha };
    }
    const state = await readSyncState(context.pg, team.id);
    if (state?.errorKind === 'too-large' && state.headSha === headSha && state.error !== null) {
      // The same oversized head again: refused without downloading it again.
      await recordSyncFailure(context.pg, team.id, 'too-large', state.error, headSha);
      return { teamId: team.id, outcome: 'failed', kind: 'too-large', error: state.error, sha: headSha, repeated: true };
    }
    const timings: StageTimings = {};
    const sha = await timed(timings, 'fetch', () => fetchHead(mirrorDir, valid.source, valid.branch, mirrorOptions));
    headSha = sha;
    const result = (await hasVersion(context.pg, team.id, sha, folder))
      ? ({ teamId: team.id, outcome: 'unchanged', sha } as const)
      : await evaluateHead(team, competition, valid, mirrorDir, sha, timings, context);
    await recordSyncSuccess(context.pg, team.id, sha);
    return result;
  } catch (error) {
    const failure = error instanceof GitSyncError ? error : new GitSyncError('failed', `sync failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    if (!(error instanceof GitSyncError)) context.logger.error({ err: error, team: team.id }, 'git sync failed unexpectedly');
    const repeated = failure.kind === 'aborted' || !(await recordSyncFailure(context.pg, team.id, failure.kind, failure.message, headSha)).changed;
    return { teamId: team.id, outcome: 'failed', kind: failure.kind, error: failure.message, sha: headSha, repeated };
  }
}
