// Supervision: dead children are restarted, teams are reloaded with their memory, well-behaved
// teams get the same results alone and together, and repeat offenders are quarantined.
import { describe, expect, it } from 'vitest';
import { SandboxPool, type SandboxEvent } from '../../sandbox/index.ts';
import { CANARY, bundle, minute, team } from '../unit/sandbox/helpers.ts';
import { AttackBench, CANARIES, CANARY_CPU_MS, resultOf } from './support.ts';

describe('sandbox supervision', () => {
  it('several well-behaved teams together get exactly their results alone', async () => {
    const ids = ['w-0', 'w-1', 'w-2', 'w-3', 'w-4'];
    const together = new SandboxPool({ processes: 2 });
    await together.start();
    try {
      for (const id of ids) await together.load({ teamId: id, strategy: CANARY, params: { size: 1 }, cpuMs: CANARY_CPU_MS });
      const alone = new Map<string, unknown[]>();
      for (const id of ids) {
        const pool = new SandboxPool({ processes: 1 });
        await pool.start();
        await pool.load({ teamId: id, strategy: CANARY, params: { size: 1 }, cpuMs: CANARY_CPU_MS });
        const list: unknown[] = [];
        for (let i = 0; i < 4; i++) {
          const r = resultOf(await pool.runMinute(minute(i, [team(id)])), id);
          list.push({ signals: r.signals, memory: r.memory, logs: r.logs, error: r.error });
        }
        alone.set(id, list);
        await pool.close();
      }
      for (let i = 0; i < 4; i++) {
        const results = await together.runMinute(minute(i, ids.map(team)));
        for (const id of ids) {
          const r = resultOf(results, id);
          expect({ signals: r.signals, memory: r.memory, logs: r.logs, error: r.error }).toEqual(alone.get(id)?.[i]);
        }
      }
    } finally {
      await together.close();
    }
  });

  it('a killed child is restarted and its teams continue with their memory and bar history', async () => {
    const events: SandboxEvent[] = [];
    const bench = new AttackBench({ logger: (event) => events.push(event) });
    await bench.start();
    try {
      await bench.step();
      await bench.step();
      const stats = await bench.pool.processStats();
      const victim = stats.find((s) => s.process === 0);
      expect(victim).toBeDefined();
      process.kill(victim?.pid ?? 0, 'SIGKILL');
      // The next minutes must be identical to the canaries' results alone: memory and bars restored.
      await bench.step();
      await bench.step();
      expect(events.some((e) => e.type === 'child-exited' && e.process === 0 && e.culprit === null)).toBe(true);
      expect(events.filter((e) => e.type === 'child-started' && e.process === 0).length).toBe(2);
      expect(bench.pool.quarantined()).toEqual([]);
      for (const id of CANARIES) expect(bench.pool.status(id)?.state).toBe('loaded');
    } finally {
      await bench.close();
    }
  });

  it('a team that hangs its process is killed by the watchdog, blamed alone, and quarantined after repeated deaths', async () => {
    const events: SandboxEvent[] = [];
    // The huge fill runs for seconds outside the isolate's timeout; the watchdog fires first.
    const bench = new AttackBench({ cpuMs: 50, loadMs: 200, watchdogGraceMs: 200, quarantineAfterCrashes: 2, logger: (event) => events.push(event) });
    await bench.start();
    try {
      const strategy = bundle(`class Strategy { generateSignal() { new Array(2 ** 26).fill(1.5); return null; } }`);
      await bench.pool.load({ teamId: 'hog', strategy });
      expect(bench.pool.status('hog')?.process).toBe(0);
      const kinds: string[] = [];
      for (let i = 0; i < 3; i++) kinds.push(resultOf(await bench.step('hog'), 'hog').error?.kind ?? 'none');
      expect(['timeout', 'crashed', 'memory']).toContain(kinds[0]);
      if (kinds[0] !== 'memory') {
        expect(kinds[2]).toBe('quarantined');
        const status = bench.pool.status('hog');
        expect(status?.state).toBe('quarantined');
        expect(status?.reason).toMatch(/implicated in 2 sandbox process deaths/);
        expect(bench.pool.quarantined().map((q) => q.teamId)).toEqual(['hog']);
        expect(events.some((e) => e.type === 'watchdog-kill' || e.type === 'child-exited')).toBe(true);
        // Loading again releases the quarantine.
        await bench.pool.load({ teamId: 'hog', strategy: bundle(`class Strategy { generateSignal() { return null; } }`) });
        expect(bench.pool.status('hog')?.state).toBe('loaded');
        expect(resultOf(await bench.step('hog'), 'hog').error).toBeNull();
      }
    } finally {
      await bench.close();
    }
  });
});
