/**
 * Turns every recorded version outcome (loaders/activation/versionEvents.ts: a Postgres notice sent
 * on commit, by whichever process recorded it) into a `version_activated` or `version_rejected`
 * activity event: on the public ticker, and with its first findings on the team's own stream.
 *
 * Every API replica listens; a Redis SET NX on the notice's token lets exactly one of them publish.
 */
import type { PgPool } from '../../data/postgres/pool.ts';
import type { RedisClient } from '../../data/redis/client.ts';
import { getVersion, type VersionSummary } from '../../loaders/activation/versionStore.ts';
import { watchVersionEvents, type VersionEventNotice } from '../../loaders/activation/versionEvents.ts';
import { publishActivity } from './activity.ts';
import { CLIP, clipFinding, firstLine } from './clip.ts';
import type { ActivityEvent } from './events.ts';

export interface VersionAnnouncerDeps {
  pg: PgPool;
  redis: RedisClient;
  /** The activity stream key. */
  stream: string;
  onError?: (error: unknown) => void;
  now?: () => number;
}

/** How long a notice's token is remembered (replicas racing for it answer within seconds). */
const ANNOUNCED_TTL_SECONDS = 86_400;

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The activity event of a recorded version. */
export function versionEvent(version: VersionSummary, via: 'push' | 'rollback', at: number): ActivityEvent {
  if (version.status !== 'rejected') {
    return { type: 'version_activated', at, teamId: version.teamId, commit: version.commitSha, message: firstLine(version.message), versionId: version.id, via };
  }
  const stage = version.rejectedAtStage ?? 'evaluation';
  const findings = version.findings;
  // Findings (file names, lines, what the code does) stay in the team's view; the reason is a summary.
  const reason =
    findings.length > 0
      ? `rejected at the ${stage} stage: ${plural(findings.length, 'finding')}`
      : `rejected at the ${stage} stage: ${firstLine(version.error ?? 'no detail', CLIP.text)}`;
  return {
    type: 'version_rejected',
    at,
    teamId: version.teamId,
    commit: version.commitSha,
    reason,
    versionId: version.id,
    stage,
    findingsCount: findings.length,
    findings: findings
      .slice(0, CLIP.findings)
      .map((finding) => clipFinding({ file: finding.file, line: finding.line, column: finding.column, rule: finding.rule, message: finding.message })),
  };
}

export async function startVersionAnnouncer(deps: VersionAnnouncerDeps): Promise<{ close: () => Promise<void> }> {
  const now = deps.now ?? Date.now;
  // One notice at a time, in the order Postgres delivered them (commit order).
  let chain: Promise<void> = Promise.resolve();

  const announce = async (notice: VersionEventNotice): Promise<void> => {
    const claimed = await deps.redis.set(`${deps.stream}:announced:${notice.token}:${notice.versionId}`, '1', 'EX', ANNOUNCED_TTL_SECONDS, 'NX');
    if (claimed !== 'OK') return;
    const version = await getVersion(deps.pg, notice.teamId, notice.versionId);
    if (version === null) return;
    // A rollback's notice describes an activation even though the row may have moved on since.
    const status = notice.status === 'active' ? { ...version, status: 'active' as const } : version;
    await publishActivity(deps.redis, versionEvent(status, notice.via, now()), deps.stream);
  };

  const onNotice = (notice: VersionEventNotice) => {
    chain = chain.then(() => announce(notice)).catch((error: unknown) => deps.onError?.(error));
  };
  let watcher: { close: () => Promise<void> } | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let attempt = 0;
  // When Postgres drops the listening connection (a restart), listen again with back-off; notices
  // sent meanwhile are missed (the versions themselves are in Postgres and on the dashboard).
  const listen = async (): Promise<void> => {
    watcher = await watchVersionEvents(deps.pg, onNotice, (error) => {
      deps.onError?.(error);
      watcher = null;
      schedule();
    });
    attempt = 0;
  };
  const schedule = () => {
    if (stopped) return;
    attempt += 1;
    retry = setTimeout(
      () => {
        listen().catch((error: unknown) => {
          deps.onError?.(error);
          schedule();
        });
      },
      Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)),
    );
    retry.unref();
  };
  await listen();
  return {
    close: async () => {
      stopped = true;
      clearTimeout(retry);
      await watcher?.close();
      await chain;
    },
  };
}
