// Cached GET /leaderboard throughput: the API server (bench/apiHarness.ts, 100 teams by default) in its
// own process, autocannon as the client, loopback only. Target: ≥ 5,000 requests/s on a 2-core machine.
// Run with: npm run bench:api   Prints one JSON object.
import autocannon from 'autocannon';
import { round, startHarness } from './apiProcess.ts';

const DURATION_S = Number(process.env.DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);

const harness = await startHarness({ TEAMS: process.env.TEAMS ?? '100' });
try {
  const url = `${harness.info.url}/leaderboard`;
  const probe = await fetch(url);
  const body = await probe.text();
  if (probe.status !== 200) throw new Error(`GET /leaderboard answered ${probe.status}: ${body.slice(0, 200)}`);
  // A short warm-up, then the measured run.
  await autocannon({ url, connections: CONNECTIONS, duration: 2 });
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, pipelining: 1 });
  const output = {
    benchmark: 'GET /leaderboard (cached)',
    teams: harness.info.teams,
    responseBytes: Buffer.byteLength(body),
    connections: CONNECTIONS,
    durationS: DURATION_S,
    requestsPerSecond: { mean: round(result.requests.average), p50: result.requests.p50, min: result.requests.min },
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    target: { requestsPerSecond: 5_000, met: result.requests.average >= 5_000 },
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
} finally {
  await harness.stop();
}
