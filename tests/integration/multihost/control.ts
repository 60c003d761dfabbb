// Runs inside the test's control namespace (multihost.test.ts): the control role's registry code
// (leader lock, team_registry.yaml published to Postgres) plus the scheduler's part of a minute (adding
// its flow), driven by the test over stdin so the test itself never talks to Postgres or Redis and all
// traffic stays inside the namespaces. Replies are lines starting with "@@ " (JSON).
import { createInterface } from 'node:readline';
import { FlowProducer } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool } from '../../../data/postgres/pool.ts';
import { recordVersion } from '../../../loaders/activation/index.ts';
import { openRegistry } from '../../../registry/role.ts';
import { Lifecycle } from '../../../server/lifecycle.ts';
import { tickFlow } from '../../../server/tick/queue.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const TRADER = `var __qtcStrategy = (() => {
class Strategy {
  generateSignal(team) {
    team.memory.calls = (team.memory.calls ?? 0) + 1;
    const held = team.positions.SPY?.quantity ?? 0;
    if (team.memory.calls % 2 === 1) return { symbol: 'SPY', action: 'buy', quantity: 2, reason: 'odd call' };
    if (held > 0) return { symbol: 'SPY', action: 'sell', quantity: 1, reason: 'even call' };
    return null;
  }
}
return { default: Strategy };
})();
`;

const reply = (value: unknown) => process.stdout.write(`@@ ${JSON.stringify(value)}\n`);

const pool = createPgPool({ url: env('DATABASE_URL'), max: 4, connectTimeoutMs: 10_000 });
await migrateUp(pool);
const lifecycle = new Lifecycle();
const logger = pino({ level: 'info' }, pino.destination(2));
const registry = await openRegistry({ pool, logger, lifecycle, control: true, file: env('QTC_REGISTRY_FILE') });
for (const [index, team] of registry.current().teams.entries()) {
  await recordVersion(pool, {
    teamId: team.id,
    commit: { sha: (index + 1).toString(16).padStart(40, 'a'), authorName: 'T', authorEmail: 't@example.org', committedAt: new Date(), message: 'strategy' },
    source: { repo: team.repo, branch: 'main', path: '.', entry: null },
    timings: {},
    outcome: { ok: true, compiled: { code: TRADER, sourceMap: '', filename: 'strategy.bundle.js' } },
  });
}
const redis = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null });
const producer = new FlowProducer({ connection: redis, prefix: `${env('QTC_REDIS_PREFIX')}:bull` });
reply({ ready: true, teams: registry.current().teams.map((team) => team.id) });
const streams = new Map<string, { text: string; abort: AbortController }>();

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { cmd: string; minute?: number; shards?: number; url?: string; key?: string };
  try {
    if (command.cmd === 'enqueue') {
      await producer.add(tickFlow(command.minute!, command.shards ?? 1, 'simulated'));
      reply({ ok: true });
    } else if (command.cmd === 'tick') {
      const tick = await pool.query<{ status: string; attempts: number }>('SELECT status, attempts FROM ticks WHERE minute = $1', [new Date(command.minute!)]);
      const shards = await pool.query<{ worker: string }>('SELECT worker FROM tick_shards WHERE minute = $1 ORDER BY shard', [new Date(command.minute!)]);
      reply({ ok: true, tick: tick.rows[0] ?? null, workers: shards.rows.map((row) => row.worker) });
    } else if (command.cmd === 'books') {
      const orders = await pool.query<{ team_id: string; orders: number }>('SELECT team_id, count(*)::int AS orders FROM orders GROUP BY team_id ORDER BY team_id');
      const fills = await pool.query<{ team_id: string; fills: number }>(
        'SELECT o.team_id, count(*)::int AS fills FROM fills f JOIN orders o USING (client_order_id) GROUP BY o.team_id ORDER BY o.team_id',
      );
      const memory = await pool.query<{ team_id: string; calls: number }>(`SELECT team_id, (memory->>'calls')::int AS calls FROM team_memory ORDER BY team_id`);
      reply({ ok: true, orders: orders.rows, fills: fills.rows, memory: memory.rows });
    } else if (command.cmd === 'sse-open') {
      // Reads a Server-Sent Events stream in the background; 'sse-read' returns what arrived so far.
      const stream = { text: '', abort: new AbortController() };
      streams.set(command.key!, stream);
      const response = await fetch(command.url!, { signal: stream.abort.signal, headers: { accept: 'text/event-stream' } });
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of response.body!) stream.text += decoder.decode(chunk as Uint8Array, { stream: true });
      })().catch(() => undefined);
      reply({ ok: true, status: response.status });
    } else if (command.cmd === 'sse-read') {
      reply({ ok: true, text: streams.get(command.key!)?.text ?? '' });
    } else if (command.cmd === 'get') {
      const response = await fetch(command.url!);
      reply({ ok: true, status: response.status, body: await response.text() });
    } else {
      reply({ ok: false, error: `unknown command ${command.cmd}` });
    }
  } catch (error) {
    reply({ ok: false, error: String(error) });
  }
}
for (const stream of streams.values()) stream.abort.abort();
await producer.close();
redis.disconnect();
await lifecycle.closeAll();
await pool.end();
