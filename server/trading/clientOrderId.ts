/**
 * Client order ids: the only link between a broker's order or fill and the team it belongs to.
 * `t-<team>-<yyyyMMddHHmm UTC>-<seq>`: deterministic from team, minute and sequence, so a retried
 * minute produces the same id and the broker's duplicate-id answer stops a second order.
 * Alpaca allows at most 128 characters; we also keep to `[A-Za-z0-9_-]` so ids survive URLs,
 * CSV files and logs unquoted.
 */

export const CLIENT_ORDER_ID_MAX_LENGTH = 128;

/** Team ids that can appear inside a client order id (registry slugs are a subset). */
export const CLIENT_ORDER_TEAM_PATTERN = /^[A-Za-z0-9_-]+$/;

const PARSE_PATTERN = /^t-([A-Za-z0-9_-]+)-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})-([1-9]\d{0,8})$/;
const MINUTE_MS = 60_000;

export interface ParsedClientOrderId {
  teamId: string;
  /** Epoch ms of the minute (UTC). */
  minute: number;
  /** 1-based sequence of the order within the team's minute. */
  seq: number;
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

function minuteStamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}`;
}

/** Throws RangeError on inputs that could not be parsed back to the same triple. */
export function clientOrderId(teamId: string, minuteEpochMs: number, seq: number): string {
  if (!CLIENT_ORDER_TEAM_PATTERN.test(teamId)) {
    throw new RangeError(`team id ${JSON.stringify(teamId)} cannot appear in a client order id (allowed: A-Z a-z 0-9 _ -)`);
  }
  if (!Number.isSafeInteger(minuteEpochMs) || minuteEpochMs % MINUTE_MS !== 0 || minuteEpochMs < 0) {
    throw new RangeError(`client order id minute must be the start of a whole minute in epoch ms, got ${String(minuteEpochMs)}`);
  }
  const year = new Date(minuteEpochMs).getUTCFullYear();
  if (year > 9999) throw new RangeError(`client order id minute is beyond year 9999: ${String(minuteEpochMs)}`);
  if (!Number.isInteger(seq) || seq < 1 || seq > 999_999_999) {
    throw new RangeError(`client order id sequence must be an integer from 1 to 999999999, got ${String(seq)}`);
  }
  const id = `t-${teamId}-${minuteStamp(minuteEpochMs)}-${String(seq)}`;
  if (id.length > CLIENT_ORDER_ID_MAX_LENGTH) {
    throw new RangeError(`client order id for team ${JSON.stringify(teamId)} would be ${String(id.length)} characters (at most ${String(CLIENT_ORDER_ID_MAX_LENGTH)})`);
  }
  return id;
}

/**
 * The team, minute and sequence of one of our ids; null for anything we did not produce
 * (an order placed by hand in the shared account, another system's id), so attribution never guesses.
 */
export function parseClientOrderId(id: string): ParsedClientOrderId | null {
  if (id.length > CLIENT_ORDER_ID_MAX_LENGTH) return null;
  const match = PARSE_PATTERN.exec(id);
  if (match === null) return null;
  const [, teamId, y, mo, d, h, mi, seqText] = match;
  if (teamId === undefined || seqText === undefined) return null;
  const [year, month, day, hour, minute] = [y, mo, d, h, mi].map(Number) as [number, number, number, number, number];
  const epoch = Date.UTC(year, month - 1, day, hour, minute);
  // Date.UTC rolls 2025-02-30 over into March: only a stamp that formats back identically is ours.
  if (minuteStamp(epoch) !== `${y ?? ''}${mo ?? ''}${d ?? ''}${h ?? ''}${mi ?? ''}`) return null;
  return { teamId, minute: epoch, seq: Number(seqText) };
}
