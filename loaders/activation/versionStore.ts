import { inTransaction } from '../../data/postgres/transaction.ts';
import type pg from 'pg';
import type { PgPool } from '../../data/postgres/pool.ts';
import { storableJson } from '../../data/postgres/storableJson.ts';
import { safeText } from '../../sandbox/safeText.ts';
import type { CompiledStrategy } from '../index.ts';
import type { Stage, StageTimings, VersionFinding } from './evaluateStrategy.ts';
import { notifyVersionEvent } from './versionEvents.ts';

/** Characters kept of a rejected version's error (a smoke-run error with its stack fits). */
const MAX_VERSION_ERROR_CHARS = 10_000;

/**
 * Strategy versions in Postgres. Activation is one transaction: the new row, the old active row
 * superseded, the team's pointer moved and the audit event, all or nothing, under a per-team
 * advisory lock so a webhook and a poll (or two servers) never interleave.
 */

export type VersionStatus = 'active' | 'rejected' | 'superseded';

export interface VersionSource {
  /** Credentials redacted. */
  repo: string;
  branch: string;
  path: string;
  entry: string | null;
}

export interface CommitMeta {
  sha: string;
  authorName: string;
  authorEmail: string;
  committedAt: Date;
  message: string;
}

export type VersionOutcome = { ok: true; compiled: CompiledStrategy } | { ok: false; stage: Stage; findings: VersionFinding[]; error: string | null };

export interface NewVersion {
  teamId: string;
  commit: CommitMeta;
  source: VersionSource;
  timings: StageTimings;
  outcome: VersionOutcome;
}

export interface VersionSummary {
  id: number;
  teamId: string;
  commitSha: string;
  authorName: string;
  authorEmail: string;
  message: string;
  committedAt: Date;
  source: VersionSource;
  status: VersionStatus;
  rejectedAtStage: Stage | null;
  findings: VersionFinding[];
  error: string | null;
  timings: StageTimings;
  evaluatedAt: Date;
}

export interface ActiveVersion extends VersionSummary {
  strategy: CompiledStrategy;
  activatedAt: Date;
  activatedBy: string;
  activationReason: 'push' | 'rollback';
}

export interface RecordedVersion {
  version: VersionSummary;
  /** True when this call made it the team's active version. */
  activated: boolean;
  /** The commit had been evaluated before; nothing changed. */
  duplicate: boolean;
}

/** An admin asked for something the history does not allow; the message says what. */
export class VersionError extends Error {
  override name = 'VersionError';
}

/** A commit is evaluated once per strategy folder and entry ($1 team, $2 sha, $3 path, $4 entry or ''). */
const SAME_COMMIT_AND_FOLDER = `v.team_id = $1 AND v.commit_sha = $2 AND v.source ->> 'path' = $3 AND coalesce(v.source ->> 'entry', '') = $4`;

const SUMMARY_COLUMNS = `v.id, v.team_id, v.commit_sha, v.author_name, v.author_email, v.message, v.committed_at, v.source,
  v.status, v.rejected_at_stage, v.findings, v.error, v.timings, v.evaluated_at`;

interface SummaryRow {
  id: string;
  team_id: string;
  commit_sha: string;
  author_name: string;
  author_email: string;
  message: string;
  committed_at: Date;
  source: VersionSource;
  status: VersionStatus;
  rejected_at_stage: Stage | null;
  findings: VersionFinding[];
  error: string | null;
  timings: StageTimings;
  evaluated_at: Date;
}

interface ActiveRow extends SummaryRow {
  bundle_code: string;
  bundle_source_map: string;
  bundle_filename: string;
  activated_at: Date;
  activated_by: string;
  reason: 'push' | 'rollback';
}

function toSummary(row: SummaryRow): VersionSummary {
  return {
    id: Number(row.id),
    teamId: row.team_id,
    commitSha: row.commit_sha,
    authorName: row.author_name,
    authorEmail: row.author_email,
    message: row.message,
    committedAt: row.committed_at,
    source: row.source,
    status: row.status,
    rejectedAtStage: row.rejected_at_stage,
    findings: row.findings,
    error: row.error,
    timings: row.timings,
    evaluatedAt: row.evaluated_at,
  };
}

function toActive(row: ActiveRow): ActiveVersion {
  return {
    ...toSummary(row),
    strategy: { code: row.bundle_code, sourceMap: row.bundle_source_map, filename: row.bundle_filename },
    activatedAt: row.activated_at,
    activatedBy: row.activated_by,
    activationReason: row.reason,
  };
}

