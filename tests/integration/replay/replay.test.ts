import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordVersion } from '../../../loaders/activation/index.ts';
import type { ReplayReport } from '../../../server/replay/report.ts';
import { minuteStamp } from '../../../server/tick/minuteId.ts';
import { runQtc } from '../../support/qtcCommand.ts';
import { bundle, createTickFixture, enqueueMinute, minuteAt, OPEN, stopWorkerProcess, TRADER, waitForTick, workerProcesses, type TickFixture } from '../tick/support.ts';

/**
 * A season recorded by real `qtc worker` processes (Postgres, BullMQ) replays bit for bit from Postgres
 * alone: three teams, one keeping state in an instance field (lost when its isolate is reloaded), one
 * drawing from Math.random, one changing strategy version mid-season; a team halted for three minutes;
 * the worker killed inside a minute and another taking over. Then one stored fill price is altered, and
 * the replay names that team, that minute and that fill.
 */

const MINUTES = 18;
const HALTED = [5, 6, 7];
const NEW_VERSION_AT = 8;
const KILLED_IN = 10;

// Its order sizes count calls in an instance field: a reload (worker killed) starts it again at 1, so a
// replay that does not reload where the live pool did sends other quantities.
const INSTANCE = bundle(`
class Strategy {
  constructor() { this.seen = 0; }
  generateSignal(team, bars, prices) {
    this.seen += 1;
    team.memory.calls = (team.memory.calls ?? 0) + 1;
    const held = team.positions.SPY?.quantity ?? 0;
    if (this.seen % 3 === 1) return { symbol: 'SPY', action: 'buy', quantity: this.seen, reason: 'instance ' + this.seen };
    if (held > 0 && team.memory.calls % 2 === 0) return { symbol: 'SPY', action: 'sell', quantity: 1 };
    return null;
  }
}`);

// Seeded Math.random (the competition's secret), kept draws in team.memory.
const RANDOM = bundle(`
class Strategy {
  generateSignal(team, bars, prices) {
    const r = Math.random();
    team.memory.draws = [...(team.memory.draws ?? []), r].slice(-5);
    const quantity = 1 + Math.floor(Math.random() * 3);
    const held = team.positions.QQQ?.quantity ?? 0;
    if (r < 0.6) return { symbol: 'QQQ', action: 'buy', quantity };
    if (held > 0) return { symbol: 'QQQ', action: 'sell', quantity: Math.min(held, quantity) };
    return null;
  }
}`);

// Version 2 of gamma: limit buys under the price, market sells.
const LIMITS = bundle(`
class Strategy {
  generateSignal(team, bars, prices) {
    team.memory.v2 = (team.memory.v2 ?? 0) + 1;
    const held = team.positions.SPY?.quantity ?? 0;
    if (team.memory.v2 % 2 === 1) return { symbol: 'SPY', action: 'buy', quantity: 3, price: Math.round(prices.SPY * 100.05) / 100 };
    if (held > 0) return { symbol: 'SPY', action: 'sell', quantity: 1 };
    return null;
  }
}`);

const TEAMS = ['alpha', 'beta', 'gamma'];
let fixture: TickFixture;
const workers = workerProcesses(() => fixture);

beforeAll(async () => {
  fixture = await createTickFixture({ teams: TEAMS, strategies: { alpha: INSTANCE, beta: RANDOM, gamma: TRADER } });
  // A generous CPU limit: a run timing out on a loaded machine is the one outcome a replay cannot
  // reproduce, and not what this test is about. (The worker publishes the file as the registry in force.)
  const registry = readFileSync(fixture.registryFile, 'utf8');
  writeFileSync(fixture.registryFile, registry.replace(/^( {2}marketData: .*)$/m, '$1\n  limits: { cpuMs: 5000, memoryMb: 64 }'));
}, 60_000);

afterAll(() => workers.closeAll());

async function qtcReplay(databaseUrl: string): Promise<{ code: number | null; report: ReplayReport; stderr: string }> {
  const { code, stdout, stderr } = await runQtc(['replay', '--database-url', databaseUrl, '--json']);
  try {
    return { code, report: JSON.parse(stdout) as ReplayReport, stderr };
  } catch {
    throw new Error(`qtc replay printed no JSON (exit ${String(code)}):\n${stdout}\n${stderr}`);
  }
}

async function runMinute(index: number): Promise<void> {
  await enqueueMinute(fixture, minuteAt(index));
  const tick = await waitForTick(fixture.pool, minuteAt(index), 90_000);
  expect(tick.status, JSON.stringify(tick.errors)).toBe('completed');
}

