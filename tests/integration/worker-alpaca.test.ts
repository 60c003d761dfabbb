import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minuteStamp } from '../../server/tick/minuteId.ts';
import { FakeAlpaca } from '../fixtures/fakeAlpaca/index.ts';
import { createTickFixture, enqueueMinute, minuteAt, startWorkerProcess, stopWorkerProcess, teamTruth, waitForTick, type TickFixture, type WorkerProcess } from './tick/support.ts';

/**
 * A `qtc worker` process on a registry that names Alpaca as the broker trades on Alpaca (here the fake),
 * exactly as `qtc all`'s own worker does: its orders reach Alpaca, its fills come from Alpaca's stream,
 * and nothing is filled by the simulated broker. Without keys it refuses to start.
 */

let fixture: TickFixture;
let fake: FakeAlpaca;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  fixture = await createTickFixture({ teams: ['alpha'] });
  const yaml = readFileSync(fixture.registryFile, 'utf8');
  const marketLine = '  marketData: { source: simulator, seed: 7 }\n';
  if (!yaml.includes(marketLine)) throw new Error('the tick fixture registry changed: update this test');
  // Per-team submission (each team's own client order id at Alpaca); netted execution has its own tests.
  writeFileSync(fixture.registryFile, yaml.replace(marketLine, `${marketLine}  broker: { kind: alpaca }\n  execution: per-team\n`));
  fake = await FakeAlpaca.start({ prices: { SPY: 500, QQQ: 400 } });
}, 60_000);

afterAll(async () => {
  for (const worker of workers) await stopWorkerProcess(worker);
  await fake?.close();
  await fixture?.close();
});

describe('qtc worker with competition.broker.kind: alpaca', { timeout: 120_000 }, () => {
  it('refuses to start without Alpaca keys', async () => {
    const worker = startWorkerProcess(fixture, { ALPACA_KEY_ID: '', ALPACA_SECRET_KEY: '', LOG_LEVEL: 'warn' });
    workers.push(worker);
    expect(await worker.exit).not.toBe(0);
    expect(worker.output()).toMatch(/^qtc: team_registry\.yaml asks for Alpaca .* ALPACA_KEY_ID \/ ALPACA_SECRET_KEY are not set$/m);
  });

  it('sends its orders to Alpaca and books the fills Alpaca streams, none simulated', async () => {
    const worker = startWorkerProcess(fixture, {
      ALPACA_KEY_ID: fake.keyId,
      ALPACA_SECRET_KEY: fake.secretKey,
      ALPACA_TRADING_URL: fake.url,
      ALPACA_DATA_URL: fake.url,
      ALPACA_STREAM_URL: fake.streamUrl,
    });
    workers.push(worker);
    await worker.waitFor('tick worker ready');
    expect(worker.output()).toContain('connected to Alpaca');

    for (const index of [0, 1]) {
      await enqueueMinute(fixture, minuteAt(index));
      const tick = await waitForTick(fixture.pool, minuteAt(index));
      expect(tick.status, JSON.stringify(tick.errors)).toBe('completed');
      // The buy of minute 0 must be filled (by Alpaca's stream) before minute 1's strategy sells.
      if (index === 0) await expect.poll(async () => (await teamTruth(fixture.pool, 'alpha', 100_000)).fills.length, { timeout: 10_000 }).toBe(1);
    }
    await expect.poll(async () => (await teamTruth(fixture.pool, 'alpha', 100_000)).fills.length, { timeout: 10_000 }).toBe(2);

    const buy = `t-alpha-${minuteStamp(minuteAt(0))}-1`;
    const sell = `t-alpha-${minuteStamp(minuteAt(1))}-1`;
    expect(fake.exchanges.filter((e) => e.operation === 'postOrder' && e.status === 200)).toHaveLength(2);
    expect([fake.book.byClientId(buy)?.status, fake.book.byClientId(sell)?.status]).toEqual(['filled', 'filled']);

    const truth = await teamTruth(fixture.pool, 'alpha', 100_000);
    // The adapter names an execution `<Alpaca order id>:<cumulative quantity>`; simulated fills are `sim-…`.
    const alpacaExecutions = new Set(fake.book.executions.map((execution) => `${execution.orderId}:${String(execution.cumQty)}`));
    expect(truth.fills.map((fill) => [fill.clientOrderId, fill.side, fill.quantity, fill.price])).toEqual([
      [buy, 'buy', 2, '500.0000'],
      [sell, 'sell', 1, '500.0000'],
    ]);
    expect(truth.fills.every((fill) => alpacaExecutions.has(fill.executionId))).toBe(true);
    expect(truth.fills.filter((fill) => fill.executionId.startsWith('sim-'))).toEqual([]);
    expect(truth.book.positions).toEqual({ SPY: 1 });
    expect(truth.book.cash).toBe(truth.fromFills.cash);
  });
});
