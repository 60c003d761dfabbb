/**
 * Where the netted venue keeps its groups: each (minute, symbol) group with its members (recorded before
 * its net order is sent), the net order's last known state at the broker, and the allocation (recorded
 * before it is applied). First write wins everywhere, so a retried or restarted pass re-derives nothing
 * differently. `MemoryNetStore` is a backtest's and the tests'; a Postgres one is what a live worker needs
 * to survive kill -9 (see README "Trading on Alpaca": not built yet).
 */
import { isTerminal } from '../portfolio/orderLifecycle.ts';
import type { BrokerOrderState, Fill } from '../types.ts';
import type { NetGroup } from './netting.ts';

export interface NetRecord {
  /** `<minute>|<symbol>` */
  key: string;
  group: NetGroup;
  /** The net order's last known state at the broker; null: not sent yet, or nothing to send. */
  state: BrokerOrderState | null;
  /** The members' fills, recorded before they are applied; null: not allocated yet. */
  allocation: Fill[] | null;
  settled: boolean;
}

export const groupKey = (minute: number, symbol: string): string => `${String(minute)}|${symbol}`;

export interface NetStore {
  /** Records the groups whose key is new; returns the stored record of every key given (first write wins). */
  recordGroups(groups: readonly NetGroup[]): Promise<NetRecord[]>;
  find(keys: readonly string[]): Promise<NetRecord[]>;
  /** A state of a net order; forward only (a late 'accepted' never overwrites 'filled'). Unknown ids are ignored (returns false). */
  recordNetState(state: BrokerOrderState): Promise<boolean>;
  /** First write wins; returns the stored allocation. */
  recordAllocation(key: string, fills: readonly Fill[]): Promise<Fill[]>;
  markSettled(key: string): Promise<void>;
  unsettled(): Promise<NetRecord[]>;
}

const RANK: Record<BrokerOrderState['status'], number> = { pending_submit: 0, accepted: 1, partially_filled: 2, filled: 3, canceled: 3, expired: 3, rejected: 3 };

/** Whether `next` is news about the net order whose last state is `previous`. */
export function isForward(previous: BrokerOrderState | null, next: BrokerOrderState): boolean {
  if (previous === null) return true;
  if (isTerminal(previous.status)) return false;
  return RANK[next.status] > RANK[previous.status] || (RANK[next.status] === RANK[previous.status] && next.filledQuantity > previous.filledQuantity);
}

export class MemoryNetStore implements NetStore {
  readonly #records = new Map<string, NetRecord>();
  readonly #byNetId = new Map<string, string>();

  recordGroups(groups: readonly NetGroup[]): Promise<NetRecord[]> {
    return Promise.resolve(
      groups.map((group) => {
        const key = groupKey(group.minute, group.symbol);
        let record = this.#records.get(key);
        if (record === undefined) {
          record = { key, group, state: null, allocation: null, settled: false };
          this.#records.set(key, record);
          if (group.netClientOrderId !== null) this.#byNetId.set(group.netClientOrderId, key);
        }
        return structuredClone(record);
      }),
    );
  }

  find(keys: readonly string[]): Promise<NetRecord[]> {
    return Promise.resolve(keys.flatMap((key) => (this.#records.has(key) ? [structuredClone(this.#records.get(key)!)] : [])));
  }

  recordNetState(state: BrokerOrderState): Promise<boolean> {
    const key = this.#byNetId.get(state.clientOrderId);
    const record = key === undefined ? undefined : this.#records.get(key);
    if (record === undefined) return Promise.resolve(false);
    if (isForward(record.state, state)) record.state = { ...state };
    return Promise.resolve(true);
  }

  recordAllocation(key: string, fills: readonly Fill[]): Promise<Fill[]> {
    const record = this.#records.get(key);
    if (record === undefined) return Promise.reject(new Error(`no net group ${key}`));
    record.allocation ??= fills.map((fill) => ({ ...fill }));
    return Promise.resolve(structuredClone(record.allocation));
  }

  markSettled(key: string): Promise<void> {
    const record = this.#records.get(key);
    if (record !== undefined) record.settled = true;
    return Promise.resolve();
  }

  unsettled(): Promise<NetRecord[]> {
    return Promise.resolve(
      [...this.#records.values()]
        .filter((record) => !record.settled)
        .sort((a, b) => a.group.minute - b.group.minute || (a.group.symbol < b.group.symbol ? -1 : a.group.symbol > b.group.symbol ? 1 : 0))
        .map((record) => structuredClone(record)),
    );
  }

  /** Every record, settled or not (tests, benchmark). */
  all(): NetRecord[] {
    return [...this.#records.values()].map((record) => structuredClone(record));
  }
}
