// What a strategy sees of `bars[symbol]` and of its team on the lean call path: entries are plain
// objects with six own getters shared by every symbol (one shape for all entries), readable
// through an object inheriting from an entry and refused, with a clear error, from anything else;
// console output is reported for the call that made it only; cash and equity come as JSON would
// give them (-0 as 0, a non-finite number as null).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool, type TeamRunResult } from '../../../sandbox/index.ts';
import { PRICES_AS_JSON_MAX } from '../../../sandbox/child/payload.ts';
import { bundle, minute, team } from './helpers.ts';

const PROBE = bundle(`
class Strategy {
  constructor() { this.calls = 0; }
  generateSignal(team, bars) {
    const i = this.calls++;
    const get = (symbol, field) => Object.getOwnPropertyDescriptor(bars[symbol], field).get;
    const out = {
      keys: Object.keys(bars.AAPL),
      plain: Object.getPrototypeOf(bars.AAPL) === Object.prototype,
      sharedGetters: ['timestamp', 'open', 'high', 'low', 'close', 'volume'].every((f) => get('AAPL', f) === get('MSFT', f)),
      spread: Object.keys({ ...bars.MSFT }),
      json: JSON.stringify(bars.NVDA).length > 2,
      ownValues: [bars.AAPL.close.at(-1), bars.MSFT.close.at(-1), bars.NVDA.timestamp.at(-1)],
      inherited: [Object.create(bars.MSFT).close.at(-1), Object.create(Object.create(bars.AAPL)).volume.length],
      borrowed: Reflect.get(bars.AAPL, 'close', bars.MSFT).at(-1),
      cash: [team.cash, Object.is(team.equity, 0), team.positions],
    };
    try {
      Reflect.get(bars.AAPL, 'close', {});
      out.foreign = 'read';
    } catch (e) {
      out.foreign = [e instanceof TypeError, e.message];
    }
    try {
      Reflect.get(bars.AAPL, 'open', new Proxy({}, {}));
      out.proxy = 'read';
    } catch (e) {
      out.proxy = e instanceof TypeError;
    }
    // Every other call prints: the quiet calls must report no lines.
    if (i % 2 === 0) console.log('call', i);
    return { symbol: 'AAPL', action: 'buy', quantity: 1, reason: JSON.stringify(out) };
  }
}`);

// currentPrices as the strategy sees it: keys in order, each value exactly, -0 kept.
const PRICES = bundle(`
class Strategy {
  generateSignal(team, bars, prices) {
    const seen = Object.entries(prices).map(([k, v]) => [k, Object.is(v, -0) ? '-0' : v]);
    // In team.memory: a signal's reason is clipped well below a long list.
    team.memory.seen = [seen, Object.getPrototypeOf(prices) === Object.prototype];
    return null;
  }
}`);

// team.positions as the strategy sees it, entries in order; then it tampers with the object and one
// of its entries, which must not reach the next minute's.
const POSITIONS = bundle(`
class Strategy {
  generateSignal(team) {
    const positions = team.positions;
    team.memory.seen = [Object.entries(positions).map(([key, p]) => [key, { ...p }]), Object.getPrototypeOf(positions) === Object.prototype];
    for (const key of Object.keys(positions)) {
      positions[key].quantity = 999;
      delete positions[key];
    }
    positions.ZZZ = { quantity: 1, avgCost: 1 };
    return null;
  }
}`);

/** Own data properties whatever the key ("__proto__" included). */
function withOwn<T>(entries: Array<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  return out;
}

/** `count` prices under odd keys too ('7' sorts first as an integer key, '__proto__' must stay an own key). */
function manyPrices(count: number, salt: number): Record<string, number> {
  const prices: Record<string, number> = {};
  for (let i = 0; i < count - 2; i++) prices[`S${String(i).padStart(3, '0')}`] = (i * 37 + salt) / 7;
  Object.defineProperty(prices, '__proto__', { value: salt === 0 ? -0 : 0.1 + salt, enumerable: true, writable: true, configurable: true });
  prices['7'] = 1e-7 * salt;
  return prices;
}

