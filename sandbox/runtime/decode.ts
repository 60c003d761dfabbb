// The minute's prices and the team's positions, decoded from the numbers the host passes.
import { NumberIsFinite } from './intrinsics.ts';
import { symbolNames } from './symbols.ts';
import { defineOwn } from './text.ts';

// currentPrices and team.positions are fresh plain objects every call. Cloning a private template
// with the same keys (built with own data properties) and overwriting its values is several times
// cheaper than adding hundreds of keys one by one; the keys rarely change from one minute to the
// next. For positions, defining each key anew (a runtime call per key) cost more than the rest of a
// call's decoding for a team holding ten symbols.
class KeyTemplate {
  /** The symbol indices of the keys, and their names. */
  keys: number[] = [];
  names: string[] = [];
  object: Record<string, unknown> = {};
  readonly #initial: unknown;

  constructor(initial: unknown) {
    this.#initial = initial;
  }

  /** Makes the template's keys those of the `count` symbol indices at data[at], data[at + stride], … */
  update(data: Float64Array, at: number, count: number, stride: number): void {
    let same = count === this.keys.length;
    for (let i = 0; same && i < count; i++) if (this.keys[i] !== data[at + stride * i]) same = false;
    if (same) return;
    this.keys = [];
    this.names = [];
    this.object = {};
    for (let i = 0; i < count; i++) {
      this.keys[i] = data[at + stride * i]!;
      this.names[i] = symbolNames[data[at + stride * i]!]!;
      defineOwn(this.object, this.names[i]!, this.#initial);
    }
  }
}

// NaN, not 0: a field that starts as a small integer and then receives a fraction makes V8 migrate
// the object once per field (quadratic: ~250 ms for 400 symbols).
const priceTemplate = new KeyTemplate(NaN);
/** The minute's prices from `count` (symbol index, price) pairs at `data[at]`, in the host's key order. */
export function readPrices(data: Float64Array, count: number, at: number): Record<string, number> {
  priceTemplate.update(data, at, count, 2);
  const names = priceTemplate.names;
  const prices = { ...priceTemplate.object } as Record<string, number>;
  for (let i = 0; i < count; i++) prices[names[i]!] = data[at + 2 * i + 1]!;
  return prices;
}

const positionTemplate = new KeyTemplate(null);
/**
 * The team's positions from `count` (symbol index, quantity, average cost) triples at `data[at]`, in
 * the host's key order.
 */
export function readPositions(data: Float64Array, count: number, at: number): Record<string, { quantity: number | null; avgCost: number | null }> {
  positionTemplate.update(data, at, count, 3);
  const names = positionTemplate.names;
  const positions = { ...positionTemplate.object } as Record<string, { quantity: number | null; avgCost: number | null }>;
  for (let i = 0; i < count; i++) {
    positions[names[i]!] = { quantity: jsonNumber(data[at + 3 * i + 1]!), avgCost: jsonNumber(data[at + 3 * i + 2]!) };
  }
  return positions;
}

// A number as the JSON round trip the team's state used to take gives it: -0 becomes 0, and a
// non-finite number null.
export function jsonNumber(v: number): number | null {
  return NumberIsFinite(v) ? v + 0 : null;
}
