/**
 * Per-team risk limits, applied to the intents that passed validation. Pure: the team's risk
 * state goes in and the next state comes out, so the live server can persist it and a backtest
 * can keep it in memory.
 *
 * Conventions:
 * - A "trade" for `maxTradesPerDay` is an order sent to the broker (counted when it passes risk),
 *   because that is what a team controls at decision time; fills may come later or never.
 * - The trading day is the New York calendar date of the minute.
 * - Daily loss: when equity falls more than `maxDailyLossPct` below the equity at the team's first
 *   minute of the day, the team is halted until the next day: no new orders (buys or sells).
 * - The kill switch (an admin's halt) stops every new order until it is lifted.
 * - Order size uses the limit price, or the current price for a market order.
 */
import { newYorkDate } from '../../../data/market/newYorkTime.ts';
import { notional, toMoney, type Money } from '../money.ts';
import { formatDollars } from '../orders/formatMoney.ts';
import type { OrderRejection, ReturnedSignal } from '../orders/rejection.ts';
import type { OrderIntent } from '../types.ts';

export interface RiskLimits {
  /** Largest position in one symbol, as a fraction of equity (0, 1]. */
  maxPositionPct: number;
  /** Largest single order, exact money. */
  maxOrderNotional: Money;
  maxOrdersPerMinute: number;
  maxTradesPerDay: number;
  /** Fraction of start-of-day equity a team may lose before it is halted for the day, (0, 1]. */
  maxDailyLossPct: number;
}

/** The registry's `competition.risk` (dollars) as exact limits. */
export interface RegistryRisk {
  maxPositionPct: number;
  maxOrderNotional: number;
  maxOrdersPerMinute: number;
  maxTradesPerDay: number;
  maxDailyLossPct: number;
}

export const DEFAULT_RISK: RegistryRisk = {
  maxPositionPct: 0.5,
  maxOrderNotional: 50_000,
  maxOrdersPerMinute: 10,
  maxTradesPerDay: 500,
  maxDailyLossPct: 0.1,
};

export function riskLimitsFrom(risk: RegistryRisk): RiskLimits {
  return { ...risk, maxOrderNotional: toMoney(risk.maxOrderNotional) };
}

export interface RiskState {
  /** New York date (YYYY-MM-DD) the day counters belong to; '' before the first minute. */
  day: string;
  startOfDayEquity: Money;
  tradesToday: number;
  /** Set when the daily loss limit was hit; cleared when the day changes. */
  haltedForDay: string | null;
  /** Admin kill switch: a reason while set, cleared only by an admin. */
  killSwitch: string | null;
}

export const INITIAL_RISK_STATE: RiskState = { day: '', startOfDayEquity: 0, tradesToday: 0, haltedForDay: null, killSwitch: null };

const HOUR_MS = 3_600_000;
let memoHour = Number.NaN;
let memoDay = '';

/**
 * The New York date of a minute. New York's UTC offset is a whole number of hours, so the date is
 * constant within a UTC hour: one Intl lookup per hour instead of one per team and minute.
 */
export function tradingDay(minute: number): string {
  const hour = Math.floor(minute / HOUR_MS);
  if (hour !== memoHour) {
    memoDay = newYorkDate(hour * HOUR_MS);
    memoHour = hour;
  }
  return memoDay;
}

export function setKillSwitch(state: RiskState, reason: string | null): RiskState {
  return { ...state, killSwitch: reason };
}

/**
 * Rolls the day and checks the daily loss at the start of a minute, before any order is decided.
 * Call once per minute with the team's marked-to-market equity.
 */
