/**
 * Recorded against replayed, per team, bit for bit: every run (signals, intents, refusals, error kind),
 * every fill (execution id, order, symbol, side, quantity, price, minute), every minute's snapshot, and
 * the leaderboard's metrics. The first divergence in time is reported with what differed and its likely
 * cause. Pure.
 */
import type { EquitySnapshot } from '../ledger/snapshots.ts';
import { MetricsAccumulator } from '../trading/metrics/metrics.ts';
import { moneyToDecimalString } from '../trading/money.ts';
import type { RecordedFill, RecordedRun, RecordedSeason } from './recorded.ts';
import type { ReplayedFill, ReplayedRun, ReplayedSeason } from './run.ts';
import { byCodeUnits } from '../codeUnitOrder.ts';

export type DivergenceKind = 'run' | 'fill' | 'snapshot' | 'metrics';

export interface Divergence {
  minute: number;
  kind: DivergenceKind;
  /** What differed, e.g. `fill 3 (c-…) price`. */
  what: string;
  recorded: unknown;
  replayed: unknown;
  cause: string;
}

export interface TeamVerdict {
  teamId: string;
  identical: boolean;
  compared: { runs: number; fills: number; snapshots: number; metrics: boolean };
  divergence: Divergence | null;
}

/** JSON with object keys sorted: jsonb does not keep key order, so order never counts as a difference. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item) ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => byCodeUnits(a, b))) : item,
  );
}

const definedKeys = (item: object): string[] => Object.keys(item).filter((key) => (item as Record<string, unknown>)[key] !== undefined);

/**
 * Equal as JSON values, whatever the key order (jsonb's differs from the replay's); a key holding
 * undefined counts as absent, as in stored JSON. Structural, since this runs for every run and snapshot.
 */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = definedKeys(a);
  if (keys.length !== definedKeys(b).length) return false;
  for (const key of keys) if (!same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  return true;
}

const SOFT_ERRORS = new Set(['timeout', 'crashed', 'memory', 'quarantined']);

function runView(run: RecordedRun | ReplayedRun): Record<string, unknown> {
  return { signals: run.signals, intents: run.intents, rejections: run.rejections, error: run.error?.kind ?? null };
}

function firstDifferentField(recorded: Record<string, unknown>, replayed: Record<string, unknown>): string | null {
  for (const key of new Set([...Object.keys(recorded), ...Object.keys(replayed)])) if (!same(recorded[key], replayed[key])) return key;
  return null;
}

interface Context {
  season: RecordedSeason;
  replay: ReplayedSeason;
}

function runCause(minute: number, teamId: string, recorded: RecordedRun | undefined, replayed: ReplayedRun | undefined, context: Context): string {
  const tick = context.season.ticks.find((entry) => entry.minute === minute);
  if (tick?.status === 'failed') return `the recorded minute failed (${canonical(tick.errors).slice(0, 300)}): what it stored is partial`;
  if (recorded === undefined) return 'the team has no recorded run this minute although it was due and not recorded as halted: a halt or a failure that was not recorded';
  if (replayed === undefined) return 'the replay did not run the team this minute (recorded as halted, or not due) although a run is recorded';
  if (recorded.error !== null && SOFT_ERRORS.has(recorded.error.kind))
    return `the recorded run ended in '${recorded.error.kind}' (${recorded.error.message.slice(0, 200)}): that depends on the machine's speed and load, not on the inputs`;
  if (replayed.error !== null && SOFT_ERRORS.has(replayed.error.kind))
    return `the replayed run ended in '${replayed.error.kind}' (${replayed.error.message.slice(0, 200)}): the replaying machine was slower than the recording one`;
  if (recorded.versionId !== null && recorded.versionId !== replayed.versionId)
    return `the recorded run used strategy version ${String(recorded.versionId)}, the minute's due list says ${String(replayed.versionId)}`;
  const assumed = context.replay.assumptions.find((entry) => entry.minute === minute);
  if (assumed !== undefined) return `the strategy answered differently; this minute was recorded before its conditions were kept (${assumed.note})`;
  if (!same(recorded.signals, replayed.signals)) {
    return 'the strategy returned other signals from the same bars, books, memory and seed: it depends on something outside its inputs, or an earlier difference in what it was shown';
  }
  return `the same signals were judged differently (${teamId}'s risk state, limits or books differ from the recording's)`;
}

function fillCause(field: string, minute: number, context: Context): string {
  if (context.replay.brokerMinutes.some((entry) => entry <= minute)) {
    return "the season traded at a broker (Alpaca): its fills are the market's, which a replay cannot reproduce (its runs up to the first fill still compare)";
  }
  if (field === 'price') {
    return "the recorded fill's price does not follow from the recorded order and bars under the fill model: the stored fill was altered, or the venue's slippage differs from the one recorded";
  }
  if (field === 'missing' || field === 'extra') return "an order filled in one and not the other: an order, a bar or the venue's settings differ";
  return `the recorded fill's ${field} does not follow from the recorded order and bars: the stored fill was altered${context.replay.assumptions.length > 0 ? ', or an assumed setting differs' : ''}`;
}

