// 1,000 concurrent SSE clients of GET /activity/stream: every "tick" publishes a burst of activity
// events (trades, then the tick and leaderboard events) to the Redis Stream; each client records when
// each event arrives. Delivery latency = arrival − publish time (one clock: all on this machine).
// Target: every client gets each tick's events within 500 ms. Run with: npm run bench:sse
// Prints one JSON object.
import http from 'node:http';
import { connectRedis, createRedis } from '../data/redis/client.ts';
import { publishActivities } from '../server/live/activity.ts';
import type { ActivityEvent } from '../server/live/events.ts';
import { quantile, round, startHarness } from './apiProcess.ts';

const CLIENTS = Number(process.env.CLIENTS ?? 1_000);
const TICKS = Number(process.env.TICKS ?? 10);
const EVENTS_PER_TICK = Number(process.env.EVENTS_PER_TICK ?? 20);
const TICK_INTERVAL_MS = Number(process.env.TICK_INTERVAL_MS ?? 1_000);
const TARGET_MS = 500;

interface Client {
  /** Per tick: arrival time of the tick's last event. */
  tickDone: Map<number, number>;
  received: number;
  request: http.ClientRequest;
}

function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client: Client = { tickDone: new Map(), received: 0, request: null as unknown as http.ClientRequest };
    client.request = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`SSE answered ${String(response.statusCode)}`));
        return;
      }
      response.setEncoding('utf8');
      let buffer = '';
      response.on('data', (chunk: string) => {
        const now = performance.timeOrigin + performance.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const dataLine = frame.split('\n').find((line) => line.startsWith('data: '));
          if (!dataLine) continue;
          const view = JSON.parse(dataLine.slice(6)) as { event: ActivityEvent };
          client.received += 1;
          if (view.event.type === 'tick') client.tickDone.set(view.event.minute, now);
        }
      });
      resolve(client);
    });
    client.request.on('error', reject);
  });
}

const harness = await startHarness({ TEAMS: '10' });
const redis = createRedis(harness.info.redisUrl);
await connectRedis(redis, 10_000);
const clients: Client[] = [];
try {
  const url = `${harness.info.url}/activity/stream`;
  for (let i = 0; i < CLIENTS; i += 50) clients.push(...(await Promise.all(Array.from({ length: Math.min(50, CLIENTS - i) }, () => connect(url)))));
  // Let every connection finish its handshake with the server's hub.
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  const publishedAt = new Map<number, number>();
  for (let tick = 0; tick < TICKS; tick += 1) {
    const at = performance.timeOrigin + performance.now();
    const minute = Date.UTC(2025, 6, 8, 13, 30) + tick * 60_000;
    const events: ActivityEvent[] = [];
    for (let i = 0; i < EVENTS_PER_TICK - 2; i += 1) {
      events.push({ type: 'trade', at: Math.round(at), teamId: `team-${i}`, symbol: 'SPY', side: 'buy', quantity: 1 + i, price: 500.25, clientOrderId: `t-${tick}-${i}` });
    }
    events.push({ type: 'leaderboard', at: Math.round(at), minute, top: [{ rank: 1, teamId: 'team-0', equity: 100_000, totalReturn: 0 }] });
    // The tick event goes last: its arrival means the whole burst arrived (one stream, in order).
    events.push({ type: 'tick', at: Math.round(at), minute, teams: 10, durationMs: 1, stages: {} });
    publishedAt.set(minute, at);
    await publishActivities(redis, events, harness.info.activityStream);
    await new Promise((resolve) => setTimeout(resolve, TICK_INTERVAL_MS));
  }
  await new Promise((resolve) => setTimeout(resolve, 2_000));

  const latencies: number[] = [];
  let missing = 0;
  const perTickP99: number[] = [];
  for (const [minute, at] of publishedAt) {
    const tickLatencies: number[] = [];
    for (const client of clients) {
      const done = client.tickDone.get(minute);
      if (done === undefined) missing += 1;
      else tickLatencies.push(done - at);
    }
    latencies.push(...tickLatencies);
    perTickP99.push(round(quantile(tickLatencies, 0.99)));
  }
  const within = latencies.filter((latency) => latency <= TARGET_MS).length;
  const output = {
    benchmark: 'GET /activity/stream (SSE) fan-out',
    clients: CLIENTS,
    ticks: TICKS,
    eventsPerTick: EVENTS_PER_TICK,
    deliveriesExpected: CLIENTS * TICKS,
    deliveriesMissing: missing,
    eventsReceived: clients.reduce((sum, client) => sum + client.received, 0),
    tickDeliveryLatencyMs: {
      p50: round(quantile(latencies, 0.5)),
      p95: round(quantile(latencies, 0.95)),
      p99: round(quantile(latencies, 0.99)),
      max: round(Math.max(...latencies)),
    },
    p99PerTickMs: perTickP99,
    withinTargetFraction: round(within / (CLIENTS * TICKS), 4),
    target: { ms: TARGET_MS, met: missing === 0 && within === CLIENTS * TICKS },
  };
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
} finally {
  for (const client of clients) client.request.destroy();
  redis.disconnect();
  await harness.stop();
}
