import { describe, expect, it } from 'vitest';
import { niceCeiling, stackedStages, stageBars } from '../../../web/assets/admin-chart.js';
import {
  competitionState,
  decodeAdminSession,
  describeAdminFailure,
  keyRow,
  reconciliationView,
  registryErrorLines,
  syncResultLines,
  teamRow,
  versionRow,
} from '../../../web/assets/admin-model.js';

const team = {
  id: 'alpha',
  name: '<b>Alpha</b>',
  enabled: true,
  removed_at: null,
  working_keys: 2,
  halt: { reason: 'drill', halted_at: '2025-11-18T14:31:00.000Z', halted_by: 'admin:1234abcd' },
  active_version: { id: 3, commit: 'abcdef0123456789', message: 'faster exits', activated_at: null, activated_by: 'admin:x', reason: 'rollback' },
  latest_version: { id: 4, commit: '0123456789abcdef', status: 'rejected', rejected_at_stage: 'check', evaluated_at: null, findings: 2 },
  git_sync: { checked_at: '2025-11-18T14:31:00.000Z', error_kind: 'unreachable', error: 'could not resolve host', failures: 3 },
  last_run_at: '2025-11-18T14:31:00.000Z',
  last_error: { minute: '2025-11-18T14:31:00.000Z', kind: 'runtime', message: 'TypeError: x is undefined' },
  quarantine: { quarantined: true, reason: 'crashed its sandbox 3 times' },
};

describe('admin console model', () => {
  it('keeps the key only when it is well formed', () => {
    expect(decodeAdminSession(JSON.stringify({ key: 'k'.repeat(40) }))).toEqual({ key: 'k'.repeat(40) });
    expect(decodeAdminSession('{"key":"  "}')).toBeNull();
    expect(decodeAdminSession('not json')).toBeNull();
    expect(decodeAdminSession(null)).toBeNull();
  });

  it('describes refusals for an admin', () => {
    expect(describeAdminFailure(401, 'invalid API key')).toMatch(/^The admin key was not accepted \(invalid API key\)/);
    expect(describeAdminFailure(403, 'needs an admin key')).toBe('This is not an admin key (needs an admin key).');
    expect(describeAdminFailure(0, 'Failed to fetch')).toBe('The server could not be reached (Failed to fetch).');
  });

  it('summarises a team: tags, versions and problems, team text kept as text', () => {
    const row = teamRow(team);
    expect(row).toMatchObject({ id: 'alpha', name: '<b>Alpha</b>', halted: true, removed: false, keys: 2 });
    expect(row?.tags.map((tag) => tag.tag)).toEqual(['enabled', 'halted', 'quarantined']);
    expect(row?.active).toBe('#3 abcdef01 faster exits (rolled back)');
    expect(row?.latest).toBe('#4 01234567 rejected at check, 2 findings');
    expect(row?.problems).toEqual(['Git sync failing (unreachable, 3×): could not resolve host', 'Nov 18, 09:31 ET runtime: TypeError: x is undefined']);
    expect(teamRow({ ...team, removed_at: '2025-11-18T14:31:00.000Z', halt: null, quarantine: { quarantined: false, reason: null } })?.tags.map((tag) => tag.tag)).toEqual([
      'removed',
    ]);
    expect(teamRow({ id: 5 })).toBeNull();
  });

  it('says whether the competition is halted', () => {
    expect(competitionState({ competition: { halt: null } })).toEqual({ halted: false, text: 'Running: strategies run and orders are sent every market minute.' });
    expect(competitionState({ competition: { halt: team.halt } })).toEqual({ halted: true, text: 'Halted since Nov 18, 09:31 ET by admin:1234abcd: drill' });
  });

  it('lists registry errors with line and column', () => {
    const status = {
      lastError: {
        at: '2025-11-18T14:31:00.000Z',
        errors: [
          { path: 'teams[1].repo', line: 12, column: 11, message: 'Required' },
          { path: '', line: 0, column: 0, message: 'cannot read file: ENOENT' },
        ],
      },
    };
    expect(registryErrorLines(status)).toEqual(['12:11 teams[1].repo: Required', 'cannot read file: ENOENT']);
    expect(registryErrorLines({ lastError: null })).toEqual([]);
  });

  it('offers rotate for active keys and revoke for working ones', () => {
    expect(keyRow({ keyId: 'AAAAAAAAAAAA', status: 'active', createdAt: '2025-11-18T14:31:00.000Z', createdBy: 'cli:ops', lastUsedAt: null })).toMatchObject({
      canRotate: true,
      canRevoke: true,
      lastUsed: 'never',
    });
    expect(keyRow({ keyId: 'BBBBBBBBBBBB', status: 'grace', expiresAt: '2025-11-19T14:31:00.000Z', createdAt: '2025-11-18T14:31:00.000Z', createdBy: 'x' })).toMatchObject({
      status: 'grace until Nov 19, 09:31 ET',
      canRotate: false,
      canRevoke: true,
    });
    expect(keyRow({ keyId: 'CCCCCCCCCCCC', status: 'revoked', createdAt: '2025-11-18T14:31:00.000Z', createdBy: 'x' })).toMatchObject({ canRotate: false, canRevoke: false });
  });

  it('shows versions with their findings; only superseded ones can be rolled back to', () => {
    const rejected = versionRow({
      id: 4,
      commitSha: '0123456789abcdef',
      message: 'try eval\n\nbody',
      authorName: 'Ada',
      status: 'rejected',
      rejectedAtStage: 'check',
      findings: [{ file: 'strategy.ts', line: 3, column: 7, rule: 'banned-name', message: 'eval is not available', hint: 'remove it' }],
      error: null,
    });
    expect(rejected).toMatchObject({ title: '#4 01234567 try eval', findings: ['strategy.ts:3:7 banned-name: eval is not available — remove it'], canRollBack: false });
    expect(versionRow({ id: 2, commitSha: 'ff', message: 'old', status: 'superseded', findings: [] })?.canRollBack).toBe(true);
  });

  it('reads sync results and the reconciliation report', () => {
    expect(
      syncResultLines({
        results: [
          { team_id: 'alpha', outcome: 'unchanged', sha: 'abcdef0123' },
          { team_id: 'beta', outcome: 'failed', kind: 'unreachable', error: 'no route' },
        ],
      }),
    ).toEqual(['alpha: up to date (abcdef01)', 'beta: sync failed (unreachable): no route']);
    const view = reconciliationView({
      report: { broker: 'alpaca', checkedAt: '2025-11-18T14:31:00.000Z', discrepancies: [{ symbol: 'SPY', kind: 'quantity_mismatch', brokerQuantity: 10, booksQuantity: 9 }] },
      unattributed: [],
      audit: [{ teamId: 'alpha', symbol: null, field: 'cash', stored: 1_000_000, expected: 1_000_500 }],
    });
    expect(view).toEqual({
      summary: 'Nov 18, 09:31 ET against alpaca: 1 discrepancy',
      discrepancies: ['SPY: quantities differ (broker 10, books 9)'],
      unattributed: [],
      audit: ['alpha cash: stored $100.00, from fills $100.05'],
    });
    expect(reconciliationView({ report: null, unattributed: [] }).audit).toBeNull();
  });
});

