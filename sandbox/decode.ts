// Host-side decoding of the string a strategy call returns. The string was produced inside the
// isolate and is untrusted: it is size-checked, parsed with the host's JSON.parse (which yields
// plain host objects, no getters or proxies) and validated field by field.
// Every cap the runtime applies inside the isolate is applied again here, because a strategy can
// tamper with the realm the runtime serialises in (prototypes, toJSON): the isolate's word on
// sizes and kinds is never trusted.
import { safeText, unstorableJsonPath } from './safeText.ts';
import type { InvalidSignal, LogLevel, LogLine, SandboxError, SandboxErrorKind, Signal } from './types.ts';

export const MAX_RESULT_CHARS = 4 * 1024 * 1024;
/** Characters kept of an error message and of a stack a strategy produced. */
export const MAX_ERROR_CHARS = 2000;
export const MAX_STACK_CHARS = 8000;

export interface DecodeLimits {
  maxSignals: number;
  maxReasonChars: number;
  /** Lines kept, including the runtime's "dropped" marker line. */
  maxLogLines: number;
  /** Characters kept over all lines of one call (the marker line aside). */
  maxLogBytes: number;
  /** Characters of the serialised team.memory. */
  memoryCapChars: number;
}

export type DecodedCall =
  | { ok: true; signals: Signal[]; invalidSignals: InvalidSignal[]; memory: unknown; logs: LogLine[] }
  | { ok: false; error: SandboxError; logs: LogLine[]; discardIsolate?: boolean };

/**
 * The kinds a runtime inside the isolate may report. The others (timeout, memory, crashed,
 * quarantined) are facts only the host observes; a result claiming one is a forgery.
 */
const ISOLATE_ERROR_KINDS = new Set<SandboxErrorKind>(['runtime', 'invalid-result', 'load']);
const LOG_MARKER_CHARS = 200;
const LOG_LEVELS = new Set<LogLevel>(['log', 'info', 'warn', 'error', 'debug']);
const SYMBOL_PATTERN = /^[A-Za-z0-9._/-]{1,32}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type DecodeFailure = Extract<DecodedCall, { ok: false }>;

function invalid(message: string, logs: LogLine[] = []): DecodeFailure {
  return { ok: false, error: { kind: 'invalid-result', message }, logs };
}

/** Describes a value the runtime replaced by a `{ $type }` marker, or a plain JSON value (clipped: it ends up in a message). */
function describe(value: unknown): string {
  return safeText(describeUnclipped(value), 80);
}

function describeUnclipped(value: unknown): string {
  if (isRecord(value) && typeof value.$type === 'string') {
    if (value.$type === 'number' && typeof value.value === 'string') return value.value;
    if (value.$type === 'string' && typeof value.length === 'number') return `a string of ${value.length} characters`;
    return `a value of type ${value.$type}`;
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return value === null ? 'null' : `${typeof value} ${JSON.stringify(value)}`;
}

export function decodeLogs(raw: unknown, maxLines: number, maxChars: number): LogLine[] {
  if (!Array.isArray(raw)) return [];
  const logs: LogLine[] = [];
  // The marker line the runtime appends is allowed a little on top of the budget.
  let left = maxChars + LOG_MARKER_CHARS;
  for (const line of raw.slice(0, maxLines)) {
    if (left <= 0) break;
    if (!isRecord(line) || typeof line.message !== 'string') continue;
    const level = typeof line.level === 'string' && LOG_LEVELS.has(line.level as LogLevel) ? (line.level as LogLevel) : 'log';
    const message = safeText(line.message, left);
    left -= message.length;
    logs.push({ level, message });
  }
  return logs;
}

/** Validates one signal; returns an error message or the clean signal. */
export function validateSignal(raw: unknown, index: number, maxReasonChars: number): Signal | string {
  const where = `signal ${index}`;
  if (!isRecord(raw) || '$type' in raw) {
    return `${where} must be an object like { symbol: 'AAPL', action: 'buy', quantity: 10 }, got ${describe(raw)}`;
  }
  const { symbol, action, quantity, price, confidence, reason } = raw;
  if (typeof symbol !== 'string' || !SYMBOL_PATTERN.test(symbol)) {
    return `${where}: symbol must be a ticker string such as "AAPL", got ${describe(symbol)}`;
  }
  if (action !== 'buy' && action !== 'sell') return `${where} (${symbol}): action must be "buy" or "sell", got ${describe(action)}`;
  if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0) {
    return `${where} (${symbol}): quantity must be a finite number greater than 0, got ${describe(quantity)}`;
  }
  const signal: Signal = { symbol, action, quantity };
  if (price !== undefined) {
    if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0) {
      return `${where} (${symbol}): price, when given, must be a finite number greater than 0, got ${describe(price)}`;
    }
    signal.price = price;
  }
  if (confidence !== undefined) {
    if (typeof confidence !== 'number' || !Number.isFinite(confidence)) {
      return `${where} (${symbol}): confidence, when given, must be a finite number, got ${describe(confidence)}`;
    }
    signal.confidence = confidence;
  }
  if (reason !== undefined) {
    if (typeof reason !== 'string' || reason.length > maxReasonChars) {
      return `${where} (${symbol}): reason, when given, must be a string of at most ${maxReasonChars} characters, got ${describe(reason)}`;
    }
    signal.reason = safeText(reason, maxReasonChars);
  }
  return signal;
}

