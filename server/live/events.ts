/**
 * What flows to the public and the teams live: one event vocabulary for the activity stream
 * (SSE, `/activity/recent`, a team's own stream) and the leaderboard pushes (WebSocket). Money
 * leaves as dollars here: these are display events; the exact amounts stay in Postgres.
 */

/** A static-check or compile finding as events carry it (clipped; see clip.ts). */
export interface FindingSummary {
  file: string | null;
  line: number;
  column: number;
  rule: string;
  message: string;
}

export type ActivityEvent =
  | { type: 'trade'; at: number; teamId: string; symbol: string; side: 'buy' | 'sell'; quantity: number; price: number; clientOrderId: string }
  | { type: 'order_rejected'; at: number; teamId: string; symbol: string; code: string; message: string; clientOrderId?: string }
  | { type: 'strategy_error'; at: number; teamId: string; kind: string; message: string }
  | {
      type: 'version_activated';
      at: number;
      teamId: string;
      commit: string;
      /** First line of the commit message. */
      message: string;
      versionId?: number;
      /** A new commit, or an admin's rollback to an earlier version. */
      via?: 'push' | 'rollback';
    }
  | {
      type: 'version_rejected';
      at: number;
      teamId: string;
      commit: string;
      /** One line: the stage and what failed. */
      reason: string;
      versionId?: number;
      stage?: string;
      findingsCount?: number;
      /** The first findings (team stream only: the public gets the count). */
      findings?: FindingSummary[];
    }
  | { type: 'tick'; at: number; minute: number; teams: number; durationMs: number; stages: Record<string, number> }
  | { type: 'leaderboard'; at: number; minute: number; top: Array<{ rank: number; teamId: string; equity: number; totalReturn: number | null }> }
  | { type: 'team_halted'; at: number; teamId: string; reason: string }
  | { type: 'team_resumed'; at: number; teamId: string }
  | { type: 'competition_halted'; at: number; reason: string }
  | { type: 'competition_resumed'; at: number }
  /** A fresh simulated or replayed season started (server/scheduler/startGate.ts): why, and the teams without an active strategy then. */
  | { type: 'season_started'; at: number; clock: string; reason: string; waitedMs: number; late: string[] }
  /** The broker account and the sum of the team books differ (server/reconciliation): when that appears, changes, or turns into an alert. */
  | { type: 'reconciliation'; at: number; broker: string; symbols: string[]; alerts: string[] };

export type ActivityType = ActivityEvent['type'];

/** Every type, in the order people read about them. */
export const ACTIVITY_TYPES: readonly ActivityType[] = [
  'trade',
  'order_rejected',
  'strategy_error',
  'version_activated',
  'version_rejected',
  'team_halted',
  'team_resumed',
  'competition_halted',
  'competition_resumed',
  'season_started',
  'reconciliation',
  'tick',
  'leaderboard',
];

/** Book-keeping of the minute job: frequent, and kept apart so they never push the rest out of the history. */
export const HOUSEKEEPING_TYPES: ReadonlySet<ActivityType> = new Set(['tick', 'leaderboard']);

/** Competition-wide events every team's own stream carries too. */
export const COMPETITION_TYPES: readonly ActivityType[] = ['competition_halted', 'competition_resumed', 'season_started'];

/** An event as stored: the Redis Stream entry id doubles as the SSE event id (resumable with Last-Event-ID). */
export interface StoredActivity {
  id: string;
  event: ActivityEvent;
}

/**
 * What a team's own stream adds after every minute its books were marked: its equity, its
 * strategy's CPU time, error and console output of that minute. Not stored in Redis: read from
 * Postgres when the minute's `tick` event passes; its id is that tick event's id.
 */
export interface TeamMinuteEvent {
  type: 'minute';
  at: number;
  teamId: string;
  minute: number;
  equity: number | null;
  cash: number | null;
  /** Null when the strategy did not run that minute (no active version, halted). */
  cpuMs: number | null;
  error: { kind: string; message: string } | null;
  logs: Array<{ level: string; message: string }>;
}

export type TeamStreamEvent = ActivityEvent | TeamMinuteEvent;

export interface StoredTeamEvent {
  id: string;
  event: TeamStreamEvent;
}
