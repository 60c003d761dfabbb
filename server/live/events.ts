/**
 * What flows to the public and the teams live: one event vocabulary for the activity stream
 * (SSE, `/activity/recent`) and the leaderboard pushes (WebSocket). Money leaves as dollars here:
 * these are display events; the exact amounts stay in Postgres.
 */
export type ActivityEvent =
  | { type: 'trade'; at: number; teamId: string; symbol: string; side: 'buy' | 'sell'; quantity: number; price: number; clientOrderId: string }
  | { type: 'order_rejected'; at: number; teamId: string; symbol: string; code: string; message: string; clientOrderId?: string }
  | { type: 'strategy_error'; at: number; teamId: string; kind: string; message: string }
  | { type: 'version_activated'; at: number; teamId: string; commit: string; message: string }
  | { type: 'version_rejected'; at: number; teamId: string; commit: string; reason: string }
  | { type: 'tick'; at: number; minute: number; teams: number; durationMs: number; stages: Record<string, number> }
  | { type: 'leaderboard'; at: number; minute: number; top: Array<{ rank: number; teamId: string; equity: number; totalReturn: number | null }> }
  | { type: 'team_halted'; at: number; teamId: string; reason: string }
  | { type: 'team_resumed'; at: number; teamId: string }
  | { type: 'competition_halted'; at: number; reason: string }
  | { type: 'competition_resumed'; at: number };

export type ActivityType = ActivityEvent['type'];

/** An event as stored: the Redis Stream entry id doubles as the SSE event id (resumable with Last-Event-ID). */
export interface StoredActivity {
  id: string;
  event: ActivityEvent;
}