/** Decodes the JSON string returned by the runtime's `run` or `construct`. */
export function decodeCallResult(text: unknown, limits: DecodeLimits): DecodedCall {
  if (typeof text !== 'string') return invalid('the sandbox runtime returned no result string');
  if (text.length > MAX_RESULT_CHARS) return invalid(`the result is ${text.length} characters, over the ${MAX_RESULT_CHARS} limit`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid('the sandbox runtime returned a result that is not valid JSON');
  }
  if (!isRecord(parsed)) return invalid('the sandbox runtime returned a malformed result');
  const logs = decodeLogs(parsed.logs, limits.maxLogLines, limits.maxLogBytes);
  if (parsed.ok !== true) {
    const error = parsed.error;
    if (!isRecord(error) || typeof error.message !== 'string') return invalid('the sandbox runtime returned a malformed error', logs);
    const kind = typeof error.kind === 'string' && ISOLATE_ERROR_KINDS.has(error.kind as SandboxErrorKind) ? (error.kind as SandboxErrorKind) : 'runtime';
    const decoded: SandboxError = { kind, message: safeText(error.message, MAX_ERROR_CHARS) };
    if (typeof error.stack === 'string') decoded.stack = safeText(error.stack, MAX_STACK_CHARS);
    return { ok: false, error: decoded, logs };
  }
  const memory = checkMemory(parsed.memory, text, limits.memoryCapChars);
  if (typeof memory === 'string') return { ...invalid(memory, logs), discardIsolate: true };
  if (parsed.signals === undefined) return { ok: true, signals: [], invalidSignals: [], memory: parsed.memory, logs };
  if (!Array.isArray(parsed.signals)) return invalid('the signals are not a list', logs);
  if (parsed.signals.length > limits.maxSignals) {
    return invalid(`generateSignal returned ${parsed.signals.length} signals; at most ${limits.maxSignals} are accepted per call`, logs);
  }
  // Each entry is judged on its own: a malformed one is reported with its position (messages number
  // signals from 1) and the others go on, as the README promises.
  const signals: Signal[] = [];
  const invalidSignals: InvalidSignal[] = [];
  for (const [index, raw] of parsed.signals.entries()) {
    const checked = validateSignal(raw, index + 1, limits.maxReasonChars);
    if (typeof checked === 'string') invalidSignals.push({ index, message: checked });
    else signals.push(checked);
  }
  return { ok: true, signals, invalidSignals, memory: parsed.memory, logs };
}

/**
 * Checks the team.memory of a successful result: a plain object (or absent, at construction),
 * within the cap, storable in Postgres. Returns an error message, or null when it is fine. The
 * runtime checks the same, so failing here means the strategy subverted the runtime; the isolate
 * already holds the bad memory, so the caller discards it and rebuilds it from the last good one.
 */
function checkMemory(memory: unknown, rawJson: string, capChars: number): string | null {
  if (memory === undefined) return null;
  if (!isRecord(memory)) return 'team.memory must stay a plain JSON object; the previous memory is kept';
  const where = unstorableJsonPath(memory, rawJson, 'team.memory');
  if (where !== null) {
    return `${where} holds a NUL character or an unpaired surrogate, which cannot be stored; the previous memory is kept`;
  }
  // Serialising again costs as much as the runtime's check; only results near the cap need it.
  if (rawJson.length > capChars && JSON.stringify(memory).length > capChars) {
    return `team.memory is over the cap of ${capChars} characters; the previous memory is kept`;
  }
  return null;
}
