/**
 * The shared Alpaca request budget on `/metrics`. The numbers are read from Redis at each scrape, so
 * any process (an API replica that sends nothing to Alpaca included) shows the whole account's usage.
 */
import type { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import { bucketCounters, peekBucket } from '../../../../data/redis/tokenBucket.ts';
import { ALPACA_PRIORITIES, SharedAlpacaBudget, type SharedAlpacaBudgetOptions } from './sharedBudget.ts';

/** `options`: the budget's shape (limit, burst…) when it is not the default one the workers use. */
export function registerAlpacaBudgetMetrics(registry: Registry, redis: Redis, keyId: string, options: Partial<SharedAlpacaBudgetOptions> = {}): void {
  // The same key and shape as the workers' budget; this instance never hands out a permit.
  const budget = new SharedAlpacaBudget({ redis, keyId, ...options });
  const account = budget.account;
  // One Redis read serves the four series of a scrape.
  let pending: Promise<{ tokens: number; pausedMs: number; granted: Record<string, number>; throttled: number } | null> | null = null;
  const read = () =>
    (pending ??= Promise.all([peekBucket(redis, budget.key, budget.shape), bucketCounters(redis, budget.key)])
      .then(([bucket, counters]) => ({ tokens: bucket.tokens, pausedMs: bucket.pausedMs, ...counters }))
      .catch(() => null) // Redis down: /health says so; the series are left out rather than shown wrong
      .finally(() => setTimeout(() => (pending = null), 0)));

  new Gauge({
    name: 'qtc_alpaca_budget_tokens',
    help: 'Requests the shared Alpaca account budget would let out right now (all processes)',
    labelNames: ['account'],
    registers: [registry],
    async collect() {
      const state = await read();
      if (state !== null) this.set({ account }, state.tokens);
    },
  });
  new Gauge({
    name: 'qtc_alpaca_budget_paused_seconds',
    help: 'How much longer the shared Alpaca budget is paused after a 429 (0: not paused)',
    labelNames: ['account'],
    registers: [registry],
    async collect() {
      const state = await read();
      if (state !== null) this.set({ account }, state.pausedMs / 1_000);
    },
  });
  new Counter({
    name: 'qtc_alpaca_requests_total',
    help: 'Requests to Alpaca let out by the shared budget, by priority (all processes)',
    labelNames: ['account', 'priority'],
    registers: [registry],
    async collect() {
      const state = await read();
      if (state === null) return;
      this.reset();
      for (const priority of ALPACA_PRIORITIES) this.inc({ account, priority }, state.granted[priority] ?? 0);
    },
  });
  new Counter({
    name: 'qtc_alpaca_rate_limited_total',
    help: 'Alpaca 429 answers, each of which paused the shared budget (all processes)',
    labelNames: ['account'],
    registers: [registry],
    async collect() {
      const state = await read();
      if (state === null) return;
      this.reset();
      this.inc({ account }, state.throttled);
    },
  });
}
