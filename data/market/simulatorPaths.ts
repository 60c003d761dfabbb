import type { IntradayShape } from './simulatorProfile.ts';
import type { SeededRandom } from './simulatorRandom.ts';

/**
 * One session's shocks of one unit factor, minute by minute, pinned to a given session total.
 *
 * Minute shocks x_j = √w_j · z_j (w = variance weights, Σw = 1) sum to X ~ N(0, 1). Replacing X by
 * `total` — b_j = x_j − w_j (X − total) — is exact Gaussian conditioning (the Brownian bridge):
 * with `total` itself a standard normal, b has exactly the distribution of x, and its sum is known
 * before the minutes are drawn. That lets a session's closing level come from a cheap daily draw,
 * so a day far from the anchor needs no minute path of the days before it.
 */
export function pinnedShocks(random: SeededRandom, varianceWeights: Float64Array, total: number): Float64Array {
  const minutes = varianceWeights.length;
  const shocks = new Float64Array(minutes);
  let sum = 0;
  for (let j = 0; j < minutes; j++) {
    const shock = Math.sqrt(varianceWeights[j] ?? 0) * random.normal();
    shocks[j] = shock;
    sum += shock;
  }
  const gap = sum - total;
  for (let j = 0; j < minutes; j++) shocks[j] = (shocks[j] ?? 0) - (varianceWeights[j] ?? 0) * gap;
  return shocks;
}

/** One symbol's bars for one session, column-wise; prices on the cent grid, whole-share volumes. */
export interface SessionPath {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

export interface SessionPathInput {
  /** Natural log of the opening price (after the overnight gap). */
  logOpen: number;
  /** Expected log return over the session. */
  drift: number;
  /** Standard deviation of the session's log return. */
  sessionVolatility: number;
  shape: IntradayShape;
  /** Pinned unit shocks of the market factor and the symbol's sector factor (null: none). */
  marketShocks: Float64Array;
  sectorShocks: Float64Array | null;
  /** Pinned unit idiosyncratic shocks of this symbol. */
  idiosyncraticShocks: Float64Array;
  marketLoading: number;
  sectorLoading: number;
  idiosyncraticLoading: number;
  /** Shares per minute at a volume multiplier of 1. */
  baseMinuteVolume: number;
  /** The symbol's own stream, for the intrabar extremes and the volume noise. */
  random: SeededRandom;
}

function toCents(price: number): number {
  return Math.max(0.01, Math.round(price * 100) / 100);
}

/**
 * e^x for the small moves of one minute (|x| ≲ 0.05), by its cubic Taylor polynomial: the relative
 * error, below x⁴/24 ≈ 3·10⁻⁷, vanishes in the rounding to cents, at a fraction of Math.exp's cost.
 * The extremes then stay consistent with open and close by the max/min below whatever the error.
 */
function nearExp(x: number): number {
  return 1 + x * (1 + x * (0.5 + x / 6));
}

// Mean of |N(0,1)|: scales the volume's response to the size of the move so it averages 1.
const MEAN_ABSOLUTE_NORMAL = Math.sqrt(2 / Math.PI);

export function generateSessionPath(input: SessionPathInput): SessionPath {
  const { varianceWeights, volumeMultipliers } = input.shape;
  const minutes = varianceWeights.length;
  const path: SessionPath = {
    open: new Float64Array(minutes),
    high: new Float64Array(minutes),
    low: new Float64Array(minutes),
    close: new Float64Array(minutes),
    volume: new Float64Array(minutes),
  };
  const { marketShocks, sectorShocks, idiosyncraticShocks, marketLoading, sectorLoading, idiosyncraticLoading, random } = input;
  const driftPerMinute = input.drift / minutes;
  const sigma = input.sessionVolatility;
  let logPrice = input.logOpen;
  let price = Math.exp(logPrice);
  let openCents = toCents(price);
  for (let j = 0; j < minutes; j++) {
    const weight = varianceWeights[j] ?? 0;
    const unitShock = marketLoading * (marketShocks[j] ?? 0) + sectorLoading * (sectorShocks?.[j] ?? 0) + idiosyncraticLoading * (idiosyncraticShocks[j] ?? 0);
    const move = driftPerMinute + sigma * unitShock;
    // Extremes of a Brownian bridge from 0 to `move` with the minute's variance: P(max > m) = exp(−2m(m − move)/v).
    const variance = sigma * sigma * weight;
    const upReach = (move + Math.sqrt(move * move - 2 * variance * Math.log(random.uniform()))) / 2;
    const downReach = (move - Math.sqrt(move * move - 2 * variance * Math.log(random.uniform()))) / 2;
    logPrice += move;
    const closePrice = Math.exp(logPrice);
    const closeCents = toCents(closePrice);
    path.open[j] = openCents;
    path.close[j] = closeCents;
    path.high[j] = Math.max(toCents(price * nearExp(upReach)), openCents, closeCents);
    path.low[j] = Math.min(toCents(price * nearExp(downReach)), openCents, closeCents);
    // Busier when the stock moves more than usual for the minute. The noise, 0.5 + Exp(1)/2, has
    // mean 1 and the right skew of real minute volumes, for one logarithm.
    const surprise = weight > 0 ? Math.abs(unitShock) / Math.sqrt(weight) / MEAN_ABSOLUTE_NORMAL : 1;
    const noise = 0.5 - 0.5 * Math.log(random.uniform());
    path.volume[j] = Math.max(1, Math.round(input.baseMinuteVolume * (volumeMultipliers[j] ?? 0) * (0.6 + 0.4 * surprise) * noise));
    price = closePrice;
    openCents = closeCents;
  }
  return path;
}
