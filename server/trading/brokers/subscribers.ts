import type { BrokerOrderState, Fill } from '../types.ts';

type FillListener = (fill: Fill) => void;
type UpdateListener = (state: BrokerOrderState) => void;

/**
 * The `onFill` / `onOrderUpdate` half of every Broker. Each listener gets its own copy (one
 * cannot change what the next sees), and a listener that throws does not keep the event from the
 * others: its error goes to `onListenerError`, or, without one, is rethrown after all have run.
 */
export class BrokerSubscribers {
  readonly #fills = new Set<FillListener>();
  readonly #updates = new Set<UpdateListener>();
  readonly #onListenerError: ((error: unknown, event: Fill | BrokerOrderState) => void) | undefined;

  constructor(onListenerError?: (error: unknown, event: Fill | BrokerOrderState) => void) {
    this.#onListenerError = onListenerError;
  }

  onFill(listener: FillListener): () => void {
    this.#fills.add(listener);
    return () => this.#fills.delete(listener);
  }

  onOrderUpdate(listener: UpdateListener): () => void {
    this.#updates.add(listener);
    return () => this.#updates.delete(listener);
  }

  emitFill(fill: Fill): void {
    this.#deliver(this.#fills, fill);
  }

  emitUpdate(state: BrokerOrderState): void {
    this.#deliver(this.#updates, state);
  }

  clear(): void {
    this.#fills.clear();
    this.#updates.clear();
  }

  #deliver<E extends Fill | BrokerOrderState>(listeners: ReadonlySet<(event: E) => void>, event: E): void {
    const errors: unknown[] = [];
    for (const listener of listeners) {
      try {
        listener({ ...event });
      } catch (error) {
        if (this.#onListenerError) this.#onListenerError(error, event);
        else errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} broker listeners threw`);
  }
}
