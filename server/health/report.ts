import type { ProbeResult } from './probes.ts';

export interface HealthReport {
  status: 'ok' | 'unavailable';
  message: string;
  checks: Record<string, ProbeResult>;
}

/** Pure: the verdict and a message naming every dependency that did not answer. */
export function healthReport(checks: Record<string, ProbeResult>): HealthReport {
  const down = Object.entries(checks)
    .filter(([, result]) => !result.ok)
    .map(([name, result]) => `${name} is down (${result.error ?? 'no answer'})`);
  return down.length === 0 ? { status: 'ok', message: 'all dependencies answer', checks } : { status: 'unavailable', message: down.join('; '), checks };
}