export function beginRiskMinute(state: RiskState, minute: number, equity: Money, limits: RiskLimits): RiskState {
  const day = tradingDay(minute);
  let next = state;
  if (day !== state.day) next = { ...state, day, startOfDayEquity: equity, tradesToday: 0, haltedForDay: null };
  if (next.haltedForDay === null && next.startOfDayEquity > 0) {
    const floor = next.startOfDayEquity * (1 - limits.maxDailyLossPct);
    if (equity < floor) {
      const lossPct = ((next.startOfDayEquity - equity) / next.startOfDayEquity) * 100;
      next = {
        ...next,
        haltedForDay: `equity ${formatDollars(equity)} is ${lossPct.toFixed(2)}% below the day's start ${formatDollars(next.startOfDayEquity)} (limit ${String(limits.maxDailyLossPct * 100)}%); halted until the next trading day`,
      };
    }
  }
  return next;
}

export interface RiskContext {
  limits: RiskLimits;
  state: RiskState;
  /** Marked-to-market equity this minute. */
  equity: Money;
  /** Shares held per symbol. */
  positions: Readonly<Record<string, { quantity: number }>>;
  /** Shares in open buy orders per symbol (they become position when they fill). */
  pendingBuys: ReadonlyMap<string, number>;
  /** The signals the intents came from, to report rejections against (intent.seq - 1 indexes it). */
  signals: readonly ReturnedSignal[];
}

export interface RiskResult {
  accepted: OrderIntent[];
  rejections: OrderRejection[];
  state: RiskState;
}

export function applyRiskLimits(intents: readonly OrderIntent[], context: RiskContext): RiskResult {
  const { limits, signals } = context;
  const accepted: OrderIntent[] = [];
  const rejections: OrderRejection[] = [];
  let tradesToday = context.state.tradesToday;
  const buysThisMinute = new Map<string, number>();
  const maxPosition = context.equity * limits.maxPositionPct;

  for (const intent of intents) {
    const index = intent.seq - 1;
    const signal: ReturnedSignal = signals[index] ?? { symbol: intent.symbol, action: intent.side, quantity: intent.quantity };
    const reject = (code: OrderRejection['code'], message: string): void => {
      rejections.push({ index, signal, code, message });
    };
    if (context.state.killSwitch !== null) {
      reject('kill_switch', `the team is halted by an administrator: ${context.state.killSwitch}`);
      continue;
    }
    if (context.state.haltedForDay !== null) {
      reject('daily_loss_halt', `daily loss limit: ${context.state.haltedForDay}`);
      continue;
    }
    if (accepted.length >= limits.maxOrdersPerMinute) {
      reject('max_orders_per_minute', `at most ${String(limits.maxOrdersPerMinute)} orders per minute`);
      continue;
    }
    if (tradesToday >= limits.maxTradesPerDay) {
      reject('max_trades_per_day', `at most ${String(limits.maxTradesPerDay)} orders per trading day (${context.state.day})`);
      continue;
    }
    const price = intent.limitPrice ?? intent.referencePrice;
    const size = notional(intent.quantity, price);
    if (size > limits.maxOrderNotional) {
      reject(
        'max_order_notional',
        `order of ${String(intent.quantity)} ${intent.symbol} at ${formatDollars(price)} is ${formatDollars(size)}, above the ${formatDollars(limits.maxOrderNotional)} limit per order`,
      );
      continue;
    }
    if (intent.side === 'buy') {
      const after = (context.positions[intent.symbol]?.quantity ?? 0) + (context.pendingBuys.get(intent.symbol) ?? 0) + (buysThisMinute.get(intent.symbol) ?? 0) + intent.quantity;
      const value = notional(after, price);
      if (value > maxPosition) {
        reject(
          'max_position',
          `${String(after)} shares of ${intent.symbol} (with open orders) would be worth ${formatDollars(value)}, above ${String(limits.maxPositionPct * 100)}% of equity (${formatDollars(Math.floor(maxPosition))})`,
        );
        continue;
      }
      buysThisMinute.set(intent.symbol, (buysThisMinute.get(intent.symbol) ?? 0) + intent.quantity);
    }
    accepted.push(intent);
    tradesToday += 1;
  }
  const state = tradesToday === context.state.tradesToday ? context.state : { ...context.state, tradesToday };
  return { accepted, rejections, state };
}
