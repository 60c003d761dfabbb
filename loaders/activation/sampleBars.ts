import type { Bar } from '../../sandbox/index.ts';

/**
 * The bars of the smoke run: a deterministic random walk per symbol, one bar a minute from the
 * opening bell of 2024-01-02 (09:30 New York). Not market data: just enough plausible numbers to
 * make a strategy run its code paths once before it trades.
 */

export const SAMPLE_START_MS = Date.UTC(2024, 0, 2, 14, 30);

export interface SampleMinute {
  minute: number;
  bars: Record<string, Bar>;
  prices: Record<string, number>;
}

function seedOf(symbol: string): number {
  let hash = 2166136261;
  for (let i = 0; i < symbol.length; i++) hash = Math.imul(hash ^ symbol.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/** mulberry32: small, fast and good enough for made-up prices. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

export function sampleMinutes(symbols: readonly string[], count: number, startMs: number = SAMPLE_START_MS): SampleMinute[] {
  const walks = symbols.map((symbol) => {
    const next = random(seedOf(symbol));
    return { symbol, next, price: 50 + next() * 400 };
  });
  const minutes: SampleMinute[] = [];
  for (let i = 0; i < count; i++) {
    const minute = startMs + i * 60_000;
    const bars: Record<string, Bar> = {};
    const prices: Record<string, number> = {};
    for (const walk of walks) {
      const open = walk.price;
      const close = Math.max(1, open * (1 + (walk.next() - 0.5) * 0.004));
      const high = Math.max(open, close) * (1 + walk.next() * 0.001);
      const low = Math.min(open, close) * (1 - walk.next() * 0.001);
      bars[walk.symbol] = { timestamp: minute, open: round(open), high: round(high), low: round(low), close: round(close), volume: Math.round(1_000 + walk.next() * 50_000) };
      prices[walk.symbol] = round(close);
      walk.price = close;
    }
    minutes.push({ minute, bars, prices });
  }
  return minutes;
}
