// Bar windows are stored column by column as the strategy reads them (sandbox/runtime/windows.ts):
// a column is asked of the host on its first read, then takes each bar as it arrives. A strategy
// must see exactly what it would see if every column took every bar from the start. Each lazy team
// below runs beside a reference team with the same code that first reads every field of every
// symbol each minute (so its columns are all stored from its first call); their outputs must be
// equal minute by minute: symbols read now and then, by different fields and through team.api, a
// view kept across minutes while its window shifts, symbols that skip minutes, appear late or
// stop, and teams loaded mid-run. A second pair reads every symbol's close every minute (only those
// columns stored) and now and then another field, which joins them when first read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool, type Bar, type MinuteInput, type TeamRunResult } from '../../../sandbox/index.ts';
import { bundle, team } from './helpers.ts';

const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE'];
const LATE = Array.from({ length: 12 }, (_, k) => `L${String(k).padStart(2, '0')}`);
const START = Date.UTC(2025, 6, 8, 13, 30);
const MINUTES = 400;

function body(touchAll: boolean, readCloses = false): string {
  return `
const FIELDS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];
class Strategy {
  constructor() { this.calls = 0; this.kept = null; }
  generateSignal(team, bars) {
    const i = this.calls++;
    let sink = 0;
    if (${touchAll}) for (const s in bars) for (const f of FIELDS) sink += bars[s][f].length;
    const out = { i, keys: Object.keys(bars) };
    if (${readCloses}) {
      out.closes = Object.keys(bars).map((s) => [bars[s].close.length, bars[s].close.at(-1)]);
      if (i % 13 === 4 && bars.DDD !== undefined) out.high = Array.from(bars.DDD.high.slice(-25));
      if (i % 29 === 9 && bars.BBB !== undefined) out.ts = bars.BBB.timestamp.slice(-25);
    }
    // A view kept from an early minute: its window shifts under it once full.
    if (i === 3 && bars.AAA !== undefined) this.kept = bars.AAA.close;
    if (this.kept !== null) out.kept = [this.kept.length, this.kept[0], this.kept[this.kept.length - 1]];
    if (i % 7 === 0 || i % 50 > 45) {
      const symbol = ${JSON.stringify(SYMBOLS)}[(i / 7 | 0) % 5];
      const b = bars[symbol];
      if (b !== undefined) {
        // Views of BBB and CCC only: the other windows stay unexposed and take their bars when read.
        const field = symbol === 'BBB' || symbol === 'CCC' ? FIELDS[i % 6] : 'timestamp';
        const column = b[field];
        out.read = [symbol, field, column.length, column[0], column[column.length - 1]];
      }
    }
    // Late symbol k is first read at minute 180 + 7k, after its ring wrapped many times (a window
    // nothing read is a ring, laid out contiguously on its first read): by its fields (k even) or
    // through team.api (k odd), then now and then.
    for (let k = 0; k < ${LATE.length}; k++) {
      const symbol = ${JSON.stringify(LATE)}[k];
      const first = 180 + 7 * k;
      if (i < first || (i !== first && i % 5 !== 0) || bars[symbol] === undefined) continue;
      if (k % 2 === 0) out[symbol] = [Array.from(bars[symbol].close), bars[symbol].timestamp, Array.from(bars[symbol].volume), bars[symbol].open.at(-1)];
      else {
        const last = team.api.getLastN(symbol, 25);
        out[symbol] = [last.timestamp, Array.from(last.high), Array.from(last.low)];
      }
    }
    if (i % 11 === 0) {
      const symbol = ${JSON.stringify(SYMBOLS)}[(i / 11 | 0) % 5];
      const last = team.api.getLastN(symbol, 4);
      const range = team.api.getRange(symbol, Date.now() - 30 * 60000, Date.now());
      out.api = [symbol, last.timestamp, Array.from(last.close), range.timestamp.length, Array.from(range.volume).slice(-3)];
    }
    console.log(JSON.stringify(out) + (sink < 0 ? '' : ''));
    return null;
  }
}`;
}

