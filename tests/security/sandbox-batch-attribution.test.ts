// A child answers one message per minute for all its teams; when it dies midway, the progress
// file must still name the team that was running. Here the culprit sits between well-behaved
// teams of the same child: it alone is blamed, the others get their results as if alone.
import { describe, expect, it } from 'vitest';
import { SandboxPool, type SandboxEvent, type TeamRunResult } from '../../sandbox/index.ts';
import { CANARY, bundle, minute, team } from '../unit/sandbox/helpers.ts';
import { CANARY_CPU_MS, resultOf } from './support.ts';

function comparable(result: TeamRunResult): unknown {
  const { signals, error, logs, memory } = result;
  return { signals, error, logs, memory };
}

describe('crash attribution within one batched minute', () => {
  it('blames only the team that hung its child, wherever it runs in the batch', async () => {
    const events: SandboxEvent[] = [];
    const options = { processes: 1, cpuMs: 50, loadMs: 200, watchdogGraceMs: 200 };
    const pool = new SandboxPool({ ...options, logger: (event) => events.push(event) });
    const alone = new SandboxPool(options);
    await Promise.all([pool.start(), alone.start()]);
    try {
      const order = ['w-0', 'w-1', 'hog', 'w-2', 'w-3'];
      const good = order.filter((id) => id !== 'hog');
      for (const id of good) {
        await pool.load({ teamId: id, strategy: CANARY, cpuMs: CANARY_CPU_MS });
        await alone.load({ teamId: id, strategy: CANARY, cpuMs: CANARY_CPU_MS });
      }
      // Runs for seconds outside the isolate's timeout (see sandbox-supervision): only the watchdog or V8 stops it.
      await pool.load({
        teamId: 'hog',
        strategy: bundle(`class Strategy { generateSignal() { if (Date.now() >= ${minute(1, []).minute}) new Array(2 ** 26).fill(1.5); return null; } }`),
      });
      const hogKinds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const [results, baseline] = await Promise.all([pool.runMinute(minute(i, order.map(team))), alone.runMinute(minute(i, good.map(team)))]);
        for (const id of good) expect(comparable(resultOf(results, id)), `${id} at minute ${i}`).toEqual(comparable(resultOf(baseline, id)));
        const hog = resultOf(results, 'hog');
        if (i === 0) expect(hog.error).toBeNull();
        else expect(['timeout', 'crashed', 'memory']).toContain(hog.error?.kind);
        if (i > 0) hogKinds.push(hog.error?.kind ?? 'none');
      }
      const blamed = events.flatMap((e) => (e.type === 'child-exited' && e.culprit !== null ? [e.culprit] : e.type === 'watchdog-kill' ? [e.teamId] : []));
      expect(blamed.every((id) => id === 'hog')).toBe(true);
      // Unless V8 happened to stop the allocation as an isolate out-of-memory, the child died and was attributed.
      if (hogKinds.some((kind) => kind !== 'memory')) expect(blamed.length).toBeGreaterThan(0);
      for (const id of good) expect(pool.status(id)?.recentCrashes).toBe(0);
    } finally {
      await Promise.all([pool.close(), alone.close()]);
    }
  });
});
