import { describe, expect, it } from 'vitest';
import { dueLiveMinute, nextLiveDueAt, nextSessionMinute, pacedAt, sessionMinuteAtOrAfter } from '../../../server/scheduler/clocks.ts';
import { minuteStamp, parseMinuteStamp, shardJobId, tickJobId } from '../../../server/tick/minuteId.ts';

const utc = (iso: string): number => Date.parse(iso);

describe('minute ids', () => {
  it('derive the job ids from the UTC minute and parse back', () => {
    const minute = utc('2025-07-08T13:31:00Z');
    expect(tickJobId(minute)).toBe('tick-202507081331');
    expect(shardJobId(minute, 1, 4)).toBe('tick-202507081331-s1of4');
    expect(parseMinuteStamp(minuteStamp(minute))).toBe(minute);
    expect(parseMinuteStamp('202502301200')).toBeNull(); // 30 February
    expect(() => minuteStamp(minute + 1)).toThrow(RangeError);
  });
});

describe('market clocks', () => {
  it('walk regular-session minutes: the close, the night, a weekend and a holiday are skipped', () => {
    // Thursday 2025-07-03 is a half day (closes 13:00 New York = 17:00Z); Friday 07-04 a holiday.
    expect(nextSessionMinute(utc('2025-07-03T16:58:00Z'))).toBe(utc('2025-07-03T16:59:00Z'));
    expect(nextSessionMinute(utc('2025-07-03T16:59:00Z'))).toBe(utc('2025-07-07T13:30:00Z'));
    // A full day's last minute is 15:59 New York (19:59Z in summer); the next is the next morning's open.
    expect(nextSessionMinute(utc('2025-07-08T19:59:00Z'))).toBe(utc('2025-07-09T13:30:00Z'));
    expect(sessionMinuteAtOrAfter(utc('2025-07-05T10:00:00Z'))).toBe(utc('2025-07-07T13:30:00Z'));
    expect(sessionMinuteAtOrAfter(utc('2025-07-08T13:45:20Z'))).toBe(utc('2025-07-08T13:46:00Z'));
    // Winter: New York is UTC-5.
    expect(sessionMinuteAtOrAfter(utc('2025-12-24T18:30:00Z'))).toBe(utc('2025-12-26T14:30:00Z'));
  });

  it('makes a live minute due once it has closed plus the delay, only inside sessions', () => {
    const open = utc('2025-07-08T13:30:00Z');
    expect(dueLiveMinute(open + 60_000 + 4_999, 5_000)).toBeNull(); // 13:29 is before the open
    expect(dueLiveMinute(open + 60_000 + 5_000, 5_000)).toBe(open);
    expect(dueLiveMinute(open + 119_000, 5_000)).toBe(open);
    expect(dueLiveMinute(open + 125_000, 5_000)).toBe(open + 60_000);
    expect(dueLiveMinute(utc('2025-07-04T15:00:00Z'), 5_000)).toBeNull(); // holiday
    expect(nextLiveDueAt(open, 5_000)).toBe(open + 60_000 + 60_000 + 5_000);
    expect(nextLiveDueAt(utc('2025-07-03T16:59:00Z'), 0)).toBe(utc('2025-07-07T13:31:00Z'));
  });

  it('paces simulated and replayed minutes on real time', () => {
    expect(pacedAt(1_000, 0, 2_000)).toBe(1_000);
    expect(pacedAt(1_000, 3, 2_000)).toBe(7_000);
  });
});
