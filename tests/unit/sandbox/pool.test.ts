import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool, type TeamRunResult } from '../../../sandbox/index.ts';
import { CANARY, START, bundle, minute, team } from './helpers.ts';

describe('SandboxPool end to end', () => {
  const pool = new SandboxPool({ processes: 2 });
  let next = 0;
  const run = async (...teamIds: string[]): Promise<Map<string, TeamRunResult>> => pool.runMinute(minute(next++, teamIds.map(team)));
  const only = async (teamId: string): Promise<TeamRunResult> => {
    const result = (await run(teamId)).get(teamId);
    if (result === undefined) throw new Error(`no result for ${teamId}`);
    return result;
  };

  beforeAll(async () => {
    await pool.start();
  });
  afterAll(async () => {
    await pool.close();
  });

  it('loads a strategy and returns its signals, logs and memory every minute', async () => {
    expect(await pool.load({ teamId: 'canary', strategy: CANARY, params: { size: 3 } })).toEqual({ ok: true });
    const first = await only('canary');
    expect(first.error).toBeNull();
    expect(first.signals).toHaveLength(1);
    expect(first.signals[0]).toMatchObject({ symbol: 'AAPL', action: 'buy', quantity: 3 });
    expect(first.memory).toEqual({ calls: 1 });
    expect(first.logs).toEqual([{ level: 'log', message: 'call 1 1' }]);
    const second = await only('canary');
    expect(second.signals[0]).toMatchObject({ action: 'sell' });
    expect(second.memory).toEqual({ calls: 2 });
    expect(second.logs[0]?.message).toBe('call 2 2');
  });

  it('freezes Date to the minute and seeds Math.random per team and minute', async () => {
    await pool.load({
      teamId: 'clock',
      strategy: bundle(`class Strategy { generateSignal(team) {
      team.memory.seen = [Date.now(), new Date().getTime(), typeof Date(), Math.random(), Math.random()];
      return null; } }`),
    });
    const index = next;
    const a = await only('clock');
    const [now, constructed, type, r1, r2] = (a.memory as { seen: [number, number, string, number, number] }).seen;
    expect(now).toBe(START + index * 60_000);
    expect(constructed).toBe(now);
    expect(type).toBe('string');
    expect(r1).not.toBe(r2);
    await pool.load({
      teamId: 'clock',
      strategy: bundle(`class Strategy { generateSignal(team) {
      team.memory.seen = [Date.now(), Math.random()]; return null; } }`),
    });
    const b = await only('clock');
    expect((b.memory as { seen: number[] }).seen[1]).not.toBe(r1);
  });

  it('gives the same random numbers for the same team and minute in a fresh isolate', async () => {
    const strategy = bundle(`class Strategy { generateSignal(team) { team.memory.r = Math.random(); return null; } }`);
    await pool.load({ teamId: 'rng-a', strategy });
    const index = next;
    const first = await only('rng-a');
    const other = new SandboxPool({ processes: 1 });
    await other.start();
    try {
      await other.load({ teamId: 'rng-a', strategy });
      const again = (await other.runMinute(minute(index, [team('rng-a')]))).get('rng-a');
      expect(again?.memory).toEqual(first.memory);
    } finally {
      await other.close();
    }
  });

  it('accepts a list of signals and null', async () => {
    await pool.load({
      teamId: 'multi',
      strategy: bundle(`class Strategy { generateSignal(team) {
      team.memory.k = (team.memory.k ?? 0) + 1;
      return team.memory.k === 1 ? [{ symbol: 'AAPL', action: 'buy', quantity: 1, price: 101.5 }, { symbol: 'MSFT', action: 'sell', quantity: 2, reason: 'x' }] : null; } }`),
    });
    expect((await only('multi')).signals).toEqual([
      { symbol: 'AAPL', action: 'buy', quantity: 1, price: 101.5 },
      { symbol: 'MSFT', action: 'sell', quantity: 2, reason: 'x' },
    ]);
    const second = await only('multi');
    expect(second.signals).toEqual([]);
    expect(second.error).toBeNull();
  });

  it('reports each malformed signal on its own, with its position and reason, and keeps the others', async () => {
    const good = `{ symbol: 'MSFT', action: 'sell', quantity: 1 }`;
    const cases: Array<[string, RegExp]> = [
      [`{ symbol: 'AAPL', action: 'hold', quantity: 1 }`, /^signal 2 \(AAPL\): action must be "buy" or "sell"/],
      [`{ symbol: 'AAPL', action: 'buy', quantity: -1 }`, /quantity must be a finite number greater than 0/],
      [`{ symbol: 'AAPL', action: 'buy', quantity: NaN }`, /quantity must be a finite number greater than 0, got NaN/],
      [`{ symbol: 42, action: 'buy', quantity: 1 }`, /symbol must be a ticker string/],
      [`'buy AAPL'`, /^signal 2 must be an object/],
      [`{ symbol: 'AAPL', action: 'buy', quantity: 1, reason: 'x'.repeat(5000) }`, /reason.*at most 1000 characters/],
    ];
    for (const [value, message] of cases) {
      await pool.load({ teamId: 'bad-signal', strategy: bundle(`class Strategy { generateSignal() { return [${good}, ${value}]; } }`) });
      const result = await only('bad-signal');
      expect(result.error, value).toBeNull();
      expect(result.signals, value).toEqual([{ symbol: 'MSFT', action: 'sell', quantity: 1 }]);
      expect(result.invalidSignals, value).toEqual([{ index: 1, message: expect.stringMatching(message) as unknown }]);
    }
  });

  it('refuses more signals than the cap as a whole', async () => {
    await pool.load({
      teamId: 'bad-signal',
      strategy: bundle(`class Strategy { generateSignal() { return Array.from({ length: 51 }, () => ({ symbol: 'AAPL', action: 'buy', quantity: 1 })); } }`),
    });
    const result = await only('bad-signal');
    expect(result.error?.kind).toBe('invalid-result');
    expect(result.error?.message).toMatch(/at most 50/);
    expect(result.signals).toEqual([]);
  });

  it('reports load errors with kind load', async () => {
    const noDefault = { code: 'var __qtcStrategy = {};', sourceMap: '', filename: 'strategy.bundle.js' };
    const outcomes = [
      await pool.load({ teamId: 'load-1', strategy: noDefault }),
      await pool.load({ teamId: 'load-2', strategy: bundle(`class Strategy { constructor() { throw new Error('bad params'); } generateSignal() {} }`) }),
      await pool.load({ teamId: 'load-3', strategy: bundle(`class Strategy {}`) }),
      await pool.load({ teamId: 'load-4', strategy: { code: 'this is not javascript', sourceMap: '', filename: 'x.js' } }),
      await pool.load({ teamId: 'load-5', strategy: bundle(`require('fs'); class Strategy { generateSignal() {} }`) }),
    ];
    const messages = outcomes.map((outcome) => (outcome.ok ? 'ok' : `${outcome.error.kind}: ${outcome.error.message}`));
    expect(messages[0]).toMatch(/^load: .*no default export class/);
    expect(messages[1]).toMatch(/^load: .*bad params/);
    expect(messages[2]).toMatch(/^load: .*no generateSignal/);
    expect(messages[3]).toMatch(/^load: .*does not compile/);
    expect(messages[4]).toMatch(/^load: .*Cannot import "fs"/);
    expect(pool.status('load-2')).toMatchObject({ state: 'failed' });
    const result = await only('load-2');
    expect(result.error?.kind).toBe('load');
  });

  it('reports runtime errors and keeps the last good memory', async () => {
    await pool.load({
      teamId: 'thrower',
      strategy: bundle(`class Strategy { generateSignal(team) {
      team.memory.n = (team.memory.n ?? 0) + 1;
      if (team.memory.n === 2) { team.memory.poisoned = true; null.x; }
      return null; } }`),
    });
    expect((await only('thrower')).memory).toEqual({ n: 1 });
    const failed = await only('thrower');
    expect(failed.error?.kind).toBe('runtime');
    expect(failed.error?.message).toMatch(/TypeError: Cannot read properties of null/);
    expect(failed.memory).toEqual({ n: 1 });
    // The failed call's mutation is rolled back, so the next call sees n = 1 again and fails again.
    expect((await only('thrower')).error?.kind).toBe('runtime');
  });

  it('restores memory handed to load and caps its size', async () => {
    await pool.load({
      teamId: 'mem',
      memory: { restored: 41 },
      strategy: bundle(`class Strategy { generateSignal(team) {
      team.memory.restored += 1;
      if (team.memory.restored > 42) team.memory.big = 'x'.repeat(70000);
      return null; } }`),
    });
    expect((await only('mem')).memory).toEqual({ restored: 42 });
    const capped = await only('mem');
    expect(capped.error?.kind).toBe('invalid-result');
    expect(capped.error?.message).toMatch(/over the cap of 65536/);
    expect(capped.memory).toEqual({ restored: 42 });
  });

  it('serves bar windows through bars and team.api', async () => {
    await pool.load({
      teamId: 'api',
      strategy: bundle(`class Strategy { generateSignal(team, bars) {
      const last = team.api.getLastN('AAPL', 2);
      const day = team.api.getDay('AAPL', '2025-07-08');
      const range = team.api.getRange('AAPL', bars.AAPL.timestamp[0], bars.AAPL.timestamp[0]);
      const none = team.api.getLastN('ZZZZ', 5);
      team.memory.out = {
        fields: Object.keys(bars.AAPL), isTyped: bars.AAPL.close instanceof Float64Array, tsArray: Array.isArray(bars.AAPL.timestamp),
        n: bars.AAPL.close.length, lastN: last.close.length, lastClose: last.close[1] === bars.AAPL.close[bars.AAPL.close.length - 1],
        day: day.timestamp.length === bars.AAPL.timestamp.length, range: range.timestamp.length, none: none.timestamp.length,
        otherDay: team.api.getDay('AAPL', '2025-07-09').timestamp.length,
      };
      return null; } }`),
    });
    const result = await only('api');
    expect(result.error).toBeNull();
    const out = (result.memory as { out: Record<string, unknown> }).out;
    expect(out).toMatchObject({
      fields: ['timestamp', 'open', 'high', 'low', 'close', 'volume'],
      isTyped: true,
      tsArray: true,
      lastN: 2,
      lastClose: true,
      day: true,
      range: 1,
      none: 0,
      otherDay: 0,
    });
    expect(out.n).toBe(next); // every minute fed so far, including those before this team was loaded
  });

  it('maps error stacks to the original source with the source map', async () => {
    const { transformSync } = await import('esbuild');
    const source = [
      "import { sma } from 'qtc';",
      'export default class Strategy {',
      '  generateSignal(team: { memory: Record<string, number> }) {',
      '    const period: number = 0;',
      '    return sma([1, 2, 3], period) ?? null;',
      '  }',
      '}',
    ].join('\n');
    const out = transformSync(source, {
      loader: 'ts',
      format: 'iife',
      globalName: '__qtcStrategy',
      sourcemap: 'external',
      sourcefile: 'strategy.ts',
      target: 'es2023',
      platform: 'neutral',
    });
    const loaded = await pool.load({ teamId: 'mapped', strategy: { code: out.code, sourceMap: out.map, filename: 'strategy.bundle.js' } });
    expect(loaded).toEqual({ ok: true });
    const result = await only('mapped');
    expect(result.error?.kind).toBe('runtime');
    expect(result.error?.message).toMatch(/sma: period must be a positive integer, got 0 \(at strategy\.ts:5:\d+\)/);
    expect(result.error?.stack).toMatch(/strategy\.ts:5:\d+/);
    expect(result.error?.stack).not.toMatch(/qtc-runtime/);
  });

  it('bounds console output per call with a truncation marker', async () => {
    await pool.load({
      teamId: 'chatty',
      strategy: bundle(`class Strategy { generateSignal() {
      for (let i = 0; i < 1000; i++) console.info('line', i, { i, nested: { deep: [1, 2, 3] } });
      return null; } }`),
    });
    const result = await only('chatty');
    expect(result.error).toBeNull();
    expect(result.logs).toHaveLength(51);
    expect(result.logs[0]).toEqual({ level: 'info', message: 'line 0 { i: 0, nested: { deep: [1, 2, 3] } }' });
    expect(result.logs[50]?.message).toMatch(/950 more console call\(s\) dropped/);
  });

  it('assigns teams to processes in a balanced, stable way and reports status', async () => {
    const counts = [0, 0];
    for (const id of ['bal-a', 'bal-b', 'bal-c', 'bal-d']) await pool.load({ teamId: id, strategy: CANARY });
    for (const id of [
      'canary',
      'clock',
      'rng-a',
      'multi',
      'bad-signal',
      'thrower',
      'mem',
      'api',
      'mapped',
      'chatty',
      'load-1',
      'load-2',
      'load-3',
      'load-4',
      'load-5',
      'bal-a',
      'bal-b',
      'bal-c',
      'bal-d',
    ]) {
      const status = pool.status(id);
      if (status !== null) counts[status.process] = (counts[status.process] ?? 0) + 1;
    }
    expect(Math.abs((counts[0] ?? 0) - (counts[1] ?? 0))).toBeLessThanOrEqual(1);
    const before = pool.status('bal-a')?.process;
    await pool.load({ teamId: 'bal-a', strategy: CANARY });
    expect(pool.status('bal-a')?.process).toBe(before);
    await pool.unload('bal-a');
    expect(pool.status('bal-a')).toBeNull();
    expect((await only('bal-a')).error?.kind).toBe('load');
  });

  it('rejects minutes that do not increase', async () => {
    await expect(pool.runMinute(minute(0, []))).rejects.toThrow(/minutes must increase/);
  });
});
