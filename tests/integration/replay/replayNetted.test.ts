import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayReport } from '../../../server/replay/report.ts';
import { CROSSING_TRADER_BODY } from '../netting/crossingTrader.ts';
import {
  bundle,
  createTickFixture,
  enqueueMinute,
  minuteAt,
  projectRoot,
  startWorkerProcess,
  stopWorkerProcess,
  waitForTick,
  type TickFixture,
  type WorkerProcess,
} from '../tick/support.ts';

/**
 * A season recorded by a real `qtc worker` on the simulated venue with `competition.execution: netted`
 * replays identically: the teams' market orders crossed per (minute, symbol) and priced once per group
 * (the net's side slipped, or the plain open for a zero net). Then the stored registry is rewritten to
 * per-team execution, and the replay diverges at a crossing: it does follow the recorded execution mode.
 */

const MINUTES = 14;
const SLIPPAGE_BPS = '10';

// The netted-season strategy of tests/integration/netting/crossingTrader.ts.
const CROSSER = bundle(`
class Strategy {${CROSSING_TRADER_BODY}}`);

const TEAMS = ['alpha', 'beta'];
let fixture: TickFixture;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  fixture = await createTickFixture({ teams: TEAMS, strategies: { alpha: CROSSER, beta: CROSSER } });
  // Netted execution; a generous CPU limit (a run timing out on a loaded machine is the one outcome a
  // replay cannot reproduce, and not what this test is about).
  const registry = readFileSync(fixture.registryFile, 'utf8');
  const netted = registry.replace(/^( {2}marketData: .*)$/m, '$1\n  execution: netted\n  limits: { cpuMs: 5000, memoryMb: 64 }');
  if (netted === registry) throw new Error('the tick fixture registry changed: update this test');
  writeFileSync(fixture.registryFile, netted);
}, 60_000);

afterAll(async () => {
  if (worker !== undefined) await stopWorkerProcess(worker);
  await fixture?.close();
});

async function qtcReplay(databaseUrl: string): Promise<{ code: number | null; report: ReplayReport; stderr: string }> {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'replay', '--database-url', databaseUrl, '--json'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
  });
  try {
    return { code, report: JSON.parse(stdout) as ReplayReport, stderr };
  } catch {
    throw new Error(`qtc replay printed no JSON (exit ${String(code)}):\n${stdout}\n${stderr}`);
  }
}

interface FillRow {
  team_id: string;
  client_order_id: string;
  symbol: string;
  side: string;
  quantity: string;
  price: string;
  executed_at: Date;
}

describe('qtc replay of a netted season', { timeout: 300_000 }, () => {
  it('replays crossed and zero-net minutes identically, and diverges when the stored execution mode is changed', async () => {
    worker = startWorkerProcess(fixture, { SIM_SLIPPAGE_BPS: SLIPPAGE_BPS });
    await worker.waitFor('tick worker ready');
    for (let index = 0; index < MINUTES; index++) {
      await enqueueMinute(fixture, minuteAt(index));
      const tick = await waitForTick(fixture.pool, minuteAt(index), 90_000);
      expect(tick.status, JSON.stringify(tick.errors)).toBe('completed');
    }
    await stopWorkerProcess(worker);
    worker = undefined;

    // The record holds what this test is about: minutes where the teams crossed on SPY (opposite sides,
    // one price) and minutes where their QQQ orders netted to zero (opposite sides, equal sizes, one price).
    const fills = (
      await fixture.pool.query<FillRow>(
        'SELECT team_id, client_order_id, symbol, side, quantity::text, price::text, executed_at FROM fills WHERE applied ORDER BY executed_at, team_id',
      )
    ).rows;
    const groups = new Map<string, FillRow[]>();
    for (const fill of fills) {
      const key = `${fill.executed_at.toISOString()} ${fill.symbol}`;
      groups.set(key, [...(groups.get(key) ?? []), fill]);
    }
    const opposite = (rows: FillRow[]) => rows.length === 2 && rows[0]!.team_id !== rows[1]!.team_id && rows[0]!.side !== rows[1]!.side;
    const crossed = [...groups].filter(([key, rows]) => key.endsWith('SPY') && opposite(rows));
    const zeroNet = [...groups].filter(([key, rows]) => key.endsWith('QQQ') && opposite(rows) && rows[0]!.quantity === rows[1]!.quantity);
    expect(crossed.length).toBeGreaterThan(MINUTES / 2);
    expect(zeroNet.length).toBeGreaterThan(0);
    for (const [key, rows] of [...crossed, ...zeroNet]) expect(rows[1]!.price, key).toBe(rows[0]!.price);

    const replay = await qtcReplay(fixture.databaseUrl);
    expect(
      replay.report.teams.filter((team) => !team.identical),
      JSON.stringify(replay.report.teams),
    ).toEqual([]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.report.minutes).toBe(MINUTES);
    expect(replay.report.assumedMinutes).toBe(0);
    expect(replay.report.brokerMinutes).toBe(0);
    expect(replay.report.teams.map((team) => team.teamId)).toEqual(TEAMS);
    for (const team of replay.report.teams) {
      expect(team.compared.runs, team.teamId).toBe(MINUTES);
      expect(team.compared.fills, team.teamId).toBeGreaterThan(MINUTES);
      expect(team.compared.snapshots).toBe(MINUTES);
      expect(team.compared.metrics).toBe(true);
    }

    // The same record under per-team execution: each side of a crossing slips on its own, so each team's
    // first fill against the net's side (at a crossed or zero-net minute) no longer has the recorded price.
    const rewritten = await fixture.pool.query(
      "UPDATE registry_versions SET source_text = replace(source_text, 'execution: netted', 'execution: per-team') WHERE source_text LIKE '%execution: netted%'",
    );
    expect(rewritten.rowCount).toBeGreaterThan(0);
    const perTeam = await qtcReplay(fixture.databaseUrl);
    expect(perTeam.code).toBe(1);
    const netMinutes = new Set([...crossed, ...zeroNet].map(([, rows]) => rows[0]!.executed_at.getTime()));
    const divergences = perTeam.report.teams.map((team) => team.divergence);
    for (const divergence of divergences) {
      expect(divergence, JSON.stringify(divergences)).toMatchObject({ kind: 'fill', what: expect.stringMatching(/price$/) as unknown });
      expect(netMinutes.has(divergence!.minute), JSON.stringify(divergence)).toBe(true);
    }
    expect(Math.min(...divergences.map((divergence) => divergence!.minute))).toBe(Math.min(...netMinutes));
  });
});
