// The sandbox reads its process's resident memory around every team's call (memory outside the V8
// heap is attributed that way). This compares the reading it uses (pread of /proc/self/statm on a
// kept file descriptor) with Node's process.memoryUsage.rss() in the same run, as a ratio.
// Run with: npm run bench:rss-probe   Prints one JSON object.
import { RssProbe } from '../sandbox/child/rssProbe.ts';

const ROUNDS = 5;
const CALLS = 20_000;

function microsPerCall(read: () => number): number {
  let sink = 0;
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) sink += read();
  const elapsed = performance.now() - started;
  if (sink < 0) throw new Error('unreachable');
  return (elapsed * 1000) / CALLS;
}

const probe = new RssProbe();
const probeUs: number[] = [];
const nodeUs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  probeUs.push(microsPerCall(() => probe.read()));
  nodeUs.push(microsPerCall(() => process.memoryUsage.rss()));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round3 = (value: number) => Math.round(value * 1000) / 1000;
const ours = median(probeUs);
const node = median(nodeUs);
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'resident memory reading per call',
      calls: CALLS,
      rounds: ROUNDS,
      rssProbeMicros: round3(ours),
      processMemoryUsageRssMicros: round3(node),
      speedupVsNode: round3(node / ours),
      readingsAgreeWithinMb: round3(Math.abs(probe.read() - process.memoryUsage.rss()) / 2 ** 20),
    },
    null,
    2,
  )}\n`,
);
