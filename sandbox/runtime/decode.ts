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
// team.positions is a fresh plain object every call, built like currentPrices: a private template
// with the same keys, cloned, its values written. The held symbols rarely change from one minute to
// the next, and defining each key anew (a runtime call per key) cost more than the rest of a call's
// decoding for a team holding ten symbols.
let positionKeys: number[] = [];
let positionNames: string[] = [];
let positionTemplate: Record<string, unknown> = {};
/**
 * The team's positions from `count` (symbol index, quantity, average cost) triples at `data[at]`, in
 * the host's key order.
 */
export function readPositions(data: Float64Array, at: number, count: number): Record<string, { quantity: number | null; avgCost: number | null }> {
  let same = count === positionKeys.length;
  for (let i = 0; same && i < count; i++) if (positionKeys[i] !== data[at + 3 * i]) same = false;
  if (!same) {
    positionKeys = [];
    positionNames = [];
    positionTemplate = {};
    for (let i = 0; i < count; i++) {
      positionKeys[i] = data[at + 3 * i]!;
      positionNames[i] = symbolNames[data[at + 3 * i]!]!;
      defineOwn(positionTemplate, positionNames[i]!, null);
    }
  }
  const positions = { ...positionTemplate } as Record<string, { quantity: number | null; avgCost: number | null }>;
  for (let i = 0; i < count; i++) {
    positions[positionNames[i]!] = { quantity: jsonNumber(data[at + 3 * i + 1]!), avgCost: jsonNumber(data[at + 3 * i + 2]!) };
  }
  return positions;
}
