// The 'qtc' Rolling* indicators: objects that take one value per bar. Each one repeats, operation
// for operation, the arithmetic of the function it mirrors over all the values it has been given,
// so its value equals that function's to the last bit (backtests compare runs byte for byte):
//   RollingSma   = smaSeries(values, period)[last]   (running sum: add the new value, then subtract the one leaving)
//   RollingEma   = emaSeries(values, period)[last]   (= ema(values, period))
//   RollingRsi   = rsi(values, period)               (Wilder)
//   RollingStdev = stdev(values, period)             (sample; two passes over the last `period` values)
// NaN stands for the null of rsi/stdev, so update() always returns a number; `ready` tells.
// save() gives the state as a short JSON array for team.memory, restore() takes it back, so an
// isolate reloaded mid-run continues exactly where the warm one was (a running sum started again
// from a later bar would differ in the last bits).
import { checkPeriod, type Series } from './checks.ts';
import { F64, MathMin, MathSqrt } from './intrinsics.ts';
import { checkSaved, refill, restoredNumber, savedNumber, type RollingState } from './rollingState.ts';

export class RollingSma {
  #period: number;
  #ring: Float64Array;
  #head = 0;
  #count = 0;
  #sum = 0;
  #value = NaN;
  constructor(period: number) {
    checkPeriod('RollingSma', period);
    this.#period = period;
    this.#ring = new F64(period);
  }
  get period(): number {
    return this.#period;
  }
  get count(): number {
    return this.#count;
  }
  get ready(): boolean {
    return this.#count >= this.#period;
  }
  get value(): number {
    return this.#value;
  }
  update(value: number): number {
    const v = +value;
    const period = this.#period;
    const head = this.#head;
    this.#sum += v;
    if (this.#count >= period) this.#sum -= this.#ring[head]!;
    this.#ring[head] = v;
    this.#head = head + 1 === period ? 0 : head + 1;
    this.#count++;
    this.#value = this.#count >= period ? this.#sum / period : NaN;
    return this.#value;
  }
  save(): RollingState {
    return [this.#count, savedNumber(this.#sum)];
  }
  restore(saved: RollingState, recent: Series): this {
    const count = checkSaved('RollingSma', saved, 2);
    const period = this.#period;
    const kept = refill('RollingSma', this.#ring, recent, MathMin(count, period));
    this.#head = kept === period ? 0 : kept;
    this.#count = count;
    this.#sum = restoredNumber('RollingSma', saved[1]);
    this.#value = count >= period ? this.#sum / period : NaN;
    return this;
  }
}

export class RollingEma {
  #period: number;
  #alpha: number;
  #count = 0;
  // The sum of the first `period` values, then the average itself.
  #acc = 0;
  #value = NaN;
  constructor(period: number) {
    checkPeriod('RollingEma', period);
    this.#period = period;
    this.#alpha = 2 / (period + 1);
  }
  get period(): number {
    return this.#period;
  }
  get count(): number {
    return this.#count;
  }
  get ready(): boolean {
    return this.#count >= this.#period;
  }
  get value(): number {
    return this.#value;
  }
  update(value: number): number {
    const v = +value;
    const period = this.#period;
    const count = ++this.#count;
    if (count < period) {
      this.#acc += v;
    } else if (count === period) {
      this.#acc = (this.#acc + v) / period;
      this.#value = this.#acc;
    } else {
      const alpha = this.#alpha;
      this.#acc = alpha * v + (1 - alpha) * this.#acc;
      this.#value = this.#acc;
    }
    return this.#value;
  }
  save(): RollingState {
    return [this.#count, savedNumber(this.#acc)];
  }
  restore(saved: RollingState): this {
    const count = checkSaved('RollingEma', saved, 2);
    this.#count = count;
    this.#acc = restoredNumber('RollingEma', saved[1]);
    this.#value = count >= this.#period ? this.#acc : NaN;
    return this;
  }
}

export class RollingRsi {
  #period: number;
  #count = 0;
  #previous = NaN;
  // Sums of the first `period` changes, then Wilder's averages.
  #gain = 0;
  #loss = 0;
  #value = NaN;
  constructor(period = 14) {
    checkPeriod('RollingRsi', period);
    this.#period = period;
  }
  get period(): number {
    return this.#period;
  }
  get count(): number {
    return this.#count;
  }
  get ready(): boolean {
    return this.#count > this.#period;
  }
  get value(): number {
    return this.#value;
  }
  #output(): number {
    if (this.#count <= this.#period) return NaN;
    const loss = this.#loss;
    return loss === 0 ? 100 : 100 - 100 / (1 + this.#gain / loss);
  }
  update(value: number): number {
    const v = +value;
    const period = this.#period;
    const count = ++this.#count;
    if (count > 1) {
      const change = v - this.#previous;
      if (count <= period + 1) {
        if (change > 0) this.#gain += change;
        else this.#loss -= change;
        if (count === period + 1) {
          this.#gain /= period;
          this.#loss /= period;
        }
      } else {
        this.#gain = (this.#gain * (period - 1) + (change > 0 ? change : 0)) / period;
        this.#loss = (this.#loss * (period - 1) + (change < 0 ? -change : 0)) / period;
      }
    }
    this.#previous = v;
    this.#value = this.#output();
    return this.#value;
  }
  save(): RollingState {
    return [this.#count, savedNumber(this.#previous), savedNumber(this.#gain), savedNumber(this.#loss)];
  }
  restore(saved: RollingState): this {
    const count = checkSaved('RollingRsi', saved, 4);
    this.#count = count;
    this.#previous = restoredNumber('RollingRsi', saved[1]);
    this.#gain = restoredNumber('RollingRsi', saved[2]);
    this.#loss = restoredNumber('RollingRsi', saved[3]);
    this.#value = this.#output();
    return this;
  }
}

// stdev() takes the mean of the window and then the squares around it: no running form gives
// the same bits, so each update repeats those two passes over the last `period` values
// (O(period), without allocating).
export class RollingStdev {
  #period: number;
  #ring: Float64Array;
  #head = 0;
  #count = 0;
  #value = NaN;
  constructor(period: number) {
    checkPeriod('RollingStdev', period);
    this.#period = period;
    this.#ring = new F64(period);
  }
  get period(): number {
    return this.#period;
  }
  get count(): number {
    return this.#count;
  }
  get ready(): boolean {
    return this.#period >= 2 && this.#count >= this.#period;
  }
  get value(): number {
    return this.#value;
  }
  #output(): number {
    const period = this.#period;
    if (period < 2 || this.#count < period) return NaN;
    const ring = this.#ring;
    const head = this.#head;
    let sum = 0;
    for (let i = head; i < period; i++) sum += ring[i]!;
    for (let i = 0; i < head; i++) sum += ring[i]!;
    const m = sum / period;
    let squares = 0;
    for (let i = head; i < period; i++) squares += (ring[i]! - m) * (ring[i]! - m);
    for (let i = 0; i < head; i++) squares += (ring[i]! - m) * (ring[i]! - m);
    return MathSqrt(squares / (period - 1));
  }
  update(value: number): number {
    const head = this.#head;
    this.#ring[head] = +value;
    this.#head = head + 1 === this.#period ? 0 : head + 1;
    this.#count++;
    this.#value = this.#output();
    return this.#value;
  }
  save(): RollingState {
    return [this.#count];
  }
  restore(saved: RollingState, recent: Series): this {
    const count = checkSaved('RollingStdev', saved, 1);
    const period = this.#period;
    const kept = refill('RollingStdev', this.#ring, recent, MathMin(count, period));
    this.#head = kept === period ? 0 : kept;
    this.#count = count;
    this.#value = this.#output();
    return this;
  }
}
