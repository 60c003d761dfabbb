/** The `fetch` signature the Alpaca SDK's `fetchApi` option takes. */
export type AlpacaFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * What a client of the account needs from its rate limiter: one permit per attempt (the request is
 * named so a limiter can put order submissions first), and word of every 429 Alpaca answers, so a
 * limiter shared by several processes can hold all of them back for the `Retry-After` time.
 * `TokenBucket` (one process) and `SharedAlpacaBudget` (server/trading/brokers/alpaca, Redis) both fit.
 */
export interface AlpacaLimiter {
  acquire(signal?: AbortSignal, request?: { method: string; url: URL }): Promise<void>;
  /** Resolves once every user of the limiter is held back (the 429 reaches its caller only then). */
  throttled?(retryAfterMs: number): void | Promise<void>;
}

export interface AlpacaFetchOptions {
  /**
   * Where requests really go (`ALPACA_TRADING_URL` / `ALPACA_DATA_URL`): the SDK v4 has no base-URL
   * option, it always builds `https://paper-api.alpaca.markets/v2/...`; this replaces the origin (and
   * prepends the base URL's path, so a proxy under `/alpaca` works).
   */
  baseUrl: string;
  /** Shared by every client of one Alpaca account; each attempt (SDK retries included) takes a permit. */
  limiter?: AlpacaLimiter;
  /**
   * Per-attempt deadline once the request has its permit. Queueing for a permit is not counted: a
   * request that waited its turn must not be abandoned, and an order that was never sent must not
   * look like one that timed out.
   */
  timeoutMs: number;
  /** Called once per request actually sent (after the permit), for counting and tests. */
  onRequest?: (method: string, url: URL) => void;
  /** The real fetch; injectable for tests. */
  fetchImpl?: typeof fetch;
}

export function rebaseUrl(url: string, baseUrl: string): URL {
  const original = new URL(url);
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  return new URL(`${prefix}${original.pathname}${original.search}`, base.origin);
}

/**
 * How long a 429 asks us to wait: `Retry-After` (seconds or an HTTP date), else `X-RateLimit-Reset`
 * (epoch seconds, what Alpaca documents), else one second. Same reading as the SDK's own.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number {
  const retryAfter = headers.get('Retry-After');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1_000);
    const when = Date.parse(retryAfter);
    if (!Number.isNaN(when)) return Math.max(0, when - now);
  }
  const reset = Number(headers.get('X-RateLimit-Reset') ?? Number.NaN);
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1_000 - now);
  return 1_000;
}

/** A `fetchApi` for the Alpaca SDK: rebased URL, shared rate limit, deadline per attempt. */
export function createAlpacaFetch(options: AlpacaFetchOptions): AlpacaFetch {
  const fetchImpl = options.fetchImpl ?? fetch;
  return async (url, init) => {
    const target = rebaseUrl(url, options.baseUrl);
    const callerSignal = init.signal ?? undefined;
    const method = (init.method ?? 'GET').toUpperCase();
    await options.limiter?.acquire(callerSignal, { method, url: target });
    options.onRequest?.(method, target);
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = callerSignal === undefined ? deadline : AbortSignal.any([callerSignal, deadline]);
    const response = await fetchImpl(target, { ...init, signal });
    if (response.status === 429) await options.limiter?.throttled?.(retryAfterMs(response.headers));
    return response;
  };
}
