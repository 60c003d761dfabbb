import { describe, expect, it } from 'vitest';
import {
  addEquityPoint,
  bookSummary,
  cpuPoints,
  createSseParser,
  decodeSession,
  describeFailure,
  describeFinding,
  describeTeamEvent,
  drawdowns,
  equityPoints,
  equitySeries,
  latestFindings,
  logLines,
  openOrderRows,
  parseDecimal,
  positionRows,
  strategyFacts,
  tradeCells,
  tradeMarkers,
} from '../../../web/assets/team-model.js';

describe('team dashboard model', () => {
  it('reads only well-formed sessions', () => {
    expect(decodeSession(JSON.stringify({ teamId: 'alpha', key: 'qtc_team_x' }))).toEqual({ teamId: 'alpha', key: 'qtc_team_x' });
    expect(decodeSession(JSON.stringify({ teamId: 'Alpha!', key: 'k' }))).toBeNull();
    expect(decodeSession(JSON.stringify({ teamId: 'alpha', key: '' }))).toBeNull();
    expect(decodeSession('{not json')).toBeNull();
    expect(decodeSession(null)).toBeNull();
  });

  it('parses exact decimal strings and refuses anything else', () => {
    expect(parseDecimal('500.2500')).toBe(500.25);
    expect(parseDecimal('-3')).toBe(-3);
    expect(parseDecimal('1e3')).toBeNull();
    expect(parseDecimal('')).toBeNull();
    expect(parseDecimal(null)).toBeNull();
  });

  it('explains refusals so the person knows what to do', () => {
    expect(describeFailure(401, 'unknown key')).toBe('The key was not accepted (unknown key). Check that you pasted the whole key, or ask an admin for a new one.');
    expect(describeFailure(403, 'this key belongs to team "beta"')).toBe('This key is for another team (this key belongs to team "beta").');
    expect(describeFailure(0, 'Failed to fetch')).toBe('The server could not be reached (Failed to fetch).');
    expect(describeFailure(500, 'internal server error')).toBe('The server answered 500: internal server error');
  });

  it('writes findings as file:line:column rule: message — hint', () => {
    expect(describeFinding({ file: 'strategy.ts', line: 3, column: 7, rule: 'no-eval', message: 'eval is not available', hint: 'parse the data instead' })).toBe(
      'strategy.ts:3:7 no-eval: eval is not available — parse the data instead',
    );
    expect(describeFinding({ file: null, line: 0, column: 0, rule: 'compile', message: 'syntax error' })).toBe('compile: syntax error');
    expect(latestFindings({ latest_evaluation: { status: 'rejected', findings: [{ file: 'a.ts', line: 1, column: 1, rule: 'r', message: 'm' }] } })).toEqual(['a.ts:1:1 r: m']);
  });

  it('orders the equity history and flattens the logs, newest minute first as sent', () => {
    expect(
      equitySeries({
        history: [
          { timestamp: '2025-11-18T14:32:00Z', value: 2 },
          { timestamp: '2025-11-18T14:31:00Z', value: 1 },
          { timestamp: 'x', value: 'bad' },
        ],
      }),
    ).toEqual([1, 2]);
    expect(
      logLines({
        logs: [
          { minute: '2025-11-18T14:32:00Z', lines: [{ level: 'warn', message: 'low cash' }] },
          { minute: '2025-11-18T14:31:00Z', lines: ['plain', 42] },
        ],
      }),
    ).toEqual([
      { minute: Date.parse('2025-11-18T14:32:00Z'), level: 'warn', message: 'low cash' },
      { minute: Date.parse('2025-11-18T14:31:00Z'), level: 'log', message: 'plain' },
    ]);
  });

  it('summarises the strategy status', () => {
    const facts = strategyFacts({
      active_version: { commit: '0123456789abcdef', message: 'Tune the SMA\n\nlonger body' },
      latest_evaluation: { status: 'rejected', commit: 'fedcba9876543210', rejected_at_stage: 'check', error: null, findings: [] },
      git_sync: { head: 'fedcba9876543210', error: null, error_kind: null },
      halted: null,
      quarantine: { quarantined: false, reason: null, since: null },
      cpu_ms_per_minute: { average: 1.234, max: 5, minutes: 60 },
      last_run_at: '2025-11-18T14:32:00.000Z',
      last_error: { minute: '2025-11-18T14:31:00.000Z', kind: 'timeout', message: 'over 200 ms' },
    });
    expect(Object.fromEntries(facts)).toEqual({
      'Active version': '0123456789ab — Tune the SMA',
      'Latest commit': 'fedcba987654 rejected at check',
      Git: 'up to date at fedcba987654',
      Trading: 'running',
      'CPU per minute': '1.2 ms average, 5.0 ms max over 60 minutes',
      'Last run': 'Nov 18, 09:32 ET',
      'Last error': 'Nov 18, 09:31 ET — timeout: over 200 ms',
    });
    expect(Object.fromEntries(strategyFacts({ halted: { scope: 'competition', reason: 'maintenance' } }))).toMatchObject({ Trading: 'halted (competition): maintenance' });
  });

  it('turns a trade into table cells', () => {
    expect(
      tradeCells({ timestamp: '2025-11-18T14:31:30Z', side: 'sell', quantity: '10', symbol: 'SPY', execution_price: '101.5000', realized_pnl: '15.0000', problem: null }),
    ).toEqual({ at: Date.parse('2025-11-18T14:31:30Z'), side: 'sell', quantity: '10', symbol: 'SPY', price: '$101.50', pnl: '$15.00', problem: '' });
    expect(tradeCells('x')).toBeNull();
  });

  it('builds the equity chart: one point per minute, drawdowns from the running peak, trades marked at their minute', () => {
    const t1 = Date.parse('2025-11-18T14:31:00Z');
    const points = equityPoints({
      history: [
        { timestamp: '2025-11-18T14:33:00Z', value: 99 },
        { timestamp: '2025-11-18T14:31:00Z', value: 100 },
        { timestamp: '2025-11-18T14:32:00Z', value: 110 },
        { timestamp: 'nope', value: 1 },
      ],
    });
    expect(points).toEqual([
      { t: t1, value: 100 },
      { t: t1 + 60_000, value: 110 },
      { t: t1 + 120_000, value: 99 },
    ]);
    expect(drawdowns(points.map((point) => point.value))).toEqual([0, 0, 99 / 110 - 1]);
    expect(addEquityPoint(points, { t: t1 + 60_000, value: 111 }).map((point) => point.value)).toEqual([100, 111, 99]);
    expect(addEquityPoint(points, { t: t1 + 180_000, value: 98 }, 2)).toEqual([
      { t: t1 + 120_000, value: 99 },
      { t: t1 + 180_000, value: 98 },
    ]);
    expect(
      tradeMarkers(points, {
        trades: [
          { timestamp: '2025-11-18T14:31:30.000Z', side: 'buy' },
          { timestamp: '2025-11-18T14:33:05.000Z', side: 'sell' },
          { timestamp: '2025-11-18T15:00:00.000Z', side: 'sell' },
        ],
      }),
    ).toEqual({ buys: [100, null, null], sells: [null, null, 99] });
  });

  it('reads positions, the book, open orders and CPU per minute', () => {
    const payload = {
      as_of: '2025-11-18T14:32:00.000Z',
      cash: '88000.0000',
      reserved_cash: '500.0000',
      equity: '100410.0000',
      positions: [
        {
          symbol: 'IWM',
          quantity: 10,
          avg_cost: '200.0000',
          cost_basis: '2000.0000',
          last_price: '201.0000',
          market_value: '2010.0000',
          unrealized_pnl: '10.0000',
          realized_pnl: '0.0000',
        },
        { symbol: 'SPY', quantity: 100, avg_cost: '100.0000', cost_basis: '10000.0000', last_price: null, market_value: null, unrealized_pnl: null, realized_pnl: '-5.0000' },
      ],
    };
    expect(positionRows(payload)).toEqual([
      { symbol: 'IWM', quantity: 10, avgCost: 200, lastPrice: 201, value: 2010, unrealized: 10, unrealizedFraction: 0.005, realized: 0 },
      { symbol: 'SPY', quantity: 100, avgCost: 100, lastPrice: null, value: null, unrealized: null, unrealizedFraction: null, realized: -5 },
    ]);
    expect(bookSummary(payload)).toEqual({ cash: 88_000, reserved: 500, equity: 100_410, asOf: Date.parse('2025-11-18T14:32:00.000Z') });
    expect(
      openOrderRows({
        orders: [
          {
            minute: '2025-11-18T14:32:00.000Z',
            side: 'sell',
            quantity: 5,
            filled_quantity: 2,
            symbol: 'QQQ',
            order_type: 'limit',
            limit_price: '50.2500',
            status: 'partially_filled',
          },
        ],
      }),
    ).toEqual([{ at: Date.parse('2025-11-18T14:32:00.000Z'), side: 'sell', quantity: 5, filled: 2, symbol: 'QQQ', type: 'limit $50.25', status: 'partially filled' }]);
    expect(
      cpuPoints({
        runs: [
          { minute: '2025-11-18T14:32:00.000Z', cpu_ms: 3, error_kind: 'timeout' },
          { minute: '2025-11-18T14:31:00.000Z', cpu_ms: 1.5, error_kind: null },
          { minute: '2025-11-18T14:30:00.000Z', cpu_ms: 'x' },
        ],
      }),
    ).toEqual([
      { t: Date.parse('2025-11-18T14:31:00.000Z'), cpuMs: 1.5, error: null },
      { t: Date.parse('2025-11-18T14:32:00.000Z'), cpuMs: 3, error: 'timeout' },
    ]);
  });

  it("describes the team stream's events, a rejected push with its findings", () => {
    expect(describeTeamEvent({ event: { type: 'trade', at: 5, side: 'sell', quantity: 3, symbol: 'SPY', price: 501.5 } })).toEqual({
      at: 5,
      kind: 'sell',
      text: 'Sold 3 SPY at $501.50',
      details: [],
    });
    expect(
      describeTeamEvent({
        event: {
          type: 'version_rejected',
          at: 6,
          commit: '0123456789abcdef',
          reason: 'rejected at the check stage: 4 findings',
          findingsCount: 4,
          findings: [{ file: 'strategy.ts', line: 9, column: 14, rule: 'types', message: "Argument of type 'string' is not assignable to parameter of type 'number'." }],
        },
      }),
    ).toEqual({
      at: 6,
      kind: 'rejected',
      text: 'Commit 0123456789ab rejected at the check stage: 4 findings',
      details: ["strategy.ts:9:14 types: Argument of type 'string' is not assignable to parameter of type 'number'.", '… and 3 more'],
    });
    expect(describeTeamEvent({ event: { type: 'version_activated', at: 7, commit: 'fedcba9876543210', message: 'tune', via: 'rollback' } })?.text).toBe(
      'Version fedcba987654 active again (rollback): tune',
    );
    expect(describeTeamEvent({ event: { type: 'minute', at: 8 } })).toBeNull();
    expect(describeTeamEvent('nonsense')).toBeNull();
  });

  it('parses Server-Sent Events split anywhere, with ids, comments and multi-line data', () => {
    const frames: Array<{ id: string | null; data: string }> = [];
    const parser = createSseParser((frame) => frames.push(frame));
    const stream = 'retry: 2000\n: connected\n\nid: 1-0\ndata: {"a":1}\n\n: heartbeat\n\nid: 2-0\r\ndata: line one\r\ndata: line two\r\n\r\n';
    for (let i = 0; i < stream.length; i += 3) parser.push(stream.slice(i, i + 3));
    expect(frames).toEqual([
      { id: '1-0', data: '{"a":1}' },
      { id: '2-0', data: 'line one\nline two' },
    ]);
    expect(parser.lastId()).toBe('2-0');
    expect(parser.retry()).toBe(2000);
  });
});