function compareRuns(teamId: string, context: Context): { divergence: Divergence | null; count: number } {
  const minutes = new Set<number>();
  for (const [minute, runs] of context.season.runs) if (runs.has(teamId)) minutes.add(minute);
  for (const [minute, runs] of context.replay.runs) if (runs.has(teamId)) minutes.add(minute);
  let count = 0;
  for (const minute of [...minutes].sort((a, b) => a - b)) {
    count += 1;
    const recorded = context.season.runs.get(minute)?.get(teamId);
    const replayed = context.replay.runs.get(minute)?.get(teamId);
    const a = recorded === undefined ? null : runView(recorded);
    const b = replayed === undefined ? null : runView(replayed);
    if (a !== null && b !== null && same(a, b)) continue;
    const field = a === null ? 'presence' : b === null ? 'presence' : (firstDifferentField(a, b) ?? 'run');
    return {
      divergence: {
        minute,
        kind: 'run',
        what: field === 'presence' ? (a === null ? 'run (none recorded)' : 'run (none replayed)') : `run ${field}`,
        recorded: a === null ? null : a[field],
        replayed: b === null ? null : b[field],
        cause: runCause(minute, teamId, recorded, replayed, context),
      },
      count,
    };
  }
  return { divergence: null, count };
}

const fillView = (fill: RecordedFill): Record<string, unknown> => ({
  minute: new Date(fill.at).toISOString(),
  executionId: fill.executionId,
  clientOrderId: fill.clientOrderId,
  symbol: fill.symbol,
  side: fill.side,
  quantity: fill.quantity,
  price: moneyToDecimalString(fill.price),
});

const byExecution = (a: RecordedFill, b: RecordedFill): number =>
  a.at - b.at ||
  (a.clientOrderId < b.clientOrderId ? -1 : a.clientOrderId > b.clientOrderId ? 1 : 0) ||
  (a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0);

function compareFills(recorded: readonly RecordedFill[], replayed: readonly ReplayedFill[], context: Context): Divergence | null {
  const a = [...recorded].sort(byExecution);
  const b = [...replayed].sort(byExecution);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const left = a[i];
    const right = b[i];
    if (left !== undefined && right !== undefined) {
      if (
        left.at === right.at &&
        left.executionId === right.executionId &&
        left.clientOrderId === right.clientOrderId &&
        left.symbol === right.symbol &&
        left.side === right.side &&
        left.quantity === right.quantity &&
        left.price === right.price
      )
        continue;
      const x = fillView(left);
      const y = fillView(right);
      const field = firstDifferentField(x, y) ?? 'fill';
      return {
        minute: Math.min(left.at, right.at),
        kind: 'fill',
        what: `fill ${String(i + 1)} (${left.clientOrderId}) ${field}`,
        recorded: x[field],
        replayed: y[field],
        cause: fillCause(field, Math.min(left.at, right.at), context),
      };
    }
    const only = (left ?? right)!;
    return {
      minute: only.at,
      kind: 'fill',
      what: `fill ${String(i + 1)} (${only.clientOrderId}) ${left === undefined ? 'not recorded' : 'not replayed'}`,
      recorded: left === undefined ? null : fillView(left),
      replayed: right === undefined ? null : fillView(right),
      cause: fillCause(left === undefined ? 'extra' : 'missing', only.at, context),
    };
  }
  return null;
}

const snapshotView = (snapshot: EquitySnapshot): Record<string, unknown> => ({
  equity: moneyToDecimalString(snapshot.equity),
  cash: moneyToDecimalString(snapshot.cash),
  reservedCash: moneyToDecimalString(snapshot.reservedCash),
  positionsValue: moneyToDecimalString(snapshot.positionsValue),
  unrealizedPnl: moneyToDecimalString(snapshot.unrealizedPnl),
  realizedPnl: moneyToDecimalString(snapshot.realizedPnl),
  positions: snapshot.positions,
  unpricedSymbols: snapshot.unpricedSymbols,
});

const sameSnapshot = (a: EquitySnapshot, b: EquitySnapshot): boolean =>
  a.equity === b.equity &&
  a.cash === b.cash &&
  a.reservedCash === b.reservedCash &&
  a.positionsValue === b.positionsValue &&
  a.unrealizedPnl === b.unrealizedPnl &&
  a.realizedPnl === b.realizedPnl &&
  same(a.positions, b.positions) &&
  same(a.unpricedSymbols, b.unpricedSymbols);

