/**
 * Activity events as clients read them: a one-line message for people (the original API's
 * `/activity/recent` entries were `{timestamp, message}`), and Server-Sent Events frames.
 */
import type { ActivityEvent, StoredActivity, StoredTeamEvent, TeamStreamEvent } from './events.ts';

const usd = (value: number): string => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 })}`;
const iso = (epochMs: number): string => new Date(epochMs).toISOString();
const minuteLabel = (epochMs: number): string => iso(epochMs).slice(0, 16).replace('T', ' ');

/** One line a person can read, e.g. "alpha bought 10 SPY at $501.25". */
export function describeActivity(event: TeamStreamEvent): string {
  switch (event.type) {
    case 'trade':
      return `${event.teamId} ${event.side === 'buy' ? 'bought' : 'sold'} ${event.quantity} ${event.symbol} at ${usd(event.price)}`;
    case 'order_rejected':
      return `${event.teamId}: order for ${event.symbol} rejected (${event.code}): ${event.message}`;
    case 'strategy_error':
      return `${event.teamId}: strategy ${event.kind} error: ${event.message}`;
    case 'version_activated':
      return `${event.teamId}: version ${event.commit.slice(0, 12)} ${event.via === 'rollback' ? 'activated again (rollback)' : 'activated'} (${event.message})`;
    case 'version_rejected':
      return `${event.teamId}: version ${event.commit.slice(0, 12)} ${event.reason.startsWith('rejected') ? event.reason : `rejected: ${event.reason}`}`;
    case 'tick':
      return `minute ${minuteLabel(event.minute)} UTC done: ${event.teams} teams in ${Math.round(event.durationMs)} ms`;
    case 'leaderboard': {
      const leader = event.top[0];
      return leader
        ? `leaderboard updated for ${minuteLabel(event.minute)} UTC: ${leader.teamId} leads with ${usd(leader.equity)}`
        : `leaderboard updated for ${minuteLabel(event.minute)} UTC`;
    }
    case 'team_halted':
      return `${event.teamId} halted: ${event.reason}`;
    case 'team_resumed':
      return `${event.teamId} resumed`;
    case 'competition_halted':
      return `competition halted: ${event.reason}`;
    case 'competition_resumed':
      return 'competition resumed';
    case 'season_started':
      return event.late.length === 0
        ? 'season started: every team has an active strategy'
        : `season started ${event.reason === 'timeout' ? `after waiting ${Math.round(event.waitedMs / 1000)} s ` : ''}without an active strategy for ${event.late.join(', ')}`;
    case 'reconciliation':
      return `reconciliation: the ${event.broker} account differs from the team books on ${event.symbols.join(', ')}${event.alerts.length > 0 ? ` (still after several passes: ${event.alerts.join(', ')})` : ''}`;
    case 'minute': {
      const equity = event.equity === null ? '' : `, equity ${usd(event.equity)}`;
      const run = event.cpuMs === null ? 'strategy did not run' : `strategy ran in ${event.cpuMs.toFixed(1)} ms CPU`;
      return `${event.teamId}: minute ${minuteLabel(event.minute)} UTC: ${run}${equity}${event.error ? ` (${event.error.kind} error)` : ''}`;
    }
  }
}

/** The JSON of one activity entry: the original's `{timestamp, message}` plus the stream id and the event itself. */
export interface ActivityView {
  id: string;
  timestamp: string;
  type: TeamStreamEvent['type'];
  message: string;
  event: TeamStreamEvent;
}

/**
 * What everybody may see of an event: a rejected version's findings (file names, lines, what the
 * code does) stay with its team; the public gets how many there were.
 */
export function publicEvent(event: ActivityEvent): ActivityEvent {
  if (event.type !== 'version_rejected' || event.findings === undefined) return event;
  const { findings: _findings, ...rest } = event;
  return rest;
}

export function activityView(entry: StoredActivity): ActivityView {
  const event = publicEvent(entry.event);
  return { id: entry.id, timestamp: iso(event.at), type: event.type, message: describeActivity(event), event };
}

/** The view of an event on its team's own stream: everything, findings included. */
export function teamEventView(entry: StoredTeamEvent): ActivityView {
  return { id: entry.id, timestamp: iso(entry.event.at), type: entry.event.type, message: describeActivity(entry.event), event: entry.event };
}

/**
 * SSE frames of the entries. No `event:` field: EventSource's `onmessage` (what the original API's
 * clients use) only sees unnamed events; the type is inside the data. The id is the stream entry
 * id, so a reconnecting EventSource resumes with Last-Event-ID.
 */
export function sseFrames(entries: readonly StoredActivity[]): string {
  let text = '';
  for (const entry of entries) text += `id: ${entry.id}\ndata: ${JSON.stringify(activityView(entry))}\n\n`;
  return text;
}

/** SSE frames of a team's own stream. */
export function teamSseFrames(entries: readonly StoredTeamEvent[]): string {
  let text = '';
  for (const entry of entries) text += `id: ${entry.id}\ndata: ${JSON.stringify(teamEventView(entry))}\n\n`;
  return text;
}

export const SSE_HEARTBEAT = ': heartbeat\n\n';
