/**
 * A test-only pause inside the tick, so a test can SIGKILL a real worker at a known point of a minute
 * (and prove the next worker completes it without a duplicate order or a lost fill).
 *
 * `QTC_TICK_PAUSE_AT=<point>@<yyyyMMddHHmm>` makes the worker, on reaching `point` while working on that
 * minute, write `qtc-tick-paused <point> <yyyyMMddHHmm>` on stderr and wait forever (its BullMQ lock
 * keeps being renewed, so only killing the process hands the job to another worker). Unset in
 * production; nothing else reads it.
 *
 * Points: `after-fills` (fills of the minute applied, the minute not yet marked prepared),
 * `after-runs` (strategies run and their decisions stored, intents not yet in the ledger),
 * `after-intents` (intents durable, not submitted), `before-books` (shards done, books not written).
 */
import { minuteStamp } from './minuteId.ts';

export const PAUSE_POINTS = ['after-fills', 'after-runs', 'after-intents', 'before-books'] as const;
export type PausePoint = (typeof PAUSE_POINTS)[number];

export interface PauseSpec {
  point: PausePoint;
  stamp: string;
}

export function parsePauseSpec(value: string | undefined): PauseSpec | null {
  if (value === undefined || value === '') return null;
  const [point, stamp] = value.split('@');
  if (!PAUSE_POINTS.includes(point as PausePoint) || stamp === undefined || !/^\d{12}$/.test(stamp)) {
    throw new Error(`QTC_TICK_PAUSE_AT must be <point>@<yyyyMMddHHmm> with point one of ${PAUSE_POINTS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return { point: point as PausePoint, stamp };
}

export type PauseHook = (point: PausePoint, minute: number) => Promise<void>;

export const noPause: PauseHook = () => Promise.resolve();

/** The hook the worker calls at each point: waits forever at the configured one, returns at once elsewhere. */
export function pauseHookFrom(spec: PauseSpec | null, write: (line: string) => void = (line) => process.stderr.write(line)): PauseHook {
  if (spec === null) return noPause;
  return (point, minute) => {
    if (point !== spec.point || minuteStamp(minute) !== spec.stamp) return Promise.resolve();
    write(`qtc-tick-paused ${point} ${spec.stamp}\n`);
    return new Promise<void>(() => undefined);
  };
}