const LAZY = bundle(body(false));
const EAGER = bundle(body(true));
const CLOSES_LAZY = bundle(body(false, true));
const CLOSES_EAGER = bundle(body(true, true));

/**
 * BBB skips a minute now and then, CCC appears at minute 90, DDD stops at 250, EEE trades every
 * third minute from 300 on; the late symbols (read late, see body) trade every minute but L01, which skips one in 17.
 */
function market(index: number, teamIds: string[]): MinuteInput {
  const bars: Record<string, Bar> = {};
  const prices: Record<string, number> = {};
  for (const [k, symbol] of SYMBOLS.entries()) {
    if (symbol === 'BBB' && index % 37 === 5) continue;
    if (symbol === 'CCC' && index < 90) continue;
    if (symbol === 'DDD' && index >= 250) continue;
    if (symbol === 'EEE' && index >= 300 && index % 3 !== 0) continue;
    const close = 50 + k * 10 + Math.sin(index / 4 + k) * 3 + index * 0.01;
    bars[symbol] = { timestamp: START + index * 60_000, open: close - 0.25, high: close + 0.5, low: close - 0.5, close, volume: 100 + index * 3 + k };
    prices[symbol] = close;
  }
  for (const [k, symbol] of LATE.entries()) {
    if (k === 1 && index % 17 === 3) continue;
    const close = 200 + k * 7 + Math.cos(index / 9 + k) * 5 + index * 0.02;
    bars[symbol] = { timestamp: START + index * 60_000, open: close + 0.125, high: close + 1, low: close - 1, close, volume: 1000 + index * 7 + k };
    prices[symbol] = close;
  }
  return { minute: START + index * 60_000, bars, prices, teams: teamIds.map(team) };
}

function logsOf(result: TeamRunResult | undefined): unknown {
  if (result === undefined) return 'missing';
  if (result.error !== null) return result.error;
  return result.logs.map((line) => line.message);
}

describe('lazy bar windows', () => {
  let pool: SandboxPool;

  beforeAll(async () => {
    // A short window with the default slack: windows fill and shift many times in the run.
    pool = new SandboxPool({ mode: 'in-process', windowBars: 20, cpuMs: 10_000 });
    await pool.start();
  });

  afterAll(async () => {
    await pool.close();
  });

  it('show every strategy what eager windows would, minute by minute', { timeout: 120_000 }, async () => {
    const strategies = { lazy: LAZY, eager: EAGER, closes: CLOSES_LAZY, closesEager: CLOSES_EAGER };
    for (const [id, strategy] of Object.entries(strategies)) expect(await pool.load({ teamId: id, strategy })).toEqual({ ok: true });
    const pairs: Array<[string, string]> = [
      ['lazy', 'eager'],
      ['closes', 'closesEager'],
    ];
    let compared = 0;
    for (let i = 0; i < MINUTES; i++) {
      // Teams loaded mid-run get their window as one batch, then minute by minute.
      if (i === 120 || i === 260) {
        const lazy = `lazy-${i}`;
        const eager = `eager-${i}`;
        expect(await pool.load({ teamId: lazy, strategy: LAZY })).toEqual({ ok: true });
        expect(await pool.load({ teamId: eager, strategy: EAGER })).toEqual({ ok: true });
        pairs.push([lazy, eager]);
      }
      const results = await pool.runMinute(market(i, pairs.flat()));
      for (const [lazy, eager] of pairs) {
        const seen = logsOf(results.get(lazy));
        expect(seen, `${lazy} at minute ${i}`).toEqual(logsOf(results.get(eager)));
        expect(Array.isArray(seen) && seen.length === 1, `${lazy} at minute ${i}: ${JSON.stringify(seen)}`).toBe(true);
        compared++;
      }
    }
    expect(compared).toBe(2 * MINUTES + (MINUTES - 120) + (MINUTES - 260));
  });
});
