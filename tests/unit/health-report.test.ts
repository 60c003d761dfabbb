import { describe, expect, it } from 'vitest';
import { runProbe } from '../../server/health/probes.ts';
import { healthReport } from '../../server/health/report.ts';

describe('health verdict', () => {
  it('is ok when every dependency answers', () => {
    const report = healthReport({ postgres: { ok: true, latencyMs: 1 }, redis: { ok: true, latencyMs: 1 } });
    expect(report.status).toBe('ok');
  });

  it('names each dependency that is down, with its error', () => {
    const report = healthReport({
      postgres: { ok: false, latencyMs: 1, error: 'connect ECONNREFUSED' },
      redis: { ok: false, latencyMs: 1, error: 'not connected (reconnecting)' },
    });
    expect(report.status).toBe('unavailable');
    expect(report.message).toBe('postgres is down (connect ECONNREFUSED); redis is down (not connected (reconnecting))');
  });

  it('reports a probe that never answers as down once its deadline passes', async () => {
    const result = await runProbe(() => new Promise(() => undefined), 20);
    expect(result).toMatchObject({ ok: false, error: 'no answer within 20 ms' });
  });

  it('reports a probe that throws as down with its message', async () => {
    const result = await runProbe(() => Promise.reject(new Error('boom')), 1_000);
    expect(result).toMatchObject({ ok: false, error: 'boom' });
  });
});
