// The in-process mode hosts the same isolates in the calling process: every result must equal
// the child-process mode's, minute by minute, including what the strategy sees of prices and bars.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool, type Bar, type MinuteInput, type TeamRunResult } from '../../../sandbox/index.ts';
import { CANARY, bundle, minute, team } from './helpers.ts';

/** Reports exactly what it was handed: keys in order, prices, last bars, window lengths. */
const MIRROR = bundle(`
class Strategy {
  generateSignal(team, bars, prices) {
    const seen = { priceKeys: Object.keys(prices), prices: Object.values(prices), barKeys: Object.keys(bars), last: {} };
    for (const symbol of Object.keys(bars)) {
      const b = bars[symbol];
      const n = b.close.length;
      seen.last[symbol] = [n, b.timestamp[n - 1], b.open[n - 1], b.high[n - 1], b.low[n - 1], b.close[n - 1], b.volume[n - 1], team.api.getLastN(symbol, 2).close.length];
    }
    console.log(JSON.stringify(seen));
    return null;
  }
}`);

function comparable(result: TeamRunResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { signals, error, logs, memory } = result;
  return { signals, error, logs, memory };
}

/** Sparse minutes: symbols come and go, prices differ from closes and name symbols without a bar. */
function sparseMinute(index: number, teamIds: string[]): MinuteInput & { prices: Record<string, number> } {
  const bars: Record<string, Bar> = {};
  const prices: Record<string, number> = { ZZZ: 10 + index };
  for (const [i, symbol] of ['MSFT', 'AAPL', 'NVDA', '__proto__'].entries()) {
    if ((index + i) % 3 === 0) continue;
    const close = 100 + i * 7 + index * 0.25;
    bars[symbol] = { timestamp: Date.UTC(2025, 6, 8, 13, 30 + index), open: close - 0.5, high: close + 1, low: close - 1, close, volume: 1000 + index };
    prices[symbol] = index % 2 === 0 ? close : close + 0.01;
  }
  return { minute: Date.UTC(2025, 6, 8, 13, 30 + index), bars, prices, teams: teamIds.map(team) };
}

describe('SandboxPool in-process mode', () => {
  const local = new SandboxPool({ mode: 'in-process' });
  const children = new SandboxPool({ processes: 2 });
  const ids = ['c-0', 'c-1', 'c-2', 'mirror'];

  beforeAll(async () => {
    await Promise.all([local.start(), children.start()]);
    for (const pool of [local, children]) {
      for (const id of ids) expect(await pool.load({ teamId: id, strategy: id === 'mirror' ? MIRROR : CANARY, params: { size: 3 } })).toEqual({ ok: true });
    }
  });
  afterAll(async () => {
    await Promise.all([local.close(), children.close()]);
  });

  it('gives the same results as child processes, minute by minute', async () => {
    for (let i = 0; i < 8; i++) {
      const input = i % 2 === 0 ? minute(i, ids.map(team)) : sparseMinute(i, ids);
      const [a, b] = await Promise.all([local.runMinute(input), children.runMinute(input)]);
      for (const id of ids) {
        expect(a.get(id)?.error ?? null, `${id} minute ${i}`).toBeNull();
        expect(comparable(a.get(id)), `${id} minute ${i}`).toEqual(comparable(b.get(id)));
      }
      // The mirror sees prices with the caller's keys, in the caller's order, with the caller's values.
      const seen = JSON.parse(a.get('mirror')?.logs[0]?.message ?? 'null') as { priceKeys: string[]; prices: number[] };
      expect(seen.priceKeys).toEqual(Object.keys(input.prices));
      expect(seen.prices).toEqual(Object.values(input.prices));
    }
    expect(local.status('c-0')?.process).toBe(0);
    expect((await local.processStats()).map((s) => s.pid)).toEqual([process.pid]);
  });
});
