// team.api's slices (getLastN, getRange) are copies of the window: the same values as the views of
// bars[symbol], the fields in the same order, timestamps as a number[] and the rest as fresh
// Float64Arrays, short (copied value by value) and long (copied in one piece), and a strategy
// writing into a slice changes nothing it reads afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool } from '../../../sandbox/index.ts';
import { bundle, minute, team } from './helpers.ts';

const WINDOW = 50;

const SLICES = bundle(`
const FIELDS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];
class Strategy {
  generateSignal(team, bars) {
    const b = bars.MSFT;
    const n = b.close.length;
    const wrong = [];
    for (const k of [1, 2, 32, 33, 49, 50, 80]) {
      const last = team.api.getLastN('MSFT', k);
      const from = Math.max(0, n - k);
      const range = team.api.getRange('MSFT', b.timestamp[from], b.timestamp[n - 1]);
      for (const [name, slice] of [['lastN', last], ['range', range]]) {
        if (Object.keys(slice).join() !== FIELDS.join()) wrong.push([name, k, 'keys', Object.keys(slice)]);
        if (!Array.isArray(slice.timestamp)) wrong.push([name, k, 'timestamp is not an array']);
        for (const field of FIELDS) {
          const got = slice[field];
          if (field !== 'timestamp' && !(got instanceof Float64Array && got.byteOffset === 0 && got.buffer.byteLength === got.length * 8)) {
            wrong.push([name, k, field, 'not a Float64Array of its own']);
          }
          const want = Array.from(b[field]).slice(from);
          if (JSON.stringify(Array.from(got)) !== JSON.stringify(want)) wrong.push([name, k, field, Array.from(got), want]);
        }
        // A copy: writing into it leaves the window as it was.
        slice.close[0] = -1;
        slice.timestamp[0] = -1;
      }
      if (b.close[from] === -1 || b.timestamp[from] === -1 || team.api.getLastN('MSFT', k).close[0] === -1) wrong.push([k, 'a slice shares the window']);
    }
    team.memory.seen = { n, wrong };
    return null;
  }
}`);

// getRange's bounds against the window itself: every bound just before, at and just after each of
// the first and last three bars (the newest are found without a search), for windows of 1 bar on.
const RANGES = bundle(`
class Strategy {
  generateSignal(team, bars) {
    const times = bars.MSFT.timestamp;
    const n = times.length;
    const bounds = [-Infinity, Infinity];
    for (const i of [0, 1, 2, n - 3, n - 2, n - 1]) if (i >= 0 && i < n) bounds.push(times[i] - 1, times[i], times[i] + 1);
    const wrong = [];
    for (const from of bounds) {
      for (const to of bounds) {
        const want = times.filter((t) => t >= from && t <= to);
        const got = team.api.getRange('MSFT', from, to).timestamp;
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push([from, to, got, want]);
      }
    }
    team.memory.seen = { n, wrong: wrong.slice(0, 3) };
    return null;
  }
}`);

describe('team.api slices', () => {
  let pool: SandboxPool;

  beforeAll(async () => {
    pool = new SandboxPool({ mode: 'in-process', windowBars: WINDOW, cpuMs: 10_000 });
    await pool.start();
  });

  afterAll(async () => {
    await pool.close();
  });

  it('copy the window exactly, in a fixed shape, short or long, as the window fills and shifts', { timeout: 60_000 }, async () => {
    expect(await pool.load({ teamId: 'slices', strategy: SLICES })).toEqual({ ok: true });
    // Past the window and its shifting slack, so slices are taken from shifted storage too.
    for (let i = 0; i < WINDOW + 90; i++) {
      const result = (await pool.runMinute(minute(i, [team('slices')]))).get('slices');
      expect(result?.error).toBeNull();
      expect((result?.memory as { seen?: unknown } | undefined)?.seen).toEqual({ n: Math.min(i + 1, WINDOW), wrong: [] });
    }
  });

  it('by time range hold exactly the bars between the bounds, at either end of the window', { timeout: 60_000 }, async () => {
    // A pool of its own: its window starts with one bar.
    const own = new SandboxPool({ mode: 'in-process', windowBars: WINDOW, cpuMs: 10_000 });
    await own.start();
    try {
      expect(await own.load({ teamId: 'ranges', strategy: RANGES })).toEqual({ ok: true });
      for (let i = 0; i < WINDOW + 90; i++) {
        const result = (await own.runMinute(minute(i, [team('ranges')]))).get('ranges');
        expect(result?.error).toBeNull();
        expect((result?.memory as { seen?: unknown } | undefined)?.seen).toEqual({ n: Math.min(i + 1, WINDOW), wrong: [] });
      }
    } finally {
      await own.close();
    }
  });
});