function compareSnapshots(recorded: readonly EquitySnapshot[], replayed: readonly EquitySnapshot[], context: Context): Divergence | null {
  const left = new Map(recorded.map((snapshot) => [snapshot.minute, snapshot]));
  const right = new Map(replayed.map((snapshot) => [snapshot.minute, snapshot]));
  for (const minute of [...new Set([...left.keys(), ...right.keys()])].sort((a, b) => a - b)) {
    const a = left.get(minute);
    const b = right.get(minute);
    if (a === undefined || b === undefined) {
      const failed = context.season.ticks.find((tick) => tick.minute === minute)?.status === 'failed';
      return {
        minute,
        kind: 'snapshot',
        what: a === undefined ? 'snapshot not recorded' : 'snapshot not replayed',
        recorded: a === undefined ? null : snapshotView(a),
        replayed: b === undefined ? null : snapshotView(b),
        cause: failed ? 'the recorded minute failed before its books stage' : 'the team had books in one and not the other',
      };
    }
    if (sameSnapshot(a, b)) continue;
    const x = snapshotView(a);
    const y = snapshotView(b);
    const field = firstDifferentField(x, y) ?? 'snapshot';
    return {
      minute,
      kind: 'snapshot',
      what: `snapshot ${field}`,
      recorded: x[field],
      replayed: y[field],
      cause: "the books differ from what the identical fills before this minute make of them: a snapshot or the books were altered, or the minute's stored prices differ",
    };
  }
  return null;
}

function compareMetrics(teamId: string, context: Context): { divergence: Divergence | null; compared: boolean } {
  const recorded = context.season.metrics.get(teamId);
  if (recorded === undefined) return { divergence: null, compared: false };
  const accumulator = new MetricsAccumulator();
  for (const snapshot of context.replay.snapshots.get(teamId) ?? []) if (snapshot.minute <= recorded.minute) accumulator.observeEquity(snapshot.minute, snapshot.equity);
  // As the leaderboard counts trades: one realised P&L per closing order, summed over its fills.
  const perOrder = new Map<string, number>();
  for (const fill of context.replay.fills.get(teamId) ?? [])
    if (fill.closedTradePnl !== null) perOrder.set(fill.clientOrderId, (perOrder.get(fill.clientOrderId) ?? 0) + fill.closedTradePnl);
  for (const pnl of perOrder.values()) accumulator.recordClosedTrade(pnl);
  const replayed = accumulator.snapshot() as unknown as Record<string, unknown>;
  const stored = recorded.metrics as unknown as Record<string, unknown>;
  for (const key of Object.keys(stored)) {
    if (Object.is(stored[key], replayed[key])) continue;
    return {
      divergence: {
        minute: recorded.minute,
        kind: 'metrics',
        what: `metric ${key}`,
        recorded: stored[key],
        replayed: replayed[key],
        cause: "metrics computed from identical snapshots and fills differ: the leaderboard's stored state was altered, or it took other snapshots",
      },
      compared: true,
    };
  }
  return { divergence: null, compared: true };
}

const ORDER: Record<DivergenceKind, number> = { run: 1, fill: 2, snapshot: 3, metrics: 4 };

export function compareSeason(season: RecordedSeason, replay: ReplayedSeason): TeamVerdict[] {
  const context: Context = { season, replay };
  const teamIds = new Set<string>([...season.fills.keys(), ...season.snapshots.keys(), ...replay.fills.keys(), ...replay.snapshots.keys()]);
  for (const runs of season.runs.values()) for (const teamId of runs.keys()) teamIds.add(teamId);
  for (const runs of replay.runs.values()) for (const teamId of runs.keys()) teamIds.add(teamId);

  return [...teamIds].sort().map((teamId): TeamVerdict => {
    const runs = compareRuns(teamId, context);
    const recordedFills = season.fills.get(teamId) ?? [];
    const fills = compareFills(recordedFills, replay.fills.get(teamId) ?? [], context);
    const recordedSnapshots = season.snapshots.get(teamId) ?? [];
    const snapshots = compareSnapshots(recordedSnapshots, replay.snapshots.get(teamId) ?? [], context);
    const metrics = compareMetrics(teamId, context);
    const found = [runs.divergence, fills, snapshots, metrics.divergence].filter((entry): entry is Divergence => entry !== null);
    found.sort((a, b) => a.minute - b.minute || ORDER[a.kind] - ORDER[b.kind]);
    let divergence = found[0] ?? null;
    if (divergence !== null && replay.badBars.includes(divergence.minute)) {
      divergence = { ...divergence, cause: `the minute's stored bars no longer match their stored hash: they were altered after the minute ran (${divergence.cause})` };
    }
    return {
      teamId,
      identical: divergence === null,
      compared: { runs: runs.count, fills: recordedFills.length, snapshots: recordedSnapshots.length, metrics: metrics.compared },
      divergence,
    };
  });
}
