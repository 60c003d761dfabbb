/**
 * Netted execution, the pure part (DESIGN.md "Execution in one shared account"). Pure data; no I/O.
 *
 * Crossing: each minute, per symbol, the teams' market orders are one group. Buys and sells cross
 * internally; only the net (|buys − sells| shares, on the bigger side) goes to the broker, as one order
 * whose client order id names the minute, symbol and side: `n-<yyyyMMddHHmm>-<symbol>-<side>`.
 *
 * Allocation, once the net order has ended with F of its N shares filled (0 ≤ F ≤ N):
 * - every team on the smaller ("crossed") side fills in full;
 * - the teams on the net side share crossed + F shares pro rata to their quantities, whole shares by the
 *   largest remainder (Hamilton): each gets ⌊q·(crossed+F)/S⌋, then the leftover shares go one each to
 *   the largest fractional parts, ties broken by team id, then client order id;
 * - every team of the group fills at one price: the net order's average fill price when F > 0, otherwise
 *   (net zero, or a net order that filled nothing) the open of the first bar after the minute, as the
 *   simulation fills market orders.
 * Each allocation is a fill of the team's own client order id with execution id
 * `<net id>-<team client order id>`, so re-deriving it after a crash gives the same fill, applied once.
 */
import type { OrderIntent, Side } from '../types.ts';
import { byCodeUnits } from '../../codeUnitOrder.ts';

const MINUTE_MS = 60_000;

export interface NetMember {
  clientOrderId: string;
  teamId: string;
  side: Side;
  quantity: number;
}

export interface NetGroup {
  /** Epoch ms of the minute whose decisions the group holds. */
  minute: number;
  symbol: string;
  /** The broker order's client order id, or null when the net is zero (nothing is sent). */
  netClientOrderId: string | null;
  /** The side sent to the broker; null when the net is zero. */
  side: Side | null;
  /** Shares sent to the broker (0 when buys and sells cancel out). */
  netQuantity: number;
  /** Sorted by team id, then client order id. */
  members: NetMember[];
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

function minuteStamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}`;
}

/** Symbols may hold characters a client order id may not ('.' in BRK.B): each becomes '_' then its code. */
function symbolPart(symbol: string): string {
  return symbol.replace(/[^A-Za-z0-9]/g, (char) => `_${char.charCodeAt(0).toString(16)}`);
}

export const NET_ORDER_PREFIX = 'n-';

/** `n-<yyyyMMddHHmm UTC>-<symbol>-<side>`: at most 128 characters of [A-Za-z0-9_-]. */
export function netClientOrderId(minute: number, symbol: string, side: Side): string {
  if (!Number.isSafeInteger(minute) || minute % MINUTE_MS !== 0 || minute < 0) throw new RangeError(`net order minute must be a whole minute, got ${String(minute)}`);
  const id = `${NET_ORDER_PREFIX}${minuteStamp(minute)}-${symbolPart(symbol)}-${side}`;
  if (id.length > 128) throw new RangeError(`net order id for ${JSON.stringify(symbol)} would be ${String(id.length)} characters`);
  return id;
}

export const isNetClientOrderId = (id: string): boolean => id.startsWith(NET_ORDER_PREFIX);

const byMember = (a: NetMember, b: NetMember): number => byCodeUnits(a.teamId, b.teamId) || byCodeUnits(a.clientOrderId, b.clientOrderId);

/** Groups the market intents by (minute, symbol) and nets each group. Limit orders are not netted. */
export function crossIntents(intents: readonly OrderIntent[]): NetGroup[] {
  const groups = new Map<string, { minute: number; symbol: string; members: NetMember[] }>();
  for (const intent of intents) {
    if (intent.type !== 'market') continue;
    const key = `${String(intent.minute)}|${intent.symbol}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { minute: intent.minute, symbol: intent.symbol, members: [] }));
    group.members.push({ clientOrderId: intent.clientOrderId, teamId: intent.teamId, side: intent.side, quantity: intent.quantity });
  }
  return [...groups.values()].sort((a, b) => a.minute - b.minute || byCodeUnits(a.symbol, b.symbol)).map((group) => netGroup(group.minute, group.symbol, group.members));
}

export function netGroup(minute: number, symbol: string, members: readonly NetMember[]): NetGroup {
  let buys = 0;
  let sells = 0;
  for (const member of members) {
    if (!Number.isInteger(member.quantity) || member.quantity <= 0) throw new RangeError(`member ${member.clientOrderId} has a bad quantity ${String(member.quantity)}`);
    if (member.side === 'buy') buys += member.quantity;
    else sells += member.quantity;
  }
  const side: Side | null = buys > sells ? 'buy' : sells > buys ? 'sell' : null;
  return {
    minute,
    symbol,
    netClientOrderId: side === null ? null : netClientOrderId(minute, symbol, side),
    side,
    netQuantity: Math.abs(buys - sells),
    members: [...members].sort(byMember),
  };
}

/**
 * Whole shares per member (client order id → shares, every member present, possibly 0) once the net
 * order filled `filled` of its shares. Deterministic: depends only on the group and `filled`.
 */
export function allocate(group: NetGroup, filled: number): Map<string, number> {
  if (!Number.isInteger(filled) || filled < 0 || filled > group.netQuantity) {
    throw new RangeError(`net order of ${String(group.netQuantity)} shares cannot have filled ${String(filled)}`);
  }
  const result = new Map<string, number>();
  if (group.side === null) {
    for (const member of group.members) result.set(member.clientOrderId, member.quantity);
    return result;
  }
  const netSide = group.members.filter((member) => member.side === group.side);
  const crossed = group.members.filter((member) => member.side !== group.side);
  let crossedShares = 0;
  for (const member of crossed) {
    result.set(member.clientOrderId, member.quantity);
    crossedShares += member.quantity;
  }
  const total = netSide.reduce((sum, member) => sum + member.quantity, 0);
  const share = crossedShares + filled; // ≤ total, since total − crossedShares = netQuantity ≥ filled
  // Integer arithmetic throughout: q·share / total as quotient and remainder (no float rounding).
  const parts = netSide.map((member) => {
    const product = member.quantity * share;
    return { member, base: Math.floor(product / total), remainder: product % total };
  });
  let left = share - parts.reduce((sum, part) => sum + part.base, 0);
  const order = [...parts].sort((a, b) => b.remainder - a.remainder || byMember(a.member, b.member));
  for (const part of order) {
    if (left === 0) break;
    if (part.remainder === 0) continue;
    part.base += 1;
    left -= 1;
  }
  for (const part of parts) result.set(part.member.clientOrderId, part.base);
  return result;
}

/** The execution id of a member's allocation: the same whoever derives it, so the books apply it once. */
export const allocationExecutionId = (group: NetGroup, clientOrderId: string): string =>
  `${group.netClientOrderId ?? `x-${minuteStamp(group.minute)}-${symbolPart(group.symbol)}`}-${clientOrderId}`;

/** The id the books record as the broker order of a member (the net order, or the internal cross). */
export const groupOrderId = (group: NetGroup): string => group.netClientOrderId ?? `x-${minuteStamp(group.minute)}-${symbolPart(group.symbol)}`;
