// The call's result records (errors, signals) written as JSON text by hand from primitive strings
// and numbers: the strategy may have tampered with JSON, toJSON or prototypes, and the host parses
// and validates the text again anyway (sandbox/decode.ts).
import { ArrayIsArray, NumberIsFinite, StringC } from './intrinsics.ts';
import { logsJson } from './console.ts';
import { clip, quote } from './text.ts';

let maxReasonChars = 1000;

export function setMaxReasonChars(count: number): void {
  maxReasonChars = count;
}

export const FALLBACK = '{"ok":false,"error":{"kind":"runtime","message":"the strategy left the sandbox runtime unable to report its error"},"logs":[]}';

function describeThrown(e: unknown): { message: string; stack: string | undefined } {
  let message: string | undefined;
  let stack: string | undefined;
  try {
    if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
      const m: unknown = (e as { message?: unknown }).message;
      const n: unknown = (e as { name?: unknown }).name;
      message = typeof m === 'string' ? m : 'a non-Error value was thrown: ' + StringC(e);
      if (typeof n === 'string' && n !== '' && typeof m === 'string') message = n + ': ' + message;
      const s: unknown = (e as { stack?: unknown }).stack;
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
export function errorJson(kind: string, message: string, stack?: string): string {
  let logs;
  try {
    logs = logsJson();
  } catch {
    logs = '[]';
  }
  const error = '{"kind":' + quote(kind) + ',"message":' + quote(message) + (typeof stack === 'string' ? ',"stack":' + quote(stack) : '') + '}';
  return '{"ok":false,"error":' + error + ',"logs":' + logs + '}';
}
export function thrownJson(kind: string, e: unknown, prefix: string): string {
  const d = describeThrown(e);
  return errorJson(kind, prefix + d.message, d.stack);
}

// Signals are written as JSON text field by field; a value that is not plain becomes a
// { "$type": … } marker the host turns into a precise message.
function valueJson(v: unknown): string {
  const type = typeof v;
  if (type === 'string') return (v as string).length > maxReasonChars ? '{"$type":"string","length":' + (v as string).length + '}' : quote(v);
  if (type === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'null';
  if (type === 'number') return NumberIsFinite(v) ? StringC(v) : '{"$type":"number","value":' + quote(StringC(v)) + '}';
  return '{"$type":' + quote(ArrayIsArray(v) ? 'array' : type) + '}';
}
const SIGNAL_FIELDS = ['symbol', 'action', 'quantity', 'price', 'confidence', 'reason'];
export function signalJson(s: unknown): string {
  if (s === null || typeof s !== 'object' || ArrayIsArray(s)) return '{"$type":' + quote(s === null ? 'null' : ArrayIsArray(s) ? 'array' : typeof s) + '}';
  let json = '{';
  for (let i = 0; i < SIGNAL_FIELDS.length; i++) {
    const v = (s as Record<string, unknown>)[SIGNAL_FIELDS[i]!];
    if (v !== undefined) json += (json === '{' ? '' : ',') + quote(SIGNAL_FIELDS[i]) + ':' + valueJson(v);
  }
  return json + '}';
}
