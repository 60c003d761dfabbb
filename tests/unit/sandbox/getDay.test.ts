import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool, type Bar } from '../../../sandbox/index.ts';
import { bundle, team } from './helpers.ts';

// team.api.getDay's bounds are New York midnights by the US rules of the bar's year
// (sandbox/runtime/newYorkRules.ts), as the host's calendar has them: before 2007 daylight time
// began on the first Sunday of April, so 2006-03-20 was a standard-time day (midnight 05:00 UTC).
const at = (iso: string): number => Date.parse(iso);
const MINUTES = [
  '2006-03-20T04:30:00Z', // 2006-03-19 23:30 EST
  '2006-03-20T14:30:00Z', // 2006-03-20 09:30 EST
  '2006-03-21T04:30:00Z', // 2006-03-20 23:30 EST
  '2006-03-21T05:30:00Z', // 2006-03-21 00:30 EST
  '2025-07-08T03:30:00Z', // 2025-07-07 23:30 EDT
  '2025-07-08T04:30:00Z', // 2025-07-08 00:30 EDT
  '2025-07-09T03:30:00Z', // 2025-07-08 23:30 EDT
  '2025-07-09T04:30:00Z', // 2025-07-09 00:30 EDT
].map(at);

function minuteOf(minute: number, teamIds: string[]) {
  const bar: Bar = { timestamp: minute, open: 10, high: 10, low: 10, close: 10, volume: 1 };
  return { minute, bars: { AAPL: bar }, prices: { AAPL: 10 }, teams: teamIds.map(team) };
}

describe('team.api.getDay', () => {
  const pool = new SandboxPool({ mode: 'in-process' });
  beforeAll(async () => {
    await pool.start();
  });
  afterAll(async () => {
    await pool.close();
  });

  it('gives the bars of a New York day by the daylight-saving rules of its year, before 2007 as after', async () => {
    for (const minute of MINUTES) await pool.runMinute(minuteOf(minute, []));
    await pool.load({
      teamId: 'days',
      strategy: bundle(`class Strategy { generateSignal(team) {
        team.memory.days = ['2006-03-20', '2025-07-08'].map((date) => Array.from(team.api.getDay('AAPL', date).timestamp));
        return null; } }`),
    });
    const result = (await pool.runMinute(minuteOf(at('2025-07-09T13:30:00Z'), ['days']))).get('days');
    expect(result?.error).toBeNull();
    expect((result?.memory as { days: number[][] }).days).toEqual([
      [at('2006-03-20T14:30:00Z'), at('2006-03-21T04:30:00Z')],
      [at('2025-07-08T04:30:00Z'), at('2025-07-09T03:30:00Z')],
    ]);
  });
});
