/**
 * The deepest peak-to-trough fall of an equity curve and how long that episode lasted, updated
 * per observation in O(1).
 *
 * Drawdown at an observation = 1 − equity / (highest equity observed so far), a fraction in [0, 1].
 * An episode starts at a peak, includes every later observation below that peak, and ends at the
 * first observation back at or above it (the recovery). The maximum drawdown is the deepest
 * drawdown seen; its duration is counted in observations from its episode's peak to its recovery,
 * or to the latest observation while it has not recovered. On equal depths the earlier episode is kept.
 */
export interface DrawdownState {
  /** Observations seen so far; the index of the next one. */
  observations: number;
  peak: number;
  peakIndex: number;
  /** Depth and peak of the deepest episode; recovery index null while it is still open. */
  maxDepth: number;
  maxPeakIndex: number;
  maxRecoveryIndex: number | null;
}

export class DrawdownTracker {
  #state: DrawdownState;

  constructor(state: DrawdownState = { observations: 0, peak: 0, peakIndex: 0, maxDepth: 0, maxPeakIndex: 0, maxRecoveryIndex: null }) {
    this.#state = { ...state };
  }

  add(equity: number): void {
    const s = this.#state;
    const index = s.observations;
    s.observations += 1;
    if (index === 0 || equity >= s.peak) {
      // A recovery of the deepest episode closes it; a later, deeper one will replace it.
      if (index > 0 && s.maxDepth > 0 && s.maxRecoveryIndex === null && s.maxPeakIndex === s.peakIndex) s.maxRecoveryIndex = index;
      s.peak = equity;
      s.peakIndex = index;
      return;
    }
    const depth = 1 - equity / s.peak;
    if (depth > s.maxDepth) {
      s.maxDepth = depth;
      s.maxPeakIndex = s.peakIndex;
      s.maxRecoveryIndex = null;
    }
  }

  /** The maximum drawdown as a positive fraction (0.25 = a 25 % fall); null when equity never fell below a peak. */
  get maxDrawdown(): number | null {
    return this.#state.maxDepth > 0 ? this.#state.maxDepth : null;
  }

  /** Observations from the deepest episode's peak to its recovery (or to the latest observation); null without a drawdown. */
  get maxDrawdownDuration(): number | null {
    const s = this.#state;
    if (s.maxDepth <= 0) return null;
    return (s.maxRecoveryIndex ?? s.observations - 1) - s.maxPeakIndex;
  }

  state(): DrawdownState {
    return { ...this.#state };
  }
}
