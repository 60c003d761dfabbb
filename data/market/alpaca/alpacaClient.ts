import { Alpaca } from '@alpacahq/alpaca-trade-api';
import { createAlpacaFetch, type AlpacaLimiter } from './alpacaFetch.ts';
import { TokenBucket } from './tokenBucket.ts';

/** Alpaca's documented limit for one account: 200 requests per minute. */
export const ALPACA_REQUESTS_PER_MINUTE = 200;

/** One limiter per Alpaca account and process; every client of that account must share it. */
export function createAlpacaLimiter(limit = ALPACA_REQUESTS_PER_MINUTE, intervalMs = 60_000): TokenBucket {
  return new TokenBucket({ limit, intervalMs });
}

export interface AlpacaClientOptions {
  keyId: string;
  secretKey: string;
  paper: boolean;
  /** Where this client's REST requests go (trading or data host, a proxy, or a test server). */
  baseUrl: string;
  limiter: AlpacaLimiter;
  /** Deadline per attempt once the request holds its permit. Default 10 s. */
  requestTimeoutMs?: number;
  /** Automatic retries of safe (GET) requests on 429/5xx/network errors; POST and DELETE are never retried by the SDK. Default 2. */
  getRetries?: number;
  onRequest?: (method: string, url: URL) => void;
}

/**
 * The SDK v4 client with our transport: the SDK's own timeout and rate limiter are switched off
 * because ours (in `fetchApi`) must see every attempt and must not count queueing time.
 */
export function createAlpacaClient(options: AlpacaClientOptions): Alpaca {
  const retries = options.getRetries ?? 2;
  return new Alpaca({
    keyId: options.keyId,
    secret: options.secretKey,
    paper: options.paper,
    timeoutMs: 0,
    rateLimit: false,
    retry: retries === 0 ? false : { maxRetries: retries, retryDelayMs: 200, maxDelayMs: 2_000 },
    fetchApi: createAlpacaFetch({
      baseUrl: options.baseUrl,
      limiter: options.limiter,
      timeoutMs: options.requestTimeoutMs ?? 10_000,
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    }),
  });
}
