// The sandbox's per-call memory guard reads the process's resident size through RssProbe: the
// kernel's figure (/proc/self/statm on Linux, Node's call elsewhere), parsed without allocating.
import { describe, expect, it } from 'vitest';
import { residentPages, RssProbe } from '../../../sandbox/child/rssProbe.ts';

const MB = 2 ** 20;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('RssProbe', () => {
  it('parses the resident pages, the second field of statm', () => {
    const line = bytes('1234567 89012 3456 789 0 12345 0\n');
    expect(residentPages(line, line.length)).toBe(89012);
    // Only the bytes read count (the buffer is reused and may hold an older, longer line).
    const reused = bytes('20 7 1 1 0 1 0\n0 45 2\n');
    expect(residentPages(reused, 15)).toBe(7);
    expect(residentPages(bytes('42'), 2)).toBe(0);
    expect(residentPages(bytes(''), 0)).toBe(0);
  });

  it('reads the resident size Node reports, and follows memory the process touches', () => {
    const probe = new RssProbe();
    const before = probe.read();
    const node = process.memoryUsage.rss();
    expect(Number.isInteger(before)).toBe(true);
    // Taken a moment apart: the two may differ by what the process touched in between.
    expect(Math.abs(before - node)).toBeLessThan(8 * MB);
    const touched = Buffer.alloc(64 * MB, 1);
    const after = probe.read();
    expect(after - before).toBeGreaterThan(48 * MB);
    expect(touched.at(-1)).toBe(1);
  });
});