describe('bars entries and the team on the lean call path', () => {
  let pool: SandboxPool;

  beforeAll(async () => {
    pool = new SandboxPool({ mode: 'in-process', windowBars: 30, cpuMs: 10_000 });
    await pool.start();
  });

  afterAll(async () => {
    await pool.close();
  });

  it('show plain entries with shared getters, inherited reads, foreign receivers refused, per-call logs and JSON numbers', { timeout: 60_000 }, async () => {
    expect(await pool.load({ teamId: 'probe', strategy: PROBE })).toEqual({ ok: true });
    for (let i = 0; i < 6; i++) {
      const input = minute(i, [{ ...team('probe'), cash: i % 2 === 0 ? Number.NaN : Number.POSITIVE_INFINITY, equity: -0, positions: {} }]);
      const result: TeamRunResult | undefined = (await pool.runMinute(input)).get('probe');
      expect(result?.error).toBeNull();
      const out = JSON.parse(result?.signals[0]?.reason ?? 'null') as Record<string, unknown>;
      const bars = input.bars;
      expect(out).toEqual({
        keys: ['timestamp', 'open', 'high', 'low', 'close', 'volume'],
        plain: true,
        sharedGetters: true,
        spread: ['timestamp', 'open', 'high', 'low', 'close', 'volume'],
        json: true,
        ownValues: [bars?.AAPL?.close, bars?.MSFT?.close, bars?.NVDA?.timestamp],
        inherited: [bars?.MSFT?.close, i + 1],
        borrowed: bars?.MSFT?.close,
        cash: [null, true, {}],
        foreign: [true, 'a field of bars[symbol] can only be read from bars[symbol] (or an object inheriting from it)'],
        proxy: true,
      });
      expect(result?.logs).toEqual(i % 2 === 0 ? [{ level: 'log', message: `call ${i}` }] : []);
    }
  });

  it('hand currentPrices over exactly, whether they cross as JSON or in the binary payload (-0)', { timeout: 60_000 }, async () => {
    expect(await pool.load({ teamId: 'prices', strategy: PRICES })).toEqual({ ok: true });
    expect(await pool.load({ teamId: 'prices-too', strategy: PRICES })).toEqual({ ok: true });
    const cases: Array<Record<string, number>> = [
      { AAPL: 101.25, MSFT: 0.1 + 0.2, NVDA: 1e-7, '7': 3, ['__proto__']: 5 },
      { AAPL: -0, MSFT: 2 ** 53 + 2, NVDA: 5e-324 },
      { NVDA: 1.7976931348623157e308, AAPL: 99 },
      // More than PRICES_AS_JSON_MAX: filled from the payload, then JSON again, then a changed long list.
      manyPrices(PRICES_AS_JSON_MAX + 1, 0),
      { AAPL: 1 },
      manyPrices(3 * PRICES_AS_JSON_MAX, 7),
      manyPrices(3 * PRICES_AS_JSON_MAX, 8),
    ];
    // Two teams in a batch share the JSON (up to PRICES_AS_JSON_MAX exact prices); a batch of one
    // always reads them from the payload.
    const batches = [[team('prices'), team('prices-too')], [team('prices')]];
    for (const [b, teams] of batches.entries()) {
      for (const [i, prices] of cases.entries()) {
        const input = { ...minute(10 + b * cases.length + i, teams), prices };
        const results = await pool.runMinute(input);
        const expected = [Object.entries(prices).map(([k, v]) => [k, Object.is(v, -0) ? '-0' : v]), true];
        for (const { teamId } of teams) {
          expect(results.get(teamId)?.error).toBeNull();
          expect((results.get(teamId)?.memory as { seen?: unknown } | undefined)?.seen).toEqual(expected);
        }
      }
    }
  });

  it('hand team.positions over exactly, in order, as the key set changes and whatever was done to the last one', { timeout: 60_000 }, async () => {
    expect(await pool.load({ teamId: 'positions', strategy: POSITIONS })).toEqual({ ok: true });
    const at = (quantity: number, avgCost: number) => ({ quantity, avgCost });
    const cases: Array<Record<string, { quantity: number; avgCost: number }>> = [
      { AAPL: at(5, 101) },
      { AAPL: at(6, 101.5) },
      // The same number of positions under another key, then the same keys in another order.
      { MSFT: at(-3, 0.1 + 0.2) },
      { AAPL: at(1, 2), MSFT: at(Number.NaN, Number.POSITIVE_INFINITY) },
      { MSFT: at(-0, 1e-7), AAPL: at(2 ** 53 + 2, 5e-324) },
      withOwn([
        ['__proto__', at(3, 4)],
        ['7', at(8, 9)],
        ['NVDA', at(10, 11)],
      ]),
      {},
      { NVDA: at(1, 1) },
      withOwn([
        ['__proto__', at(3, 4)],
        ['7', at(8, 9)],
        ['NVDA', at(12, 13)],
      ]),
    ];
    const json = (v: number) => (Number.isFinite(v) ? v + 0 : null);
    for (const [i, positions] of cases.entries()) {
      const results = await pool.runMinute(minute(40 + i, [{ ...team('positions'), positions }]));
      expect(results.get('positions')?.error).toBeNull();
      const expected = [Object.entries(positions).map(([key, p]) => [key, { quantity: json(p.quantity), avgCost: json(p.avgCost) }]), true];
      expect((results.get('positions')?.memory as { seen?: unknown } | undefined)?.seen).toEqual(expected);
    }
  });
});
