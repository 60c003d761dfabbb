/**
 * Mean and sample variance of a stream, one value at a time in O(1), with Welford's update
 * (Welford 1962; Knuth, TAOCP vol. 2, 4.2.2): unlike sum-of-squares formulas it does not lose the
 * variance to cancellation when the values are tiny compared to their mean, as minute returns are.
 */
export interface RunningMomentsState {
  count: number;
  mean: number;
  /** Sum of squared deviations from the current mean. */
  m2: number;
}

export class RunningMoments {
  #count: number;
  #mean: number;
  #m2: number;

  constructor(state: RunningMomentsState = { count: 0, mean: 0, m2: 0 }) {
    this.#count = state.count;
    this.#mean = state.mean;
    this.#m2 = state.m2;
  }

  add(value: number): void {
    this.#count += 1;
    const delta = value - this.#mean;
    this.#mean += delta / this.#count;
    this.#m2 += delta * (value - this.#mean);
  }

  get count(): number {
    return this.#count;
  }

  /** Null before the first value. */
  get mean(): number | null {
    return this.#count === 0 ? null : this.#mean;
  }

  /** Sample variance (divisor n − 1); null below two values. */
  get sampleVariance(): number | null {
    return this.#count < 2 ? null : Math.max(0, this.#m2) / (this.#count - 1);
  }

  state(): RunningMomentsState {
    return { count: this.#count, mean: this.#mean, m2: this.#m2 };
  }
}
