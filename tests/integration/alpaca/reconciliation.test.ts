/**
 * Reconciliation on a schedule against the fake Alpaca: after the streamed fills are recorded, the
 * account's positions are compared with the sum of the team books, the report is stored with how long
 * each difference has lasted, news goes to the activity stream, and /metrics shows the mismatches.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReconciler, type ReconciliationNews } from '../../../server/reconciliation/reconciler.ts';
import { registerReconciliationMetrics } from '../../../server/reconciliation/metrics.ts';
import { createOrderRouter, type OrderRouter } from '../../../server/trading/router/orderRouter.ts';
import { silentLog } from '../../support/silentLog.ts';
import { intentFor, MINUTE, openLedgerDatabase, type LedgerDatabase } from '../ledger/support.ts';
import { startHarness, waitFor, type BrokerHarness } from './support.ts';

let db: LedgerDatabase;
let harness: BrokerHarness;
let router: OrderRouter;

beforeAll(async () => {
  db = await openLedgerDatabase();
  await db.addTeam('alpha');
  await db.addTeam('beta');
  harness = await startHarness({ prices: { SPY: 100, AAPL: 200 } });
  router = createOrderRouter({ broker: harness.broker, ledger: db.ledger, limiter: { acquire: () => Promise.resolve() }, now: () => MINUTE + 30_000 });
  router.listen();
});
afterAll(async () => {
  await router?.close();
  await harness?.close();
  await db?.close();
});

describe('scheduled reconciliation against the fake Alpaca', () => {
  it('agrees once the streamed fills are recorded; flags a difference that stays, announcing it when it appears and when it becomes an alert', async () => {
    await db.ledger.recordIntents([intentFor('alpha', 1, { quantity: 3 }), intentFor('beta', 1, { quantity: 4 })]);
    const results = await router.submitPending();
    expect(results.map((result) => result.outcome)).toEqual(['submitted', 'submitted']);
    await waitFor(() => harness.fills.length === 2, 'the fills on the stream');

    const news: ReconciliationNews[] = [];
    const reconciler = createReconciler({
      broker: harness.broker,
      ledger: db.ledger,
      settled: () => router.idle(),
      announce: (item) => {
        news.push(item);
        return Promise.resolve();
      },
      log: silentLog,
      alertAfterRuns: 3,
    });
    const agreed = await reconciler.run('worker start');
    expect(agreed).toMatchObject({ broker: 'alpaca', discrepancies: [], brokerPositions: { SPY: 7 }, booksPositions: { SPY: 7 } });
    expect(await db.ledger.latestReconciliation()).toMatchObject({ id: agreed?.id, discrepancies: [] });

    // Someone trades the shared account outside the competition: 2 AAPL no team book holds.
    expect('id' in harness.fake.book.submit({ symbol: 'AAPL', qty: '2', side: 'buy', type: 'market', time_in_force: 'day', client_order_id: 'manual-order-1' })).toBe(true);
    const passes = [];
    for (let pass = 1; pass <= 4; pass++) passes.push(await reconciler.run(`minute ${String(pass)}`));
    expect(passes.map((report) => report?.discrepancies)).toEqual(
      [1, 2, 3, 4].map((runs) => [{ symbol: 'AAPL', kind: 'missing_locally', brokerQuantity: 2, booksQuantity: 0, consecutiveRuns: runs, alert: runs >= 3 }]),
    );
    expect(news.map((item) => [item.symbols, item.alerts])).toEqual([
      [['AAPL'], []],
      [['AAPL'], ['AAPL']],
    ]);
    const stored = await db.ledger.latestReconciliation();
    expect(stored?.discrepancies[0]).toMatchObject({ symbol: 'AAPL', alert: true, consecutiveRuns: 4 });

    const registry = new Registry();
    registerReconciliationMetrics(registry, db.pool);
    const text = await registry.metrics();
    expect(text).toContain('qtc_reconciliation_mismatched_symbols{broker="alpaca"} 1');
    expect(text).toContain('qtc_reconciliation_alert_symbols{broker="alpaca"} 1');
    expect(text).toMatch(/qtc_reconciliation_last_run_timestamp_seconds\{broker="alpaca"\} \d{10}/);
    await reconciler.close();
    expect(await reconciler.run('after close')).toBeNull();
  });

  it('a pass that cannot read the broker is logged and returns null, storing nothing', async () => {
    const before = await db.ledger.latestReconciliation();
    harness.fake.injectFault({ operation: 'getAllOpenPositions', respond: 500, times: 3 });
    const reconciler = createReconciler({ broker: harness.broker, ledger: db.ledger, settled: () => router.idle(), announce: () => Promise.resolve(), log: silentLog });
    expect(await reconciler.run('minute')).toBeNull();
    expect((await db.ledger.latestReconciliation())?.id).toBe(before?.id);
  });
});
