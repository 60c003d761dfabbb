// Postgres cannot store a NUL character or an unpaired surrogate: where team.memory holds one.
import { ArrayIsArray, ObjectKeys, ReflectApply, StringIncludes, StringIsWellFormed } from './intrinsics.ts';

// JSON.stringify writes both as \u escapes, so one scan of the text clears nearly every memory
// without a walk.
export const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
function unstorableString(text: string): boolean {
  return !ReflectApply(StringIsWellFormed, text, []) || ReflectApply(StringIncludes, text, ['\u0000']);
}
/** The path of the first unstorable string (or key) in a parsed JSON value, or null. */
export function unstorablePath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return unstorableString(value) ? path : null;
  if (value === null || typeof value !== 'object') return null;
  const list = ArrayIsArray(value);
  const keys = list ? null : ObjectKeys(value);
  const count = list ? value.length : keys!.length;
  for (let i = 0; i < count; i++) {
    const key = list ? i : keys![i]!;
    if (!list && unstorableString(key as string)) return path + '.' + '<key>';
    const found = unstorablePath((value as Record<string | number, unknown>)[key], list ? path + '[' + i + ']' : path + '.' + key);
    if (found !== null) return found;
  }
  return null;
}