describe('qtc replay', { timeout: 300_000 }, () => {
  it('replays a recorded season identically, then names the team, minute and fill of an altered stored price', async () => {
    const first = workers.start({ QTC_TICK_PAUSE_AT: `after-runs@${minuteStamp(minuteAt(KILLED_IN))}` });
    await first.waitFor('tick worker ready');
    for (let index = 0; index < KILLED_IN; index++) {
      if (index === HALTED[0]) await fixture.pool.query("INSERT INTO halts (subject, team_id, reason, halted_by) VALUES ('team:beta', 'beta', 'replay test', 'test')");
      if (index === HALTED.at(-1)! + 1) await fixture.pool.query("DELETE FROM halts WHERE subject = 'team:beta'");
      if (index === NEW_VERSION_AT) {
        await recordVersion(fixture.pool, {
          teamId: 'gamma',
          commit: { sha: 'b'.repeat(40), authorName: 'T', authorEmail: 't@example.org', committedAt: new Date(OPEN), message: 'limit orders' },
          source: { repo: 'https://example.org/gamma.git', branch: 'main', path: '.', entry: null },
          timings: {},
          outcome: { ok: true, compiled: LIMITS },
        });
      }
      await runMinute(index);
    }
    // The worker stops for good inside minute 10, its runs stored, its orders not yet made; another takes over.
    await enqueueMinute(fixture, minuteAt(KILLED_IN));
    await first.waitFor(`qtc-tick-paused after-runs ${minuteStamp(minuteAt(KILLED_IN))}`, 90_000);
    first.child.kill('SIGKILL');
    await first.exit;
    const second = workers.start();
    expect((await waitForTick(fixture.pool, minuteAt(KILLED_IN), 90_000)).status).toBe('completed');
    for (let index = KILLED_IN + 1; index < MINUTES; index++) await runMinute(index);
    await stopWorkerProcess(second);

    // What the season recorded for the replay: the halt's minutes, both of gamma's versions, and every
    // team's isolate loaded again after the kill with the memory it had.
    const halted = await fixture.pool.query<{ minute: Date }>("SELECT minute FROM tick_conditions WHERE 'beta' = ANY(halted_teams) ORDER BY minute");
    expect(halted.rows.map((row) => row.minute.getTime())).toEqual(HALTED.map(minuteAt));
    const versions = await fixture.pool.query<{ n: number }>("SELECT count(DISTINCT version_id)::int AS n FROM tick_team_runs WHERE team_id = 'gamma'");
    expect(versions.rows[0]?.n).toBe(2);
    const reloads = await fixture.pool.query<{ team_id: string; calls: number | null }>(
      "SELECT team_id, (memory->>'calls')::int AS calls FROM tick_team_loads WHERE minute = $1 ORDER BY team_id",
      [new Date(minuteAt(KILLED_IN + 1))],
    );
    expect(reloads.rows.map((row) => row.team_id)).toEqual(TEAMS);
    expect(reloads.rows[0]?.calls).toBe(KILLED_IN + 1);

    const limits = await fixture.pool.query<{ source_text: string }>('SELECT source_text FROM registry_versions ORDER BY version DESC LIMIT 1');
    expect(limits.rows[0]?.source_text).toContain('cpuMs: 5000');

    const replay = await qtcReplay(fixture.databaseUrl);
    expect(
      replay.report.teams.filter((team) => !team.identical),
      JSON.stringify(replay.report.teams),
    ).toEqual([]);
    expect(replay.code).toBe(0);
    expect(replay.report.minutes).toBe(MINUTES);
    expect(replay.report.assumedMinutes).toBe(0);
    expect(replay.report.teams.map((team) => team.teamId)).toEqual(TEAMS);
    for (const team of replay.report.teams) {
      expect(team.compared.fills, team.teamId).toBeGreaterThan(3);
      expect(team.compared.snapshots).toBe(MINUTES);
      expect(team.compared.metrics).toBe(true);
    }
    expect(replay.report.teams.find((team) => team.teamId === 'beta')?.compared.runs).toBe(MINUTES - HALTED.length);

    // One stored fill of alpha's, after the kill, a cent dearer.
    const [target] = (
      await fixture.pool.query<{ execution_id: string; client_order_id: string; executed_at: Date; price: string }>(
        "SELECT execution_id, client_order_id, executed_at, price::text FROM fills WHERE team_id = 'alpha' AND applied AND executed_at > $1 ORDER BY executed_at, execution_id LIMIT 1",
        [new Date(minuteAt(KILLED_IN))],
      )
    ).rows;
    expect(target).toBeDefined();
    await fixture.pool.query('UPDATE fills SET price = price + 0.01 WHERE execution_id = $1', [target!.execution_id]);

    const tampered = await qtcReplay(fixture.databaseUrl);
    expect(tampered.code).toBe(1);
    const byTeam = new Map(tampered.report.teams.map((team) => [team.teamId, team]));
    expect(byTeam.get('beta')?.identical).toBe(true);
    expect(byTeam.get('gamma')?.identical).toBe(true);
    const divergence = byTeam.get('alpha')?.divergence;
    expect(divergence).toMatchObject({ minute: target!.executed_at.getTime(), kind: 'fill', replayed: target!.price });
    expect(divergence?.what).toContain(target!.client_order_id);
    expect(divergence?.what).toMatch(/price$/);
    expect(divergence?.recorded).toBe((Number(target!.price) + 0.01).toFixed(4));
    expect(divergence?.cause).toMatch(/altered/);

    // As text: one line per team, the divergence spelled out; an unknown season is a usage error.
    const text = await runQtc(['replay', '--database-url', fixture.databaseUrl]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      new RegExp(
        `^alpha +DIVERGES at ${new Date(target!.executed_at).toISOString().replace('.000Z', 'Z')}: fill \\d+ \\(${target!.client_order_id}\\) price: recorded ${(Number(target!.price) + 0.01).toFixed(4)}, replayed ${target!.price}$`,
        'm',
      ),
    );
    expect(text.stdout).toMatch(/^beta +identical \(15 runs, \d+ fills, 18 snapshots, metrics\)$/m);
    expect(text.stdout).toMatch(/1 of 3 team\(s\) diverge/);
    const unknown = await runQtc(['replay', '--database-url', fixture.databaseUrl, '--season', '2020-01-01T00:00:00Z']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`starting ${new Date(minuteAt(0)).toISOString().replace('.000Z', 'Z')}`);
  });
});