async function lockTeam(client: pg.PoolClient, teamId: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('qtc.strategy-versions'), hashtext($1))`, [teamId]);
}

/** Postgres channel told (on commit) whenever a team's active version changes: `{teamId, versionId, reason}`. */
export const ACTIVATION_CHANNEL = 'qtc_strategy_activation';

export interface ActivationNotice {
  teamId: string;
  versionId: number;
  reason: 'push' | 'rollback';
}

async function notifyActivation(client: pg.PoolClient, notice: ActivationNotice): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [ACTIVATION_CHANNEL, JSON.stringify(notice)]);
}

/**
 * Calls `onChange` whenever any process activates or rolls back a version (delivered after the
 * commit). Holds one connection of the pool until closed.
 */
export async function watchActivations(pool: PgPool, onChange: (notice: ActivationNotice) => void): Promise<{ close: () => Promise<void> }> {
  const client = await pool.connect();
  const listener = (message: pg.Notification) => {
    if (message.channel !== ACTIVATION_CHANNEL || message.payload === undefined) return;
    try {
      onChange(JSON.parse(message.payload) as ActivationNotice);
    } catch {
      // A malformed payload (someone else's NOTIFY) is ignored.
    }
  };
  client.on('notification', listener);
  try {
    await client.query(`LISTEN ${ACTIVATION_CHANNEL}`);
  } catch (error) {
    client.off('notification', listener);
    client.release();
    throw error;
  }
  return {
    close: async () => {
      client.off('notification', listener);
      try {
        await client.query(`UNLISTEN ${ACTIVATION_CHANNEL}`);
      } finally {
        client.release();
      }
    },
  };
}

async function audit(client: pg.PoolClient, actor: string, kind: string, subject: string, details: Record<string, unknown>): Promise<void> {
  await client.query('INSERT INTO audit_events (actor, kind, subject, details) VALUES ($1, $2, $3, $4)', [actor, kind, subject, JSON.stringify(details)]);
}

/** The team's active version becomes superseded; returns its id (null when there was none). */
async function supersedeActive(client: pg.PoolClient, teamId: string): Promise<number | null> {
  const { rows } = await client.query<{ id: string }>(`UPDATE strategy_versions SET status = 'superseded' WHERE team_id = $1 AND status = 'active' RETURNING id`, [teamId]);
  return rows[0] === undefined ? null : Number(rows[0].id);
}

async function pointTo(client: pg.PoolClient, teamId: string, versionId: number, actor: string, reason: 'push' | 'rollback'): Promise<void> {
  await client.query(
    `INSERT INTO team_active_versions (team_id, version_id, activated_at, activated_by, reason) VALUES ($1, $2, now(), $3, $4)
     ON CONFLICT (team_id) DO UPDATE SET version_id = EXCLUDED.version_id, activated_at = EXCLUDED.activated_at,
       activated_by = EXCLUDED.activated_by, reason = EXCLUDED.reason`,
    [teamId, versionId, actor, reason],
  );
}

/**
 * Records an evaluated commit. A passing one becomes the team's active version atomically; a
 * rejected one is stored with its findings and changes nothing else. A commit evaluated before
 * with the same folder and entry is left as it was (`duplicate`).
 */
export async function recordVersion(pool: PgPool, input: NewVersion, actor = 'git-sync'): Promise<RecordedVersion> {
  return inTransaction(pool, async (client) => {
    await lockTeam(client, input.teamId);
    const existing = await client.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM strategy_versions v WHERE ${SAME_COMMIT_AND_FOLDER}`, [
      input.teamId,
      input.commit.sha,
      input.source.path,
      input.source.entry ?? '',
    ]);
    if (existing.rows[0] !== undefined) return { version: toSummary(existing.rows[0]), activated: false, duplicate: true };

    const { outcome } = input;
    // The old active row stops being active before the new one is inserted (one active per team).
    const previousVersionId = outcome.ok ? await supersedeActive(client, input.teamId) : null;
    const inserted = await client.query<SummaryRow>(
      `INSERT INTO strategy_versions AS v (team_id, commit_sha, author_name, author_email, message, committed_at, source, status,
         rejected_at_stage, findings, error, timings, bundle_code, bundle_source_map, bundle_filename)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       RETURNING ${SUMMARY_COLUMNS}`,
      [
        input.teamId,
        input.commit.sha,
        // Everything below comes from the team's repository: made storable and bounded, so a NUL in
        // a commit message or an error can never make a version unstorable (and re-evaluated at every poll).
        safeText(input.commit.authorName, 200),
        safeText(input.commit.authorEmail, 200),
        safeText(input.commit.message, 4000),
        input.commit.committedAt,
        storableJson(input.source),
        outcome.ok ? 'active' : 'rejected',
        outcome.ok ? null : outcome.stage,
        storableJson(outcome.ok ? [] : outcome.findings),
        outcome.ok || outcome.error === null ? null : safeText(outcome.error, MAX_VERSION_ERROR_CHARS),
        JSON.stringify(input.timings),
        outcome.ok ? outcome.compiled.code : null,
        outcome.ok ? outcome.compiled.sourceMap : null,
        outcome.ok ? outcome.compiled.filename : null,
      ],
    );
    const version = toSummary(inserted.rows[0]!);
    const details = { versionId: version.id, sha: version.commitSha, timings: input.timings };
    if (outcome.ok) {
      await pointTo(client, input.teamId, version.id, actor, 'push');
      await notifyActivation(client, { teamId: input.teamId, versionId: version.id, reason: 'push' });
      await audit(client, actor, 'strategy.activated', input.teamId, { ...details, previousVersionId });
    } else {
      await audit(client, actor, 'strategy.rejected', input.teamId, {
        ...details,
        stage: outcome.stage,
        findings: outcome.findings.length,
        error: outcome.error === null ? null : safeText(outcome.error, 500),
      });
    }
    await notifyVersionEvent(client, { teamId: input.teamId, versionId: version.id, status: outcome.ok ? 'active' : 'rejected', via: 'push' });
    return { version, activated: outcome.ok, duplicate: false };
  });
}

