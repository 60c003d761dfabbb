import { describe, expect, it } from 'vitest';
import { decodeSession, describeFailure, describeFinding, equitySeries, latestFindings, logLines, parseDecimal, strategyFacts, tradeCells } from '../../../web/assets/team-model.js';

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
});
