import { AlpacaBroker, type AlpacaBrokerOptions } from '../../../server/trading/brokers/alpaca/alpacaBroker.ts';
import { toMoney } from '../../../server/trading/money.ts';
import type { BrokerOrderState, Fill, OrderIntent } from '../../../server/trading/types.ts';
import { FakeAlpaca, type FakeAlpacaOptions } from '../../fixtures/fakeAlpaca/index.ts';
import { silentLog } from '../../support/silentLog.ts';

/** Polls a condition (no timing assertion: the test fails only if it never becomes true). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface BrokerHarness {
  fake: FakeAlpaca;
  broker: AlpacaBroker;
  fills: Fill[];
  updates: BrokerOrderState[];
  close: () => Promise<void>;
}

export async function startHarness(fakeOptions: FakeAlpacaOptions = {}, brokerOptions: Partial<AlpacaBrokerOptions> = {}): Promise<BrokerHarness> {
  const fake = await FakeAlpaca.start({ prices: { SPY: 500, AAPL: 200.5, MSFT: 101.2345 }, ...fakeOptions });
  const broker = await AlpacaBroker.connect({
    keyId: fake.keyId,
    secretKey: fake.secretKey,
    paper: true,
    tradingUrl: fake.url,
    streamUrl: fake.streamUrl,
    logger: silentLog,
    requestTimeoutMs: 2_000,
    reconnect: { initialMs: 20, maxMs: 100 },
    catchUpRetryMs: 50,
    listenTimeoutMs: 5_000,
    ...brokerOptions,
  });
  const fills: Fill[] = [];
  const updates: BrokerOrderState[] = [];
  broker.onFill((fill) => fills.push(fill));
  broker.onOrderUpdate((state) => updates.push(state));
  return {
    fake,
    broker,
    fills,
    updates,
    close: async () => {
      await broker.close();
      await fake.close();
    },
  };
}

let sequence = 0;

export function intent(overrides: Partial<OrderIntent> = {}): OrderIntent {
  sequence += 1;
  return {
    clientOrderId: `t-alpha-202507081431-${String(sequence)}`,
    teamId: 'alpha',
    minute: Date.UTC(2025, 6, 8, 14, 31),
    seq: sequence,
    symbol: 'SPY',
    side: 'buy',
    quantity: 10,
    type: 'market',
    limitPrice: null,
    referencePrice: toMoney(500),
    reason: null,
    ...overrides,
  };
}