export type RollbackTarget = { versionId: number } | { sha: string };

/**
 * Makes an earlier version that passed every stage the team's active version again. It stays
 * active until the team pushes a new commit (a head that was already evaluated is not re-applied).
 */
export async function rollbackToVersion(pool: PgPool, teamId: string, target: RollbackTarget, actor: string): Promise<VersionSummary> {
  return inTransaction(pool, async (client) => {
    await lockTeam(client, teamId);
    let rows: SummaryRow[];
    if ('versionId' in target) {
      rows = (await client.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM strategy_versions v WHERE v.team_id = $1 AND v.id = $2`, [teamId, target.versionId])).rows;
    } else {
      const sha = target.sha.toLowerCase();
      if (!/^[0-9a-f]{4,64}$/.test(sha)) throw new VersionError(`"${target.sha}" is not a commit SHA (4 to 64 hexadecimal digits)`);
      rows = (await client.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM strategy_versions v WHERE v.team_id = $1 AND v.commit_sha LIKE $2 || '%'`, [teamId, sha])).rows;
      if (rows.length > 1) throw new VersionError(`"${target.sha}" matches ${rows.length} versions of team ${teamId}; give more digits, or the version's #id`);
    }
    const found = rows[0];
    const label = 'versionId' in target ? `version ${target.versionId}` : `commit ${target.sha}`;
    if (found === undefined) throw new VersionError(`team ${teamId} has no ${label}`);
    if (found.status === 'rejected') throw new VersionError(`${label} of team ${teamId} was rejected at the ${found.rejected_at_stage ?? 'unknown'} stage and cannot be activated`);
    if (found.status === 'active') throw new VersionError(`${label} is already team ${teamId}'s active version`);

    const versionId = Number(found.id);
    const previous = await supersedeActive(client, teamId);
    const updated = await client.query<SummaryRow>(`UPDATE strategy_versions v SET status = 'active' WHERE v.id = $1 RETURNING ${SUMMARY_COLUMNS}`, [versionId]);
    await pointTo(client, teamId, versionId, actor, 'rollback');
    await notifyActivation(client, { teamId, versionId, reason: 'rollback' });
    await notifyVersionEvent(client, { teamId, versionId, status: 'active', via: 'rollback' });
    await audit(client, actor, 'strategy.rollback', teamId, { versionId, sha: found.commit_sha, previousVersionId: previous });
    return toSummary(updated.rows[0]!);
  });
}

/** A team's versions, newest first, without bundles: what the team and admins look at. */
export async function listVersions(pool: PgPool, teamId: string, limit = 50): Promise<VersionSummary[]> {
  const { rows } = await pool.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM strategy_versions v WHERE v.team_id = $1 ORDER BY v.id DESC LIMIT $2`, [teamId, limit]);
  return rows.map(toSummary);
}

/** One version of a team, without its bundle; null when the team has no such version. */
export async function getVersion(pool: PgPool, teamId: string, versionId: number): Promise<VersionSummary | null> {
  const { rows } = await pool.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM strategy_versions v WHERE v.team_id = $1 AND v.id = $2`, [teamId, versionId]);
  return rows[0] === undefined ? null : toSummary(rows[0]);
}

const ACTIVE_QUERY = `SELECT ${SUMMARY_COLUMNS}, v.bundle_code, v.bundle_source_map, v.bundle_filename, a.activated_at, a.activated_by, a.reason
  FROM team_active_versions a JOIN strategy_versions v ON v.id = a.version_id`;

/** The version a team runs, with its bundle; null when it has none yet. */
export async function getActiveVersion(pool: PgPool, teamId: string): Promise<ActiveVersion | null> {
  const { rows } = await pool.query<ActiveRow>(`${ACTIVE_QUERY} WHERE a.team_id = $1`, [teamId]);
  return rows[0] === undefined ? null : toActive(rows[0]);
}

/** Every team's active version: what the runtime loads at start. */
export async function loadActiveVersions(pool: PgPool): Promise<ActiveVersion[]> {
  const { rows } = await pool.query<ActiveRow>(`${ACTIVE_QUERY} ORDER BY a.team_id`);
  return rows.map(toActive);
}

/** Whether this commit was already evaluated with this strategy folder and entry. */
export async function hasVersion(pool: PgPool, teamId: string, sha: string, folder: Pick<VersionSource, 'path' | 'entry'>): Promise<boolean> {
  const { rowCount } = await pool.query(`SELECT 1 FROM strategy_versions v WHERE ${SAME_COMMIT_AND_FOLDER}`, [teamId, sha, folder.path, folder.entry ?? '']);
  return (rowCount ?? 0) > 0;
}
