// The minute's prices and the team's positions, decoded from the numbers the host passes.
import { NumberIsFinite } from './intrinsics.ts';
import { symbolNames } from './symbols.ts';
import { defineOwn } from './text.ts';

// currentPrices is a fresh plain object every call. Cloning a private template with the same
// keys (built with own data properties) and overwriting its values is several times cheaper
// than adding hundreds of keys one by one; the keys rarely change from one minute to the next.
let priceKeys: number[] = [];
let priceNames: string[] = [];
let priceTemplate: Record<string, number> = {};
export function readPrices(data: Float64Array, count: number, at: number): Record<string, number> {
  let same = count === priceKeys.length;
  for (let i = 0; same && i < count; i++) if (priceKeys[i] !== data[at + 2 * i]) same = false;
  if (!same) {
    priceKeys = [];
    priceNames = [];
    priceTemplate = {};
    for (let i = 0; i < count; i++) {
      priceKeys[i] = data[at + 2 * i]!;
      priceNames[i] = symbolNames[data[at + 2 * i]!]!;
      // NaN, not 0: a field that starts as a small integer and then receives a fraction makes
      // V8 migrate the object once per field (quadratic: ~250 ms for 400 symbols).
      defineOwn(priceTemplate, priceNames[i]!, NaN);
    }
  }
  const prices = { ...priceTemplate };
  for (let i = 0; i < count; i++) prices[priceNames[i]!] = data[at + 2 * i + 1]!;
  return prices;
}

// A number as the JSON round trip the team's state used to take gives it: -0 becomes 0, and a
// non-finite number null.
export function jsonNumber(v: number): number | null {
  return NumberIsFinite(v) ? v + 0 : null;
}
/** The team's positions from (symbol index, quantity, average cost) triples, in the host's key order. */
export function readPositions(triples: number[]): Record<string, { quantity: number | null; avgCost: number | null }> {
  const positions = {};
  for (let i = 0; i + 2 < triples.length; i += 3) {
    defineOwn(positions, symbolNames[triples[i]!]!, { quantity: jsonNumber(triples[i + 1]!), avgCost: jsonNumber(triples[i + 2]!) });
  }
  return positions;
}
