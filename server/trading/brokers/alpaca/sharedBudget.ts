/**
 * One request budget per Alpaca account, shared through Redis by every process that uses the account.
 *
 * Alpaca allows 200 requests a minute per account, and the whole competition trades through one
 * account: with a limiter per process, N workers would send up to N × 200 and meet 429s. Here every
 * permit comes from one token bucket in Redis (data/redis/tokenBucket.ts), keyed by a hash of the key id
 * (the key itself is never written anywhere).
 *
 * Priorities, because a late order costs more than a late lookup: order submissions and cancels may take
 * the bucket's last token; lookups (orders, fills, bars, calendar) wait while fewer than `reserve` tokens
 * would be left, reconciliation reads (positions, account) while fewer than twice that would be.
 * A 429 from Alpaca pauses the bucket for everyone for its `Retry-After`.
 *
 * Within a process, waiters queue by priority, first come first served, and only the head asks Redis;
 * between processes Redis decides, one token at a time.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { AlpacaLimiter } from '../../../../data/market/alpaca/alpacaFetch.ts';
import { pauseBucket, takeToken, type TokenBucketShape } from '../../../../data/redis/tokenBucket.ts';
import type { AlpacaBrokerLog } from './alpacaBroker.ts';
import { REDIS_PREFIX } from '../../../config/redisKeys.ts';

export type AlpacaPriority = 'order' | 'lookup' | 'reconcile';
/** Most urgent first. */
export const ALPACA_PRIORITIES: readonly AlpacaPriority[] = ['order', 'lookup', 'reconcile'];

/** What kind of request this is, from its method and path (a proxy prefix before `/v2` is allowed). */
export function requestPriority(method: string, url: URL): AlpacaPriority {
  const path = url.pathname;
  if (method !== 'GET' && /\/v2\/orders(\/[^/]+)?$/.test(path)) return 'order';
  if (method === 'GET' && /\/v2\/(positions|account)$/.test(path)) return 'reconcile';
  return 'lookup';
}

/** A short, stable, one-way name for an account: the Redis key and the metrics label, never the key id itself. */
export function accountTag(keyId: string): string {
  return createHash('sha256').update(keyId).digest('hex').slice(0, 16);
}

export function alpacaBudgetKey(keyId: string, prefix = REDIS_PREFIX): string {
  // Same prefix as every other key (server/config/redisKeys.ts), so competitions sharing a Redis keep apart.
  return `${prefix}:alpaca:budget:${accountTag(keyId)}`;
}

export interface SharedAlpacaBudgetOptions {
  redis: Redis;
  /** The account's key id (hashed for the Redis key). */
  keyId: string;
  /** Default 200 (Alpaca's documented limit). */
  limit?: number;
  /** Default 60,000 ms. */
  intervalMs?: number;
  /** Requests that may go at once after a quiet period. Default a tenth of `limit`. */
  burst?: number;
  /** Tokens lookups leave for orders (reconciliation leaves twice as many). Default a quarter of the burst, rounded down. */
  reserve?: number;
  keyPrefix?: string;
  logger?: AlpacaBrokerLog;
  /** How long to wait before asking Redis again when it failed. Default 500 ms. */
  redisRetryMs?: number;
}

interface Waiter {
  priority: AlpacaPriority;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('rate-limit wait aborted', { cause: signal.reason });
}

export class SharedAlpacaBudget implements AlpacaLimiter {
  readonly shape: TokenBucketShape;
  readonly reserves: Readonly<Record<AlpacaPriority, number>>;
  readonly key: string;
  readonly account: string;
  readonly #redis: Redis;
  readonly #log: AlpacaBrokerLog | undefined;
  readonly #redisRetryMs: number;
  readonly #queues: Record<AlpacaPriority, Waiter[]> = { order: [], lookup: [], reconcile: [] };
  #pumping = false;
  #wake: AbortController | null = null;
  #redisFailing = false;

