// The in-isolate runtime (the strategy SDK). Evaluated as a classic script in every team's
// fresh context BEFORE any strategy code; its completion value is the object of entry points the
// host calls. Nothing of it is reachable from the global object except `require`, `console`,
// the replaced `Date`/`Math.random`, and the blocked constructors.
//
// Trust model: the strategy may tamper with anything it can reach in its own realm (prototypes,
// JSON, toJSON, ...). Every value leaving the isolate is a string that the host parses,
// validates and clips again (sandbox/decode.ts), so tampering can only break the strategy's own
// results. To keep even that from happening by accident, the runtime's own records (logs,
// errors, signals) are written as JSON text by hand from primitive strings and numbers, with
// intrinsics captured before any strategy code runs: JSON.stringify is only ever applied to a
// primitive string (which never consults toJSON) or to the strategy's own team.memory.
// All entry points are strict functions so V8 CallSites never hand them to user code.
(function qtcRuntime() {
  'use strict';
  const G = globalThis;
  const JSONparse = JSON.parse;
  const JSONstringify = JSON.stringify;
  const ObjectDefineProperty = Object.defineProperty;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectFreeze = Object.freeze;
  const ObjectKeys = Object.keys;
  const ArrayIsArray = Array.isArray;
  const ArrayFrom = Array.from;
  const NumberIsFinite = Number.isFinite;
  const NumberIsInteger = Number.isInteger;
  const StringC = String;
  const MathImul = Math.imul;
  const MathMax = Math.max;
  const MathMin = Math.min;
  const MathSqrt = Math.sqrt;
  const RealDate = Date;
  const DateUTC = Date.UTC;
  const ReflectConstruct = Reflect.construct;
  const ReflectApply = Reflect.apply;
  const F64 = Float64Array;
  const ArrayBufferTransfer = ArrayBuffer.prototype.transfer;
  const TypedArraySet = ObjectGetPrototypeOf(Float64Array.prototype).set;
  const TypedArrayCopyWithin = ObjectGetPrototypeOf(Float64Array.prototype).copyWithin;
  const MapC = Map;
  const ErrorC = Error;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const StringSlice = String.prototype.slice;
  const StringIncludes = String.prototype.includes;
  const StringIsWellFormed = String.prototype.isWellFormed;
  const RegExpExec = RegExp.prototype.exec;
  const sliceOf = (text, from, to) => ReflectApply(StringSlice, text, [from, to]);

  /** A primitive string as JSON text; anything else as "" (never calls strategy code). */
  function quote(text) {
    return JSONstringify(typeof text === 'string' ? text : '');
  }

  // ---------------------------------------------------------------- capabilities removed
  for (const name of ['eval', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'FinalizationRegistry', 'WeakRef']) {
    delete G[name];
  }
  const codegenMessage = 'Code generation from strings (eval, Function) is disabled in the strategy sandbox';
  const functionSamples = [function () {}, async function () {}, function* () {}, async function* () {}];
  for (const sample of functionSamples) {
    const proto = ObjectGetPrototypeOf(sample);
    const blocked = function Function() {
      throw new EvalError(codegenMessage);
    };
    blocked.prototype = proto;
    ObjectDefineProperty(proto, 'constructor', { value: blocked, writable: false, enumerable: false, configurable: false });
  }
  ObjectDefineProperty(G, 'Function', {
    value: ObjectGetPrototypeOf(functionSamples[0]).constructor,
    writable: false,
    enumerable: false,
    configurable: false,
  });

  // ---------------------------------------------------------------- time frozen to the bar
  let nowMs = 0;
  function QtcDate(...args) {
    if (new.target === undefined) return StringC(new RealDate(nowMs));
    return ReflectConstruct(RealDate, args.length === 0 ? [nowMs] : args, new.target);
  }
  QtcDate.prototype = RealDate.prototype;
  QtcDate.now = function now() {
    return nowMs;
  };
  QtcDate.parse = RealDate.parse;
  QtcDate.UTC = RealDate.UTC;
  ObjectDefineProperty(RealDate.prototype, 'constructor', { value: QtcDate, writable: true, enumerable: false, configurable: true });
  ObjectDefineProperty(G, 'Date', { value: QtcDate, writable: true, enumerable: false, configurable: true });
  if (typeof Intl === 'object' && Intl !== null) {
    // format() and formatToParts() without a date read the real clock.
    const dtfProto = Intl.DateTimeFormat.prototype;
    const formatGetter = ObjectGetOwnPropertyDescriptor(dtfProto, 'format').get;
    ObjectDefineProperty(dtfProto, 'format', {
      get() {
        const bound = ReflectApply(formatGetter, this, []);
        return function format(date) {
          return bound(date === undefined ? nowMs : date);
        };
      },
      enumerable: false,
      configurable: true,
    });
    const formatToParts = dtfProto.formatToParts;
    ObjectDefineProperty(dtfProto, 'formatToParts', {
      value: function formatToParts_(date) {
        return ReflectApply(formatToParts, this, [date === undefined ? nowMs : date]);
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }

  // ---------------------------------------------------------------- seeded Math.random
  let ra = 0;
  let rb = 0;
  let rc = 0;
  let rd = 0;
  // xmur3 string hash feeding sfc32: small, fast, and identical on every machine.
  function hashFrom(h, text) {
    for (let i = 0; i < text.length; i++) {
      h = MathImul(h ^ text.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    return h;
  }
  function seedFromHash(h) {
    const next = () => {
      h = MathImul(h ^ (h >>> 16), 2246822507);
      h = MathImul(h ^ (h >>> 13), 3266489909);
      return (h ^= h >>> 16) >>> 0;
    };
    ra = next();
    rb = next();
    rc = next();
    rd = next();
  }
  function seedRandom(text) {
    seedFromHash(hashFrom(1779033703 ^ text.length, text));
  }
  // Every call is seeded with "<key>:<minute>": the host computes the four words of that seed
  // (sandbox/child/seed.ts, the same xmur3 → sfc32 derivation) and passes them in.
  function seedWords(a, b, c, d) {
    ra = a;
    rb = b;
    rc = c;
    rd = d;
  }
  function random() {
    ra >>>= 0;
    rb >>>= 0;
    rc >>>= 0;
    rd >>>= 0;
    let t = (ra + rb) | 0;
    ra = rb ^ (rb >>> 9);
    rb = (rc + (rc << 3)) | 0;
    rc = (rc << 21) | (rc >>> 11);
    rd = (rd + 1) | 0;
    t = (t + rd) | 0;
    rc = (rc + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  ObjectDefineProperty(Math, 'random', { value: random, writable: true, enumerable: false, configurable: true });

  // ---------------------------------------------------------------- bounded console
  let maxLogLines = 50;
  let maxLogBytes = 8192;
  let logLevels = [];
  let logMessages = [];
  let logBytes = 0;
  let logDropped = 0;

  function resetLogs() {
    // Emptied in place: no garbage per call for the common case of no output.
    if (logMessages.length !== 0) {
      logLevels.length = 0;
      logMessages.length = 0;
    }
    logBytes = 0;
    logDropped = 0;
  }

  function inspect(value, depth, budget) {
    if (budget.left <= 0) return '…';
    const type = typeof value;
    if (type === 'string') return depth === 0 ? value : quote(value);
    if (type === 'number' || type === 'boolean' || type === 'undefined' || value === null) return StringC(value);
    if (type === 'bigint') return StringC(value) + 'n';
    if (type === 'symbol') return 'Symbol()';
    if (type === 'function') return '[Function]';
    if (value instanceof ErrorC) {
      const stack = value.stack;
      return typeof stack === 'string' ? stack : StringC(value.message);
    }
    if (depth >= 3) return ArrayIsArray(value) ? '[Array]' : '[Object]';
    const isList = ArrayIsArray(value) || ArrayBufferIsView(value);
    const keys = isList ? null : ObjectKeys(value);
    const count = isList ? value.length : keys.length;
    const shown = MathMin(count, 20);
    let text = '';
    let parts = 0;
    for (let i = 0; i < shown && budget.left > 0; i++) {
      let piece = isList ? inspect(value[i], depth + 1, budget) : keys[i] + ': ' + inspect(value[keys[i]], depth + 1, budget);
      if (typeof piece !== 'string') piece = '';
      budget.left -= piece.length + 2;
      text += (parts === 0 ? '' : ', ') + piece;
      parts++;
    }
    if (count > parts) text += (parts === 0 ? '' : ', ') + '… ' + (count - parts) + ' more';
    return isList ? '[' + text + ']' : '{ ' + text + ' }';
  }

  function emit(level, args) {
    if (logMessages.length >= maxLogLines || logBytes >= maxLogBytes) {
      logDropped++;
      return;
    }
    const budget = { left: maxLogBytes - logBytes };
    let text = '';
    try {
      for (let i = 0; i < args.length && budget.left > 0; i++) {
        let piece = inspect(args[i], 0, budget);
        if (typeof piece !== 'string') piece = '';
        text += (i === 0 ? '' : ' ') + piece;
        budget.left -= piece.length;
      }
    } catch {
      text += ' [unprintable value]';
    }
    if (typeof text !== 'string') text = '';
    if (text.length > maxLogBytes - logBytes) text = sliceOf(text, 0, MathMax(0, maxLogBytes - logBytes)) + '…[truncated]';
    logBytes += text.length;
    logLevels[logLevels.length] = level;
    logMessages[logMessages.length] = text;
  }

  function logLineJson(level, message) {
    return '{"level":' + quote(level) + ',"message":' + quote(message) + '}';
  }
  function logsJson() {
    if (logMessages.length === 0 && logDropped === 0) return '[]';
    let json = '[';
    const count = MathMin(logMessages.length, maxLogLines);
    for (let i = 0; i < count; i++) json += (i === 0 ? '' : ',') + logLineJson(logLevels[i], logMessages[i]);
    if (logDropped > 0) {
      const marker = '[qtc] ' + logDropped + ' more console call(s) dropped: at most ' + maxLogLines + ' lines and ' + maxLogBytes + ' characters per call are kept';
      json += (count === 0 ? '' : ',') + logLineJson('warn', marker);
    }
    return json + ']';
  }

  const qtcConsole = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    qtcConsole[level] = function (...args) {
      emit(level, args);
    };
  }
  qtcConsole.trace = qtcConsole.debug;
  ObjectDefineProperty(G, 'console', { value: qtcConsole, writable: true, enumerable: false, configurable: true });

  // ---------------------------------------------------------------- the 'qtc' standard library
  function checkPeriod(fn, period) {
    if (!NumberIsInteger(period) || period < 1) throw new RangeError(fn + ': period must be a positive integer, got ' + StringC(period));
  }
  function meanOf(values, from, to) {
    let sum = 0;
    for (let i = from; i < to; i++) sum += values[i];
    return sum / (to - from);
  }
  function sma(values, period) {
    checkPeriod('sma', period);
    const n = values.length;
    return n < period ? null : meanOf(values, n - period, n);
  }
  function mean(values, period) {
    const n = values.length;
    if (period === undefined) return n === 0 ? null : meanOf(values, 0, n);
    checkPeriod('mean', period);
    return n < period ? null : meanOf(values, n - period, n);
  }
  // The series functions write every index once (no fill pass, no branch per element): they run
  // over whole windows every minute in typical strategies. Same operations in the same order as
  // the naive loop, so the same numbers to the last bit.
  function emaSeries(values, period) {
    checkPeriod('emaSeries', period);
    const n = values.length;
    const out = new Array(n);
    const head = MathMin(n, period - 1);
    for (let i = 0; i < head; i++) out[i] = NaN;
    if (n < period) return out;
    const alpha = 2 / (period + 1);
    let value = meanOf(values, 0, period);
    out[period - 1] = value;
    for (let i = period; i < n; i++) {
      value = alpha * values[i] + (1 - alpha) * value;
      out[i] = value;
    }
    return out;
  }
  function ema(values, period) {
    checkPeriod('ema', period);
    const n = values.length;
    if (n < period) return null;
    const alpha = 2 / (period + 1);
    let value = meanOf(values, 0, period);
    for (let i = period; i < n; i++) value = alpha * values[i] + (1 - alpha) * value;
    return value;
  }
  function smaSeries(values, period) {
    checkPeriod('smaSeries', period);
    const n = values.length;
    const out = new Array(n);
    const head = MathMin(n, period - 1);
    let sum = 0;
    let i = 0;
    for (; i < head; i++) {
      sum += values[i];
      out[i] = NaN;
    }
    if (i < n) {
      sum += values[i];
      out[i] = sum / period;
      i++;
    }
    for (; i < n; i++) {
      sum += values[i];
      sum -= values[i - period];
      out[i] = sum / period;
    }
    return out;
  }
  function rsi(values, period = 14) {
    checkPeriod('rsi', period);
    const n = values.length;
    if (n < period + 1) return null;
    let gain = 0;
    let loss = 0;
    for (let i = 1; i <= period; i++) {
      const change = values[i] - values[i - 1];
      if (change > 0) gain += change;
      else loss -= change;
    }
    gain /= period;
    loss /= period;
    for (let i = period + 1; i < n; i++) {
      const change = values[i] - values[i - 1];
      gain = (gain * (period - 1) + (change > 0 ? change : 0)) / period;
      loss = (loss * (period - 1) + (change < 0 ? -change : 0)) / period;
    }
    if (loss === 0) return 100;
    return 100 - 100 / (1 + gain / loss);
  }
  function stdev(values, period) {
    const n = values.length;
    if (period !== undefined) checkPeriod('stdev', period);
    const count = period === undefined ? n : period;
    if (count < 2 || n < count) return null;
    const m = meanOf(values, n - count, n);
    let squares = 0;
    for (let i = n - count; i < n; i++) squares += (values[i] - m) * (values[i] - m);
    return MathSqrt(squares / (count - 1));
  }
  function highest(values, period) {
    checkPeriod('highest', period);
    const n = values.length;
    if (n < period) return null;
    let best = -Infinity;
    for (let i = n - period; i < n; i++) if (values[i] > best) best = values[i];
    return best;
  }
  function lowest(values, period) {
    checkPeriod('lowest', period);
    const n = values.length;
    if (n < period) return null;
    let best = Infinity;
    for (let i = n - period; i < n; i++) if (values[i] < best) best = values[i];
    return best;
  }
  function returns(values) {
    const out = [];
    for (let i = 1; i < values.length; i++) out.push(values[i] / values[i - 1] - 1);
    return out;
  }
  function zscore(values, period) {
    checkPeriod('zscore', period);
    const sd = stdev(values, period === 1 ? undefined : period);
    if (sd === null || sd === 0 || values.length < period) return null;
    return (values[values.length - 1] - meanOf(values, values.length - period, values.length)) / sd;
  }
  function crossover(fast, slow) {
    const f = fast.length;
    const s = slow.length;
    if (f < 2 || s < 2) return false;
    return fast[f - 2] <= slow[s - 2] && fast[f - 1] > slow[s - 1];
  }
  function crossunder(fast, slow) {
    const f = fast.length;
    const s = slow.length;
    if (f < 2 || s < 2) return false;
    return fast[f - 2] >= slow[s - 2] && fast[f - 1] < slow[s - 1];
  }

  // ---------------------------------------------------------------- rolling indicators
  // Objects that take one value per bar. Each one repeats, operation for operation, the
  // arithmetic of the function it mirrors over all the values it has been given, so its value
  // equals that function's to the last bit (backtests compare runs byte for byte):
  //   RollingSma   = smaSeries(values, period)[last]   (running sum: add the new value, then subtract the one leaving)
  //   RollingEma   = emaSeries(values, period)[last]   (= ema(values, period))
  //   RollingRsi   = rsi(values, period)               (Wilder)
  //   RollingStdev = stdev(values, period)             (sample; two passes over the last `period` values)
  // NaN stands for the null of rsi/stdev, so update() always returns a number; `ready` tells.
  // save() gives the state as a short JSON array for team.memory, restore() takes it back, so an
  // isolate reloaded mid-run continues exactly where the warm one was (a running sum started again
  // from a later bar would differ in the last bits).
  function savedNumber(x) {
    // JSON has no NaN, Infinity or -0; these travel as strings.
    if (x === 0 && 1 / x < 0) return '-0';
    return NumberIsFinite(x) ? x : StringC(x);
  }
  function restoredNumber(fn, v) {
    if (typeof v === 'number') return v;
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (v === '-0') return -0;
    throw new TypeError(fn + '.restore: the saved state holds ' + StringC(v) + ', not a number');
  }
  function checkSaved(fn, saved, length) {
    if (!ArrayIsArray(saved) || saved.length !== length) {
      throw new TypeError(fn + '.restore: expected the array save() returned (' + length + ' entries)');
    }
    const count = saved[0];
    if (!NumberIsInteger(count) || count < 0) throw new RangeError(fn + '.restore: the saved count must be a non-negative integer, got ' + StringC(count));
    return count;
  }
  /** The last `count` values of `recent` into `ring` (oldest first); how many were copied. */
  function refill(fn, ring, recent, count) {
    const n = recent === null || recent === undefined ? -1 : recent.length;
    if (typeof n !== 'number' || n < count) {
      throw new RangeError(fn + '.restore: `recent` must hold the last ' + count + ' values given to update(), oldest first');
    }
    for (let i = 0; i < count; i++) ring[i] = +recent[n - count + i];
    return count;
  }

  class RollingSma {
    #period;
    #ring;
    #head = 0;
    #count = 0;
    #sum = 0;
    #value = NaN;
    constructor(period) {
      checkPeriod('RollingSma', period);
      this.#period = period;
      this.#ring = new F64(period);
    }
    get period() {
      return this.#period;
    }
    get count() {
      return this.#count;
    }
    get ready() {
      return this.#count >= this.#period;
    }
    get value() {
      return this.#value;
    }
    update(value) {
      const v = +value;
      const period = this.#period;
      const head = this.#head;
      this.#sum += v;
      if (this.#count >= period) this.#sum -= this.#ring[head];
      this.#ring[head] = v;
      this.#head = head + 1 === period ? 0 : head + 1;
      this.#count++;
      this.#value = this.#count >= period ? this.#sum / period : NaN;
      return this.#value;
    }
    save() {
      return [this.#count, savedNumber(this.#sum)];
    }
    restore(saved, recent) {
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

  class RollingEma {
    #period;
    #alpha;
    #count = 0;
    // The sum of the first `period` values, then the average itself.
    #acc = 0;
    #value = NaN;
    constructor(period) {
      checkPeriod('RollingEma', period);
      this.#period = period;
      this.#alpha = 2 / (period + 1);
    }
    get period() {
      return this.#period;
    }
    get count() {
      return this.#count;
    }
    get ready() {
      return this.#count >= this.#period;
    }
    get value() {
      return this.#value;
    }
    update(value) {
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
    save() {
      return [this.#count, savedNumber(this.#acc)];
    }
    restore(saved) {
      const count = checkSaved('RollingEma', saved, 2);
      this.#count = count;
      this.#acc = restoredNumber('RollingEma', saved[1]);
      this.#value = count >= this.#period ? this.#acc : NaN;
      return this;
    }
  }

  class RollingRsi {
    #period;
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
    get period() {
      return this.#period;
    }
    get count() {
      return this.#count;
    }
    get ready() {
      return this.#count > this.#period;
    }
    get value() {
      return this.#value;
    }
    #output() {
      if (this.#count <= this.#period) return NaN;
      const loss = this.#loss;
      return loss === 0 ? 100 : 100 - 100 / (1 + this.#gain / loss);
    }
    update(value) {
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
    save() {
      return [this.#count, savedNumber(this.#previous), savedNumber(this.#gain), savedNumber(this.#loss)];
    }
    restore(saved) {
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
  class RollingStdev {
    #period;
    #ring;
    #head = 0;
    #count = 0;
    #value = NaN;
    constructor(period) {
      checkPeriod('RollingStdev', period);
      this.#period = period;
      this.#ring = new F64(period);
    }
    get period() {
      return this.#period;
    }
    get count() {
      return this.#count;
    }
    get ready() {
      return this.#period >= 2 && this.#count >= this.#period;
    }
    get value() {
      return this.#value;
    }
    #output() {
      const period = this.#period;
      if (period < 2 || this.#count < period) return NaN;
      const ring = this.#ring;
      const head = this.#head;
      let sum = 0;
      for (let i = head; i < period; i++) sum += ring[i];
      for (let i = 0; i < head; i++) sum += ring[i];
      const m = sum / period;
      let squares = 0;
      for (let i = head; i < period; i++) squares += (ring[i] - m) * (ring[i] - m);
      for (let i = 0; i < head; i++) squares += (ring[i] - m) * (ring[i] - m);
      return MathSqrt(squares / (period - 1));
    }
    update(value) {
      const head = this.#head;
      this.#ring[head] = +value;
      this.#head = head + 1 === this.#period ? 0 : head + 1;
      this.#count++;
      this.#value = this.#output();
      return this.#value;
    }
    save() {
      return [this.#count];
    }
    restore(saved, recent) {
      const count = checkSaved('RollingStdev', saved, 1);
      const period = this.#period;
      const kept = refill('RollingStdev', this.#ring, recent, MathMin(count, period));
      this.#head = kept === period ? 0 : kept;
      this.#count = count;
      this.#value = this.#output();
      return this;
    }
  }
  for (const C of [RollingSma, RollingEma, RollingRsi, RollingStdev]) {
    ObjectFreeze(C.prototype);
    ObjectFreeze(C);
  }

  const qtcModule = ObjectFreeze({
    sma,
    ema,
    rsi,
    stdev,
    mean,
    highest,
    lowest,
    returns,
    zscore,
    crossover,
    crossunder,
    smaSeries,
    emaSeries,
    RollingSma,
    RollingEma,
    RollingRsi,
    RollingStdev,
  });
  function require(specifier) {
    if (specifier === 'qtc') return qtcModule;
    throw new ErrorC('Cannot import "' + StringC(specifier) + "\" in a strategy: only 'qtc' and relative files of the strategy folder (bundled at compile time) are available");
  }
  ObjectDefineProperty(G, 'require', { value: require, writable: false, enumerable: false, configurable: false });

  // ---------------------------------------------------------------- bar windows
  let windowBars = 1200;
  const FIELDS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];

  // Per symbol: six Float64Arrays holding the window contiguously (oldest first) so views are
  // zero-copy. The storage is allocated once at its final size, window + SLACK bars, the six
  // columns in one buffer: memory stays flat (no growth steps leaving garbage behind), and once
  // full the live window is shifted down every SLACK appends (amortised O(window / SLACK) copies).
  const SLACK = 64;
  function Series() {
    this.cap = windowBars + SLACK;
    this.start = 0;
    this.end = 0;
    // All six columns as one array (column f starts at f * cap): the append path writes through
    // it with fixed offsets, without looking up six arrays per bar.
    this.all = new F64(this.cap * 6);
    this.buffer = this.all.buffer;
    // The views handed out since the last append (null until asked for), and timestamp's number[].
    this.v1 = null;
    this.v2 = null;
    this.v3 = null;
    this.v4 = null;
    this.v5 = null;
    this.times = null;
  }
  /** Moves the newest `windowBars - 1` bars to the front, making room for one more. */
  /** Moves the newest `windowBars - n` bars to the front, making room for n more (n ≤ windowBars). */
  Series.prototype.shift = function (n = 1) {
    const keep = MathMin(this.end - this.start, windowBars - n);
    const from = this.end - keep;
    const all = this.all;
    const cap = this.cap;
    for (let f = 0; f < 6; f++) ReflectApply(TypedArrayCopyWithin, all, [f * cap, f * cap + from, f * cap + this.end]);
    this.start = 0;
    this.end = keep;
  };
  /**
   * Appends `count` bars given as six columns of `count` values from `data[at]` (timestamps, then
   * opens, …): a batch of minutes (a new isolate's whole window) copied column by column by the
   * engine, rather than value by value in code that runs once per isolate.
   */
  Series.prototype.appendColumns = function (buffer, at, count) {
    const skip = MathMax(0, count - windowBars);
    const n = count - skip;
    if (this.end + n > this.cap) this.shift(n);
    const all = this.all;
    const cap = this.cap;
    for (let f = 0; f < 6; f++) ReflectApply(TypedArraySet, all, [new F64(buffer, (at + f * count + skip) * 8, n), f * cap + this.end]);
    this.end += n;
    if (this.end - this.start > windowBars) this.start = this.end - windowBars;
    this.forget();
  };
  /** Drops the views handed out: the window has a new bar (applyBars appends, inlined). */
  Series.prototype.forget = function () {
    this.v1 = this.v2 = this.v3 = this.v4 = this.v5 = null;
    this.times = null;
  };
  /** Column f from `from` to `to` as a view (the constructor, cheaper than subarray's species lookup). */
  Series.prototype.range = function (f, from, to) {
    return new F64(this.buffer, (f * this.cap + from) * 8, to - from);
  };
  Series.prototype.col = function (f) {
    return this.range(f, 0, this.cap);
  };
  Series.prototype.open = function () {
    return this.v1 === null ? (this.v1 = this.range(1, this.start, this.end)) : this.v1;
  };
  Series.prototype.high = function () {
    return this.v2 === null ? (this.v2 = this.range(2, this.start, this.end)) : this.v2;
  };
  Series.prototype.low = function () {
    return this.v3 === null ? (this.v3 = this.range(3, this.start, this.end)) : this.v3;
  };
  Series.prototype.close = function () {
    return this.v4 === null ? (this.v4 = this.range(4, this.start, this.end)) : this.v4;
  };
  Series.prototype.volume = function () {
    return this.v5 === null ? (this.v5 = this.range(5, this.start, this.end)) : this.v5;
  };
  Series.prototype.timestamps = function () {
    if (this.times === null) this.times = ArrayFrom(this.range(0, this.start, this.end));
    return this.times;
  };
  Series.prototype.indexAtOrAfter = function (t) {
    const col = this.all;
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (col[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  Series.prototype.slice = function (from, to) {
    const out = { timestamp: ArrayFrom(this.range(0, from, to)) };
    for (let f = 1; f < 6; f++) out[FIELDS[f]] = this.range(f, from, to).slice();
    return out;
  };

  const series = new MapC();
  const bars = {};
  // Own data properties whatever the key (even "__proto__"), as JSON.parse would create them.
  function defineOwn(target, key, value) {
    ObjectDefineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  }
  function emptySlice() {
    const out = { timestamp: [] };
    for (let f = 1; f < 6; f++) out[FIELDS[f]] = new F64(0);
    return out;
  }
  function addSymbol(symbol) {
    const s = new Series();
    series.set(symbol, s);
    const entry = {};
    ObjectDefineProperty(entry, 'timestamp', { get: () => s.timestamps(), enumerable: true });
    ObjectDefineProperty(entry, 'open', { get: () => s.open(), enumerable: true });
    ObjectDefineProperty(entry, 'high', { get: () => s.high(), enumerable: true });
    ObjectDefineProperty(entry, 'low', { get: () => s.low(), enumerable: true });
    ObjectDefineProperty(entry, 'close', { get: () => s.close(), enumerable: true });
    ObjectDefineProperty(entry, 'volume', { get: () => s.volume(), enumerable: true });
    defineOwn(bars, symbol, entry);
    return s;
  }

  // The minute arrives as one Float64Array (layout in sandbox/child/payload.ts); symbols are
  // indices into `symbolNames`, which the host extends whenever it has new names for us.
  const symbolNames = [];
  const seriesByIndex = [];
  function learnNames(from, json) {
    if (json === '') return;
    const list = JSONparse(json);
    for (let i = 0; i < list.length; i++) symbolNames[from + i] = StringC(list[i]);
  }
  function seriesAt(index) {
    let s = seriesByIndex[index];
    if (s === undefined) {
      const name = symbolNames[index];
      s = series.get(name) ?? addSymbol(name);
      seriesByIndex[index] = s;
    }
    return s;
  }
  let lastSeq = 0;
  /**
   * Appends the bars of the minutes not seen yet; `at` points at the batch's last minute seq
   * (layout in sandbox/child/payload.ts). A batch this isolate has seen is skipped whole.
   */
  function applyBars(data, buffer, at) {
    const batchSeq = data[at];
    const groups = data[at + 1];
    at += 2;
    if (batchSeq <= lastSeq) return;
    lastSeq = batchSeq;
    for (let g = 0; g < groups; g++) {
      let s = seriesByIndex[data[at]];
      if (s === undefined) s = seriesAt(data[at]);
      const count = data[at + 1];
      at += 2;
      if (count !== 1) {
        s.appendColumns(buffer, at, count);
        at += 6 * count;
        continue;
      }
      // One bar (every minute of a warm isolate): its six values in a row, written in place.
      if (s.end === s.cap) s.shift();
      const all = s.all;
      const cap = s.cap;
      const i = s.end;
      all[i] = data[at];
      all[cap + i] = data[at + 1];
      all[2 * cap + i] = data[at + 2];
      all[3 * cap + i] = data[at + 3];
      all[4 * cap + i] = data[at + 4];
      all[5 * cap + i] = data[at + 5];
      at += 6;
      s.end = i + 1;
      if (i + 1 - s.start > windowBars) s.start = i + 1 - windowBars;
      if (s.v4 !== null || s.v1 !== null || s.v2 !== null || s.v3 !== null || s.v5 !== null || s.times !== null) s.forget();
    }
  }
  // currentPrices is a fresh plain object every call. Cloning a private template with the same
  // keys (built with own data properties) and overwriting its values is several times cheaper
  // than adding hundreds of keys one by one; the keys rarely change from one minute to the next.
  let priceKeys = [];
  let priceNames = [];
  let priceTemplate = {};
  function readPrices(data, count, at) {
    let same = count === priceKeys.length;
    for (let i = 0; same && i < count; i++) if (priceKeys[i] !== data[at + 2 * i]) same = false;
    if (!same) {
      priceKeys = [];
      priceNames = [];
      priceTemplate = {};
      for (let i = 0; i < count; i++) {
        priceKeys[i] = data[at + 2 * i];
        priceNames[i] = symbolNames[data[at + 2 * i]];
        // NaN, not 0: a field that starts as a small integer and then receives a fraction makes
        // V8 migrate the object once per field (quadratic: ~250 ms for 400 symbols).
        defineOwn(priceTemplate, priceNames[i], NaN);
      }
    }
    const prices = { ...priceTemplate };
    for (let i = 0; i < count; i++) prices[priceNames[i]] = data[at + 2 * i + 1];
    return prices;
  }

  // US Eastern time: DST from the second Sunday of March to the first Sunday of November (since 2007).
  function nyMidnightUtc(y, m, d) {
    const firstDow = (month) => new RealDate(DateUTC(y, month, 1)).getUTCDay();
    const secondSundayMarch = ((7 - firstDow(2)) % 7) + 8;
    const firstSundayNov = ((7 - firstDow(10)) % 7) + 1;
    const dst = (m > 3 && m < 11) || (m === 3 && d > secondSundayMarch) || (m === 11 && d <= firstSundayNov);
    return DateUTC(y, m - 1, d) + (dst ? 4 : 5) * 3600000;
  }
  const api = ObjectFreeze({
    getLastN(symbol, n) {
      const s = series.get(symbol);
      if (!NumberIsInteger(n) || n < 0) throw new RangeError('getLastN: n must be a non-negative integer, got ' + StringC(n));
      if (s === undefined) return emptySlice();
      return s.slice(MathMax(s.start, s.end - n), s.end);
    },
    getRange(symbol, fromMs, toMs) {
      if (typeof fromMs !== 'number' || typeof toMs !== 'number') throw new TypeError('getRange: fromMs and toMs must be epoch milliseconds');
      const s = series.get(symbol);
      if (s === undefined) return emptySlice();
      const from = s.indexAtOrAfter(fromMs);
      const to = MathMax(from, s.indexAtOrAfter(toMs + 1));
      return s.slice(from, to);
    },
    getDay(symbol, date) {
      const match = typeof date === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(date) : null;
      if (match === null) throw new TypeError('getDay: date must be a New York calendar date "YYYY-MM-DD", got ' + StringC(date));
      const y = +match[1];
      const m = +match[2];
      const d = +match[3];
      const next = new RealDate(DateUTC(y, m - 1, d + 1));
      const start = nyMidnightUtc(y, m, d);
      const end = nyMidnightUtc(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
      const s = series.get(symbol);
      if (s === undefined) return emptySlice();
      const from = s.indexAtOrAfter(start);
      return s.slice(from, MathMax(from, s.indexAtOrAfter(end)));
    },
  });

  // ---------------------------------------------------------------- results
  let teamId = '';
  // The team's own key for Math.random, derived by the host from a secret of the competition:
  // other teams cannot compute this team's stream, and a replay with the same secret repeats it.
  let randomKey = '';
  let params = {};
  let memory = {};
  let memoryJsonGood = '{}';
  let memoryDirty = false;
  let memoryCapChars = 65536;
  let maxSignals = 50;
  let maxReasonChars = 1000;
  let instance = null;

  const FALLBACK = '{"ok":false,"error":{"kind":"runtime","message":"the strategy left the sandbox runtime unable to report its error"},"logs":[]}';

  function clip(text, max) {
    return text.length > max ? sliceOf(text, 0, max) + '…[truncated]' : text;
  }
  function describeThrown(e) {
    let message;
    let stack;
    try {
      if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
        const m = e.message;
        const n = e.name;
        message = typeof m === 'string' ? m : 'a non-Error value was thrown: ' + StringC(e);
        if (typeof n === 'string' && n !== '' && typeof m === 'string') message = n + ': ' + message;
        const s = e.stack;
        if (typeof s === 'string') stack = s;
      } else {
        message = 'a non-Error value was thrown: ' + StringC(e);
      }
    } catch {
      message = 'the strategy threw a value that cannot be read';
    }
    if (typeof message !== 'string') message = 'the strategy threw a value that cannot be read';
    return { message: clip(message, 2000), stack: typeof stack === 'string' ? clip(stack, 8000) : undefined };
  }
  function errorJson(kind, message, stack) {
    let logs;
    try {
      logs = logsJson();
    } catch {
      logs = '[]';
    }
    const error = '{"kind":' + quote(kind) + ',"message":' + quote(message) + (typeof stack === 'string' ? ',"stack":' + quote(stack) : '') + '}';
    return '{"ok":false,"error":' + error + ',"logs":' + logs + '}';
  }
  function thrownJson(kind, e, prefix) {
    const d = describeThrown(e);
    return errorJson(kind, prefix + d.message, d.stack);
  }

  // Signals are written as JSON text field by field; a value that is not plain becomes a
  // { "$type": … } marker the host turns into a precise message.
  function valueJson(v) {
    const type = typeof v;
    if (type === 'string') return v.length > maxReasonChars ? '{"$type":"string","length":' + v.length + '}' : quote(v);
    if (type === 'boolean') return v ? 'true' : 'false';
    if (v === null) return 'null';
    if (type === 'number') return NumberIsFinite(v) ? StringC(v) : '{"$type":"number","value":' + quote(StringC(v)) + '}';
    return '{"$type":' + quote(ArrayIsArray(v) ? 'array' : type) + '}';
  }
  const SIGNAL_FIELDS = ['symbol', 'action', 'quantity', 'price', 'confidence', 'reason'];
  function signalJson(s) {
    if (s === null || typeof s !== 'object' || ArrayIsArray(s)) return '{"$type":' + quote(s === null ? 'null' : ArrayIsArray(s) ? 'array' : typeof s) + '}';
    let json = '{';
    for (let i = 0; i < SIGNAL_FIELDS.length; i++) {
      const v = s[SIGNAL_FIELDS[i]];
      if (v !== undefined) json += (json === '{' ? '' : ',') + quote(SIGNAL_FIELDS[i]) + ':' + valueJson(v);
    }
    return json + '}';
  }

  // Postgres cannot store a NUL character or an unpaired surrogate; JSON.stringify writes both as
  // \u escapes, so this one scan of the text clears nearly every memory without a walk.
  const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
  function unstorableString(text) {
    return !ReflectApply(StringIsWellFormed, text, []) || ReflectApply(StringIncludes, text, ['\u0000']);
  }
  function unstorablePath(value, path) {
    if (typeof value === 'string') return unstorableString(value) ? path : null;
    if (value === null || typeof value !== 'object') return null;
    const list = ArrayIsArray(value);
    const keys = list ? null : ObjectKeys(value);
    const count = list ? value.length : keys.length;
    for (let i = 0; i < count; i++) {
      const key = list ? i : keys[i];
      if (!list && unstorableString(key)) return path + '.' + '<key>';
      const found = unstorablePath(value[key], list ? path + '[' + i + ']' : path + '.' + key);
      if (found !== null) return found;
    }
    return null;
  }

  function setup(configJson) {
    const config = JSONparse(configJson);
    teamId = config.teamId;
    randomKey = config.randomKey;
    params = config.params;
    memoryJsonGood = JSONstringify(config.memory === undefined || config.memory === null ? {} : config.memory);
    memory = JSONparse(memoryJsonGood);
    nowMs = config.now;
    windowBars = config.limits.windowBars;
    memoryCapChars = config.limits.memoryCapChars;
    maxSignals = config.limits.maxSignals;
    maxLogLines = config.limits.maxLogLines;
    maxLogBytes = config.limits.maxLogBytes;
    maxReasonChars = config.limits.maxReasonChars;
    seedRandom(randomKey + ':load');
  }

  function construct() {
    resetLogs();
    try {
      const ns = G.__qtcStrategy;
      const Strategy = ns !== null && typeof ns === 'object' ? ns.default : undefined;
      if (typeof Strategy !== 'function') {
        return errorJson('load', 'the strategy has no default export class: write `export default class Strategy { generateSignal(team, bars, currentPrices) { … } }`');
      }
      instance = new Strategy(params);
      if (instance === null || typeof instance !== 'object' || typeof instance.generateSignal !== 'function') {
        instance = null;
        return errorJson('load', 'the default export has no generateSignal(team, bars, currentPrices) method');
      }
      return '{"ok":true,"logs":' + logsJson() + '}';
    } catch (e) {
      instance = null;
      return thrownJson('load', e, 'the strategy failed to load: ');
    }
  }

  // A number as the JSON round trip the team's state used to take gives it: -0 becomes 0, and a
  // non-finite number null.
  function jsonNumber(v) {
    return NumberIsFinite(v) ? v + 0 : null;
  }
  /** The team's positions from (symbol index, quantity, average cost) triples, in the host's key order. */
  function readPositions(triples) {
    const positions = {};
    for (let i = 0; i + 2 < triples.length; i += 3) {
      defineOwn(positions, symbolNames[triples[i]], { quantity: jsonNumber(triples[i + 1]), avgCost: jsonNumber(triples[i + 2]) });
    }
    return positions;
  }

  function runCall(payload, namesFrom, namesJson, cash, equity, positionTriples) {
    learnNames(namesFrom, namesJson);
    const data = new F64(payload);
    const minute = data[0];
    const priceCount = data[1];
    const currentPrices = readPrices(data, priceCount, 2);
    applyBars(data, payload, 2 + 2 * priceCount);
    // Free the input now rather than at this isolate's next GC, which may be far off for an idle
    // isolate: detaching releases the backing store (a new isolate's first input is the whole
    // window, ~0.7 MB at 10 symbols).
    if (ArrayBufferTransfer !== undefined) ReflectApply(ArrayBufferTransfer, payload, [0]);
    nowMs = minute;
    resetLogs();
    if (memoryDirty) memory = JSONparse(memoryJsonGood);
    memoryDirty = true;
    const team = { id: teamId, cash: jsonNumber(cash), equity: jsonNumber(equity), positions: readPositions(positionTriples), params, memory, api };
    let out;
    try {
      out = instance.generateSignal(team, bars, currentPrices);
    } catch (e) {
      return thrownJson('runtime', e, '');
    }
    try {
      if (out !== null && (typeof out === 'object' || typeof out === 'function') && typeof out.then === 'function') {
        return errorJson('invalid-result', 'generateSignal returned a Promise: strategies must be synchronous (no async/await); return a signal, a list of signals, or null');
      }
    } catch (e) {
      return thrownJson('invalid-result', e, 'the returned value could not be inspected: ');
    }
    let list;
    let signalsJson;
    try {
      list = out === null || out === undefined ? [] : ArrayIsArray(out) ? out : [out];
      const count = list.length;
      if (typeof count !== 'number' || count > maxSignals) {
        return errorJson('invalid-result', 'generateSignal returned ' + StringC(count) + ' signals; at most ' + maxSignals + ' are accepted per call');
      }
      signalsJson = '[';
      for (let i = 0; i < count; i++) signalsJson += (i === 0 ? '' : ',') + signalJson(list[i]);
      signalsJson += ']';
    } catch (e) {
      return thrownJson('invalid-result', e, 'the returned signals could not be read: ');
    }
    let memoryJson;
    try {
      const m = team.memory;
      if (m === null || typeof m !== 'object' || ArrayIsArray(m)) {
        return errorJson('invalid-result', 'team.memory must stay a plain JSON object; the previous memory is kept');
      }
      memoryJson = JSONstringify(m);
    } catch (e) {
      return thrownJson('invalid-result', e, 'team.memory could not be serialised to JSON (the previous memory is kept): ');
    }
    // A toJSON can turn the object into anything; what is kept must be a JSON object.
    if (typeof memoryJson !== 'string' || sliceOf(memoryJson, 0, 1) !== '{') {
      return errorJson('invalid-result', 'team.memory must stay a plain JSON object; the previous memory is kept');
    }
    // Only a \u escape can be suspect: a plain substring test spares most calls the regular expression.
    if (ReflectApply(StringIncludes, memoryJson, ['\\u']) && ReflectApply(RegExpExec, SUSPECT_ESCAPE, [memoryJson]) !== null) {
      const where = unstorablePath(JSONparse(memoryJson), 'team.memory');
      if (where !== null) {
        return errorJson('invalid-result', clip(where, 200) + ' holds a NUL character or an unpaired surrogate, which cannot be stored; the previous memory is kept');
      }
    }
    if (memoryJson.length > memoryCapChars) {
      return errorJson('invalid-result', 'team.memory serialises to ' + memoryJson.length + ' characters, over the cap of ' + memoryCapChars + '; the previous memory is kept');
    }
    // The live object becomes the JSON round-trip, so a warm isolate and one restored from the
    // saved memory see exactly the same value.
    memory = JSONparse(memoryJson);
    memoryJsonGood = memoryJson;
    memoryDirty = false;
    return '{"ok":true,"signals":' + signalsJson + ',"memory":' + memoryJson + ',"logs":' + logsJson() + '}';
  }

  // The team's state crosses as numbers: the four words of this minute's random seed, cash,
  // equity, then its positions as (symbol index, quantity, average cost) triples, so nothing is
  // serialised per call.
  function run(payload, namesFrom, namesJson, s0, s1, s2, s3, cash, equity, ...positionTriples) {
    try {
      if (instance === null) return errorJson('load', 'the strategy is not loaded');
      seedWords(s0, s1, s2, s3);
      return runCall(payload, namesFrom, namesJson, cash, equity, positionTriples);
    } catch (e) {
      try {
        return thrownJson('runtime', e, '');
      } catch {
        return FALLBACK;
      }
    }
  }

  return ObjectFreeze({ setup, construct, run });
})();