describe('tick timing chart geometry', () => {
  it('stacks the consecutive stages and puts the rest of the total in "other"', () => {
    expect(stackedStages({ bars: 2, fills: 1, load: 3, strategies: 10, orders: 4, submit: 3, books: 5, snapshot: 2, leaderboard: 1, total: 30 })).toEqual({
      bars: 2,
      fills: 1,
      load: 3,
      strategies: 10,
      orders: 4,
      books: 5,
      other: 5,
    });
    expect(stackedStages(null).other).toBe(0);
  });

  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 0.7, 3, 30, 101, 480, 501].map(niceCeiling)).toEqual([1, 1, 5, 50, 200, 500, 1000]);
  });

  it('draws the oldest minute on the left, each bar as tall as its total', () => {
    const chart = stageBars(
      [
        { minute: '2025-11-18T14:32:00.000Z', status: 'completed', stage_ms: { strategies: 40, total: 50 } },
        { minute: '2025-11-18T14:31:00.000Z', status: 'failed', stage_ms: { bars: 10, total: 10 } },
      ],
      200,
      100,
    );
    expect(chart.maxMs).toBe(50);
    expect(chart.bars.map((bar) => [bar.minute, bar.x, bar.width, bar.total])).toEqual([
      ['2025-11-18T14:31:00.000Z', 10, 80, 10],
      ['2025-11-18T14:32:00.000Z', 110, 80, 50],
    ]);
    expect(chart.bars[1]?.segments).toEqual([
      { stage: 'strategies', y: 20, height: 80, ms: 40 },
      { stage: 'other', y: 0, height: 20, ms: 10 },
    ]);
    expect(stageBars([], 200, 100).bars).toEqual([]);
  });
});