  constructor(options: SharedAlpacaBudgetOptions) {
    const limit = options.limit ?? 200;
    const intervalMs = options.intervalMs ?? 60_000;
    const burst = options.burst ?? Math.max(1, Math.floor(limit / 10));
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${String(limit)}`);
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`intervalMs must be positive, got ${String(intervalMs)}`);
    if (!Number.isSafeInteger(burst) || burst < 1 || burst > limit) throw new RangeError(`burst must be an integer from 1 to limit (${String(limit)}), got ${String(burst)}`);
    const reserve = options.reserve ?? Math.floor((burst - 1) / 4);
    // Reconciliation needs 1 + 2 × reserve tokens at once: more than the bucket holds would starve it for good.
    if (!Number.isSafeInteger(reserve) || reserve < 0 || 1 + 2 * reserve > burst) {
      throw new RangeError(`reserve must be an integer from 0 to ${String(Math.floor((burst - 1) / 2))} (1 + 2 × reserve ≤ burst ${String(burst)}), got ${String(reserve)}`);
    }
    this.shape = { limit, intervalMs, burst };
    this.reserves = { order: 0, lookup: reserve, reconcile: 2 * reserve };
    this.key = alpacaBudgetKey(options.keyId, options.keyPrefix);
    this.account = accountTag(options.keyId);
    this.#redis = options.redis;
    this.#log = options.logger;
    this.#redisRetryMs = options.redisRetryMs ?? 500;
  }

  /** Resolves when this request may be sent. Rejects only if `signal` aborts while it waits. */
  acquire(signal?: AbortSignal, request?: { method: string; url: URL }): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const priority = request === undefined ? 'lookup' : requestPriority(request.method, request.url);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { priority, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const queue = this.#queues[priority];
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queues[priority].push(waiter);
      // A newcomer may outrank the head the pump is sleeping for: let it look again.
      this.#wake?.abort();
      void this.#pump();
    });
  }

  /** Alpaca answered 429: nobody on this account sends anything for `retryAfterMs`. Never rejects. */
  async throttled(retryAfterMs: number): Promise<void> {
    this.#log?.warn({ broker: 'alpaca', account: this.account, retryAfterMs }, 'Alpaca answered 429; pausing the shared request budget for every process');
    await pauseBucket(this.#redis, this.key, this.shape, retryAfterMs).then(
      () => this.#wake?.abort(),
      (error: unknown) => this.#log?.warn({ broker: 'alpaca', error: String(error) }, 'could not pause the shared Alpaca budget in Redis'),
    );
  }

  #head(): Waiter | undefined {
    for (const priority of ALPACA_PRIORITIES) {
      const waiter = this.#queues[priority][0];
      if (waiter !== undefined) return waiter;
    }
    return undefined;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let head = this.#head(); head !== undefined; head = this.#head()) {
        let waitMs: number;
        try {
          const answer = await takeToken(this.#redis, this.key, this.shape, this.reserves[head.priority], head.priority);
          if (this.#redisFailing) this.#log?.info({ broker: 'alpaca' }, 'Redis answers again; the shared Alpaca budget is back');
          this.#redisFailing = false;
          if (answer.granted) {
            this.#grant(head.priority);
            continue;
          }
          waitMs = answer.waitMs;
        } catch (error) {
          // Without Redis nobody can know what the other processes sent: wait rather than risk 429s.
          if (!this.#redisFailing) this.#log?.warn({ broker: 'alpaca', error: String(error) }, 'the shared Alpaca budget is unreachable in Redis; Alpaca requests wait');
          this.#redisFailing = true;
          waitMs = this.#redisRetryMs;
        }
        // Another process may take the tokens first, and a more urgent waiter may arrive here: look again
        // at least every second. The jitter keeps processes from asking at the same instant.
        this.#wake = new AbortController();
        await sleep(Math.min(Math.max(1, waitMs), 1_000) + Math.floor(Math.random() * 5), undefined, { signal: this.#wake.signal }).catch(() => undefined);
        this.#wake = null;
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** The token was taken with `priority`'s reserve: the first waiter at least that urgent gets it. */
  #grant(priority: AlpacaPriority): void {
    for (const candidate of ALPACA_PRIORITIES) {
      const waiter = this.#queues[candidate].shift();
      if (waiter !== undefined) {
        if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.resolve();
        return;
      }
      if (candidate === priority) return; // everyone that urgent left (aborted): the token is spent unused
    }
  }
}
