import type { TokenBucket } from './tokenBucket.ts';

/** The `fetch` signature the Alpaca SDK's `fetchApi` option takes. */
export type AlpacaFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface AlpacaFetchOptions {
  /**
   * Where requests really go (`ALPACA_TRADING_URL` / `ALPACA_DATA_URL`): the SDK v4 has no base-URL
   * option, it always builds `https://paper-api.alpaca.markets/v2/...`; this replaces the origin (and
   * prepends the base URL's path, so a proxy under `/alpaca` works).
   */
  baseUrl: string;
  /** Shared by every client of one Alpaca account; each attempt (SDK retries included) takes a permit. */
  limiter?: TokenBucket;
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

/** A `fetchApi` for the Alpaca SDK: rebased URL, shared rate limit, deadline per attempt. */
export function createAlpacaFetch(options: AlpacaFetchOptions): AlpacaFetch {
  const fetchImpl = options.fetchImpl ?? fetch;
  return async (url, init) => {
    const target = rebaseUrl(url, options.baseUrl);
    const callerSignal = init.signal ?? undefined;
    await options.limiter?.acquire(callerSignal);
    options.onRequest?.((init.method ?? 'GET').toUpperCase(), target);
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = callerSignal === undefined ? deadline : AbortSignal.any([callerSignal, deadline]);
    return fetchImpl(target, { ...init, signal });
  };
}
