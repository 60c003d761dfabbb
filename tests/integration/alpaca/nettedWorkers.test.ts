/**
 * `competition.execution: netted` with real `qtc worker` processes trading through the fake Alpaca: only
 * net orders (`n-<minute>-<symbol>-<side>`) reach the account, each once; every team order is filled by its
 * allocation, applied once; a worker killed with SIGKILL mid-season is taken over by the other; the account's
 * positions equal the team books plus what the not yet allocated net orders filled, and, once every group is
 * settled, the team books alone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgNetStore } from '../../../server/ledger/netGroups.ts';
import { selectLatestReconciliationReport } from '../../../server/ledger/reconciliationReports.ts';
import { FakeAlpaca } from '../../fixtures/fakeAlpaca/index.ts';
import { createTickFixture, enqueueMinute, minuteAt, startWorkerProcess, stopWorkerProcess, waitForTick, type TickFixture, type WorkerProcess } from '../tick/support.ts';

let fixture: TickFixture;
let fake: FakeAlpaca;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  fixture = await createTickFixture({ teams: ['alpha', 'beta', 'gamma'] });
  const yaml = readFileSync(fixture.registryFile, 'utf8');
  const marketLine = '  marketData: { source: simulator, seed: 7 }\n';
  if (!yaml.includes(marketLine)) throw new Error('the tick fixture registry changed: update this test');
  writeFileSync(fixture.registryFile, yaml.replace(marketLine, `${marketLine}  broker: { kind: alpaca }\n  execution: netted\n`));
  fake = await FakeAlpaca.start({ prices: { SPY: 500, QQQ: 400 } });
}, 60_000);

afterAll(async () => {
  for (const worker of workers) await stopWorkerProcess(worker);
  await fake?.close();
  await fixture?.close();
});

async function positions(): Promise<{ account: number; books: number; unallocated: number; unsettled: number }> {
  const [{ books }] = (await fixture.pool.query<{ books: string | null }>("SELECT sum(quantity)::text AS books FROM team_positions WHERE symbol = 'SPY'")).rows as [
    { books: string | null },
  ];
  const records = await new PgNetStore(fixture.pool).all();
  let unallocated = 0;
  for (const record of records) {
    if (record.settled || record.state === null || record.group.side === null) continue;
    unallocated += (record.group.side === 'buy' ? 1 : -1) * record.state.filledQuantity;
  }
  const held = fake.book.holdings().find(([symbol]) => symbol === 'SPY')?.[1].qty ?? 0;
  return { account: Number(held), books: Number(books ?? 0), unallocated, unsettled: records.filter((record) => !record.settled).length };
}

describe('qtc workers with netted execution on one Alpaca account', { timeout: 180_000 }, () => {
  it('send one net order per minute and symbol, allocate it to the teams, and survive a kill -9', async () => {
    const env = { ALPACA_KEY_ID: fake.keyId, ALPACA_SECRET_KEY: fake.secretKey, ALPACA_TRADING_URL: fake.url, ALPACA_DATA_URL: fake.url, ALPACA_STREAM_URL: fake.streamUrl };
    for (let index = 0; index < 2; index++) {
      const worker = startWorkerProcess(fixture, env);
      workers.push(worker);
      await worker.waitFor('tick worker ready');
    }
    for (const index of [0, 1, 2, 3, 4, 5, 6]) {
      if (index === 3) {
        workers[0]!.child.kill('SIGKILL');
        await workers[0]!.exit;
      }
      await enqueueMinute(fixture, minuteAt(index));
      expect((await waitForTick(fixture.pool, minuteAt(index))).status).toBe('completed');
      const now = await positions();
      expect(now.account, JSON.stringify(now)).toBe(now.books + now.unallocated);
    }
    // Every order at the account is a net order, sent once, none refused.
    const posts = fake.exchanges.filter((exchange) => exchange.operation === 'postOrder');
    expect(posts.filter((post) => post.status !== 200)).toEqual([]);
    const ids = [...fake.book.orders.values()].map((order) => order.clientOrderId);
    expect(ids.every((id) => id.startsWith('n-'))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // Each team order of a settled group filled by one allocation fill.
    const records = (await new PgNetStore(fixture.pool).all()).filter((record) => record.settled);
    expect(records.length).toBeGreaterThan(2);
    for (const record of records) {
      for (const member of record.group.members) {
        const { rows } = await fixture.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM fills WHERE client_order_id = $1', [member.clientOrderId]);
        expect(rows[0]?.n, member.clientOrderId).toBe('1');
      }
    }
    const final = await positions();
    expect(final.account).toBe(final.books + final.unallocated);
    // Reconciliation counts what the net orders filled and is not allocated yet: no difference, no alert.
    await expect.poll(async () => (await selectLatestReconciliationReport(fixture.pool))?.discrepancies, { timeout: 10_000 }).toEqual([]);
  });
});
