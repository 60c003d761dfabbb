// Each minute's payload reaches a warm isolate through its team's channel (a SharedArrayBuffer the
// host overwrites before the call); a payload too large for one crosses as a one-off copy. A new
// isolate is sent the symbols alone, and the host writes a column of a window into the channel when
// the strategy first reads it. Whatever the path, a strategy must see exactly the bars and prices it
// was given, and never the channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_MAX_NUMBERS } from '../../../sandbox/child/teamIsolate.ts';
import { SandboxPool, type Bar, type MinuteInput } from '../../../sandbox/index.ts';
import { bundle, START } from './helpers.ts';

/** Per symbol: window length, last timestamp, last close, the window's sum of closes; and the kinds of buffers it was handed. */
const WITNESS = bundle(`
class Strategy {
  generateSignal(team, bars, prices) {
    const seen = {};
    const buffers = new Set();
    for (const symbol of Object.keys(bars)) {
      const b = bars[symbol];
      const n = b.close.length;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += b.close[i];
      seen[symbol] = [n, b.timestamp[n - 1], b.close[n - 1], sum, prices[symbol]];
      for (const view of [b.timestamp, b.open, b.high, b.low, b.close, b.volume, team.api.getLastN(symbol, 3).close]) buffers.add(ArrayBuffer.isView(view) ? Object.prototype.toString.call(view.buffer) : "not a view: " + Object.prototype.toString.call(view));
    }
    team.memory.seen = seen;
    team.memory.buffers = [...buffers];
    return null;
  }
}`);

const WINDOW_SYMBOLS = 40;
const symbolOf = (i: number): string => `S${String(i).padStart(2, '0')}`;

function barOf(symbol: number, index: number): Bar {
  const close = 50 + symbol * 3 + Math.sin(index / 5 + symbol) * 2 + index * 0.01;
  return { timestamp: START + index * 60_000, open: close - 0.25, high: close + 0.5, low: close - 0.5, close, volume: 100 + index + symbol };
}

/** Minute i carries symbols 0 … min(i, 39): the universe grows by one a minute, then holds. */
function minuteOf(index: number, teamIds: readonly string[]): MinuteInput {
  const bars: Record<string, Bar> = {};
  const prices: Record<string, number> = {};
  for (let s = 0; s <= Math.min(index, WINDOW_SYMBOLS - 1); s++) {
    bars[symbolOf(s)] = barOf(s, index);
    prices[symbolOf(s)] = barOf(s, index).close;
  }
  return { minute: START + index * 60_000, bars, prices, teams: teamIds.map((teamId) => ({ teamId, cash: 1000, equity: 1000, positions: {} })) };
}

/** What WITNESS should report at minute `index` (every minute so far is in the default window). */
function expected(index: number): Record<string, [number, number, number, number, number]> {
  const out: Record<string, [number, number, number, number, number]> = {};
  for (let s = 0; s <= Math.min(index, WINDOW_SYMBOLS - 1); s++) {
    let sum = 0;
    for (let i = s; i <= index; i++) sum += barOf(s, i).close;
    out[symbolOf(s)] = [index - s + 1, START + index * 60_000, barOf(s, index).close, sum, barOf(s, index).close];
  }
  return out;
}

describe('the payload channel', () => {
  const pool = new SandboxPool({ mode: 'in-process' });
  // early: warm from the first minute, its channel re-sent as the universe grows; soon and late: new
  // isolates after 3 and 130 minutes, reading every column of windows they were not sent; skipper:
  // warm, then left out of minutes 5-9 (a small catch-up at minute 10, through the channel) and of
  // minutes 11-129 (at minute 130, 119 minutes of 40 symbols: a one-off copy).
  const loadAt: Record<string, number> = { early: 0, soon: 3, late: 130, skipper: 0 };
  const runs = (teamId: string, index: number): boolean => teamId !== 'skipper' || index < 5 || index === 10 || index >= 130;

  beforeAll(async () => {
    await pool.start();
  });
  afterAll(async () => {
    await pool.close();
  });

  it('gives every team exactly its bars and prices, through a growing channel, new windows, a small catch-up and a one-off copy', async () => {
    // The skipper's payload at minute 130: 40 symbols × 119 bars of six numbers, well over a channel.
    expect(WINDOW_SYMBOLS * 119 * 6).toBeGreaterThan(CHANNEL_MAX_NUMBERS);
    const loaded: string[] = [];
    for (let index = 0; index < 140; index++) {
      for (const [teamId, at] of Object.entries(loadAt)) {
        if (at !== index) continue;
        expect(await pool.load({ teamId, strategy: WITNESS, params: {} })).toEqual({ ok: true });
        loaded.push(teamId);
      }
      const running = loaded.filter((teamId) => runs(teamId, index));
      const results = await pool.runMinute(minuteOf(index, running));
      for (const teamId of running) {
        const result = results.get(teamId);
        expect(result?.error, `${teamId} at minute ${index}`).toBeNull();
        const memory = result?.memory as { seen: unknown; buffers: string[] };
        expect(memory.seen, `${teamId} at minute ${index}`).toEqual(expected(index));
        // Views on the team's own memory; the channel is never handed out.
        expect(memory.buffers).toContain('[object ArrayBuffer]');
        expect(memory.buffers).not.toContain('[object SharedArrayBuffer]');
      }
    }
  });
});
