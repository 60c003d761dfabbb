// The strategy's console: lines kept per call up to a count and a character budget, rendered
// without calling strategy code where avoidable, and written as JSON text for the call's result.
import { ArrayBufferIsView, ArrayIsArray, ErrorC, G, MathMax, MathMin, ObjectDefineProperty, ObjectKeys, StringC } from './intrinsics.ts';
import { quote, sliceOf } from './text.ts';

let maxLogLines = 50;
let maxLogBytes = 8192;
const logLevels: string[] = [];
const logMessages: string[] = [];
let logBytes = 0;
let logDropped = 0;
/** Console calls since the last reset: while 0 the call has nothing to reset or report (read by entry.ts). */
export let logCalls = 0;

export function setLogLimits(lines: number, bytes: number): void {
  maxLogLines = lines;
  maxLogBytes = bytes;
}

export function resetLogs(): void {
  // Emptied in place: no garbage per call for the common case of no output.
  if (logMessages.length !== 0) {
    logLevels.length = 0;
    logMessages.length = 0;
  }
  logBytes = 0;
  logDropped = 0;
  logCalls = 0;
}

interface Budget {
  left: number;
}

function inspect(value: unknown, depth: number, budget: Budget): string {
  if (budget.left <= 0) return '…';
  const type = typeof value;
  if (type === 'string') return depth === 0 ? (value as string) : quote(value);
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
  const keys = isList ? null : ObjectKeys(value as object);
  const count = isList ? (value as ArrayLike<unknown>).length : keys!.length;
  const shown = MathMin(count, 20);
  let text = '';
  let parts = 0;
  for (let i = 0; i < shown && budget.left > 0; i++) {
    let piece = isList
      ? inspect((value as ArrayLike<unknown>)[i], depth + 1, budget)
      : keys![i]! + ': ' + inspect((value as Record<string, unknown>)[keys![i]!], depth + 1, budget);
    if (typeof piece !== 'string') piece = '';
    budget.left -= piece.length + 2;
    text += (parts === 0 ? '' : ', ') + piece;
    parts++;
  }
  if (count > parts) text += (parts === 0 ? '' : ', ') + '… ' + (count - parts) + ' more';
  return isList ? '[' + text + ']' : '{ ' + text + ' }';
}

function emit(level: string, args: unknown[]): void {
  logCalls++;
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

function logLineJson(level: string, message: string): string {
  return '{"level":' + quote(level) + ',"message":' + quote(message) + '}';
}
export function logsJson(): string {
  if (logMessages.length === 0 && logDropped === 0) return '[]';
  let json = '[';
  const count = MathMin(logMessages.length, maxLogLines);
  for (let i = 0; i < count; i++) json += (i === 0 ? '' : ',') + logLineJson(logLevels[i]!, logMessages[i]!);
  if (logDropped > 0) {
    const marker = '[qtc] ' + logDropped + ' more console call(s) dropped: at most ' + maxLogLines + ' lines and ' + maxLogBytes + ' characters per call are kept';
    json += (count === 0 ? '' : ',') + logLineJson('warn', marker);
  }
  return json + ']';
}

// Installed when this module is evaluated (see capabilities.ts for why not in a function).
{
  const qtcConsole: Record<string, (...args: unknown[]) => void> = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    qtcConsole[level] = function (...args: unknown[]) {
      emit(level, args);
    };
  }
  qtcConsole.trace = qtcConsole.debug!;
  ObjectDefineProperty(G, 'console', { value: qtcConsole, writable: true, enumerable: false, configurable: true });
}
