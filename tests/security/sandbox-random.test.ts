// Math.random is seeded per team and minute for replays, from a key the host derives with the
// competition's secret: a team that knows another's id and the minute still cannot compute its
// stream, while the same secret repeats it exactly.
import { describe, expect, it } from 'vitest';
import { SandboxPool, type SandboxPoolOptions } from '../../sandbox/index.ts';
import { bundle, minute, team } from '../unit/sandbox/helpers.ts';

const DRAWS = bundle(`class Strategy { generateSignal(team) { team.memory.draws = [Math.random(), Math.random(), Math.random()]; return null; } }`);

async function drawsOf(teamId: string, options: SandboxPoolOptions): Promise<unknown> {
  const pool = new SandboxPool({ mode: 'in-process', cpuMs: 5_000, ...options });
  await pool.start();
  try {
    await pool.load({ teamId, strategy: DRAWS });
    const results = await pool.runMinute(minute(3, [team(teamId)]));
    return (results.get(teamId)?.memory as { draws: number[] }).draws;
  } finally {
    await pool.close();
  }
}

describe('Math.random seeds', () => {
  it('follow the competition secret: repeatable with it, not computable without it', async () => {
    const secret = 'a'.repeat(64);
    const withSecret = await drawsOf('victim', { randomSecret: secret });
    expect(await drawsOf('victim', { randomSecret: secret })).toEqual(withSecret);
    // What an attacker can compute from the id and the minute alone (the seed without a secret).
    expect(await drawsOf('victim', {})).not.toEqual(withSecret);
    expect(await drawsOf('victim', { randomSecret: 'b'.repeat(64) })).not.toEqual(withSecret);
    expect(await drawsOf('other', { randomSecret: secret })).not.toEqual(withSecret);
  });
});
