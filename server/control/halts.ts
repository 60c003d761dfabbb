/**
 * Halting and resuming the competition or one team. Postgres holds the state (table `halts`), so
 * every worker and API replica sees the same answer; each change is audited in the same
 * transaction and announced on the activity stream after it commits.
 */
import { recordAuditEvent } from '../../data/postgres/audit.ts';
import { inTransaction } from '../../data/postgres/transaction.ts';
import type pg from 'pg';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { RedisClient } from '../../data/redis/client.ts';
import { publishActivity } from '../live/activity.ts';
import type { ActivityEvent } from '../live/events.ts';

export interface Halt {
  reason: string;
  haltedAt: Date;
  haltedBy: string;
}

/** What the minute job reads at the start of every minute. */
export interface HaltState {
  /** Non-null while the whole competition is halted: no strategy runs, no order is sent. */
  competition: Halt | null;
  /** Halted teams by id: their strategies do not run. */
  teams: ReadonlyMap<string, Halt>;
}

export class HaltError extends Error {
  override name = 'HaltError';
  readonly statusCode: 404 | 409;
  readonly code: string;
  constructor(statusCode: 404 | 409, code: string, message: string) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}

/** True when the team must not trade this minute (it, or the whole competition, is halted). */
export function isHalted(state: HaltState, teamId: string): boolean {
  return state.competition !== null || state.teams.has(teamId);
}

interface HaltRow {
  subject: string;
  team_id: string | null;
  reason: string;
  halted_at: Date;
  halted_by: string;
}

const toHalt = (row: HaltRow): Halt => ({ reason: row.reason, haltedAt: row.halted_at, haltedBy: row.halted_by });

export async function readHaltState(pg: PgPool): Promise<HaltState> {
  const { rows } = await pg.query<HaltRow>('SELECT subject, team_id, reason, halted_at, halted_by FROM halts ORDER BY subject');
  let competition: Halt | null = null;
  const teams = new Map<string, Halt>();
  for (const row of rows) {
    if (row.team_id === null) competition = toHalt(row);
    else teams.set(row.team_id, toHalt(row));
  }
  return { competition, teams };
}

export interface HaltRequest {
  reason: string;
  actor: string;
}

export interface ControlDeps {
  pg: PgPool;
  redis: RedisClient;
  /** The activity stream key; default REDIS_KEYS.activityStream. */
  activityStream?: string;
  now?: () => number;
}

function audit(client: pg.PoolClient, actor: string, kind: string, subject: string | null, details: Record<string, unknown>): Promise<void> {
  return recordAuditEvent(client, { actor, kind, ...(subject === null ? {} : { subject }), details });
}

function checkReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length === 0 || trimmed.length > 500) throw new HaltError(409, 'invalid_reason', 'a halt needs a reason of 1 to 500 characters');
  return trimmed;
}

/**
 * The announcement goes out after the commit: a failed publish must not undo a halt that holds, so
 * it is reported to the caller (`announced: false`) rather than thrown.
 */
async function announce(deps: ControlDeps, event: ActivityEvent): Promise<boolean> {
  try {
    await publishActivity(deps.redis, event, deps.activityStream);
    return true;
  } catch {
    return false;
  }
}

export interface HaltChange {
  /** False when the state already was what was asked (nothing changed, nothing audited). */
  changed: boolean;
  halt: Halt | null;
  announced: boolean;
}

export async function haltCompetition(deps: ControlDeps, request: HaltRequest): Promise<HaltChange> {
  const reason = checkReason(request.reason);
  const inserted = await inTransaction(deps.pg, async (client) => {
    const { rows } = await client.query<HaltRow>(
      `INSERT INTO halts (subject, team_id, reason, halted_by) VALUES ('competition', NULL, $1, $2)
       ON CONFLICT (subject) DO NOTHING RETURNING subject, team_id, reason, halted_at, halted_by`,
      [reason, request.actor],
    );
    if (rows[0]) await audit(client, request.actor, 'competition.halted', null, { reason });
    return rows[0];
  });
  if (!inserted) return { changed: false, halt: (await readHaltState(deps.pg)).competition, announced: false };
  const now = deps.now ?? Date.now;
  return { changed: true, halt: toHalt(inserted), announced: await announce(deps, { type: 'competition_halted', at: now(), reason }) };
}

export async function resumeCompetition(deps: ControlDeps, actor: string): Promise<HaltChange> {
  const removed = await inTransaction(deps.pg, async (client) => {
    const { rows } = await client.query<HaltRow>(`DELETE FROM halts WHERE subject = 'competition' RETURNING subject, team_id, reason, halted_at, halted_by`);
    if (rows[0]) await audit(client, actor, 'competition.resumed', null, { haltedFor: rows[0].reason, haltedAt: rows[0].halted_at.toISOString() });
    return rows[0];
  });
  if (!removed) return { changed: false, halt: null, announced: false };
  const now = deps.now ?? Date.now;
  return { changed: true, halt: null, announced: await announce(deps, { type: 'competition_resumed', at: now() }) };
}

async function requireTeam(client: pg.PoolClient, teamId: string): Promise<void> {
  const { rows } = await client.query<{ removed_at: Date | null }>('SELECT removed_at FROM teams WHERE id = $1', [teamId]);
  if (!rows[0]) throw new HaltError(404, 'team_not_found', `no team "${teamId}"`);
  if (rows[0].removed_at !== null) throw new HaltError(404, 'team_not_found', `team "${teamId}" was removed from the registry`);
}

export async function haltTeam(deps: ControlDeps, teamId: string, request: HaltRequest): Promise<HaltChange> {
  const reason = checkReason(request.reason);
  const inserted = await inTransaction(deps.pg, async (client) => {
    await requireTeam(client, teamId);
    const { rows } = await client.query<HaltRow>(
      `INSERT INTO halts (subject, team_id, reason, halted_by) VALUES ('team:' || $1, $1, $2, $3)
       ON CONFLICT (subject) DO NOTHING RETURNING subject, team_id, reason, halted_at, halted_by`,
      [teamId, reason, request.actor],
    );
    if (rows[0]) await audit(client, request.actor, 'team.halted', teamId, { reason });
    return rows[0];
  });
  if (!inserted) return { changed: false, halt: (await readHaltState(deps.pg)).teams.get(teamId) ?? null, announced: false };
  const now = deps.now ?? Date.now;
  return { changed: true, halt: toHalt(inserted), announced: await announce(deps, { type: 'team_halted', at: now(), teamId, reason }) };
}

export async function resumeTeam(deps: ControlDeps, teamId: string, actor: string): Promise<HaltChange> {
  const removed = await inTransaction(deps.pg, async (client) => {
    await requireTeam(client, teamId);
    const { rows } = await client.query<HaltRow>(`DELETE FROM halts WHERE subject = 'team:' || $1 RETURNING subject, team_id, reason, halted_at, halted_by`, [teamId]);
    if (rows[0]) await audit(client, actor, 'team.resumed', teamId, { haltedFor: rows[0].reason, haltedAt: rows[0].halted_at.toISOString() });
    return rows[0];
  });
  if (!removed) return { changed: false, halt: null, announced: false };
  const now = deps.now ?? Date.now;
  return { changed: true, halt: null, announced: await announce(deps, { type: 'team_resumed', at: now(), teamId }) };
}
