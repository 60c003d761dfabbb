// Text and JSON a strategy produced, made safe to store and publish. Postgres refuses a NUL
// character in `text` and `\u0000` or an unpaired surrogate escape in `jsonb`; one such value in
// a statement that carries several teams' rows would fail all of them. So every string that
// leaves the sandbox passes here first, on the host side, whatever the isolate's runtime did.

const REPLACEMENT = '\uFFFD';
const TRUNCATED = '…[truncated]';

/** True when `text` has no NUL and no unpaired surrogate (so Postgres `text` and `jsonb` accept it). */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

/**
 * `text` with NUL and unpaired surrogates replaced by U+FFFD and clipped to `max` characters
 * (plus a marker). Clipping never splits a surrogate pair.
 */
export function safeText(text: string, max: number): string {
  let out = text;
  if (out.length > max) {
    let end = max;
    const last = out.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not leave half of a pair behind
    out = out.slice(0, end) + TRUNCATED;
  }
  if (!isStorableText(out)) out = out.toWellFormed().replaceAll('\u0000', REPLACEMENT);
  return out;
}

/**
 * The first place in a parsed JSON value holding a string (or key) that Postgres `jsonb` cannot
 * store, as a path like `memory.notes[3]`, or null when there is none. `rawJson` is the text the
 * value was parsed from: when it has no `\u0000`, no surrogate escape and no unpaired surrogate,
 * the value cannot hold one either, so the walk is skipped (the common case costs one scan).
 */
export function unstorableJsonPath(value: unknown, rawJson: string, root: string): string | null {
  if (rawJson.isWellFormed() && !/\\u(?:0000|[dD][89a-fA-F])/.test(rawJson)) return null;
  return unstorablePath(value, root);
}

/** What a value holding text Postgres cannot store is told (after its name). */
export const UNSTORABLE_TEXT = 'must not contain a NUL character or an unpaired surrogate';

/** The first string (or key) in `value` that Postgres `text` or `jsonb` cannot store, as a path from `root`; null when there is none. */
export function unstorablePath(value: unknown, root: string): string | null {
  const keys = unstorableKeys(value);
  return keys === null ? null : keys.reduce<string>((path, key) => (typeof key === 'number' ? `${path}[${key}]` : `${path}.${safeText(key, 40)}`), root);
}

/** The keys and indices leading to the first string (or key) in `value` that Postgres cannot store; null when there is none. */
export function unstorableKeys(value: unknown): Array<string | number> | null {
  if (typeof value === 'string') return isStorableText(value) ? null : [];
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableKeys(value[i]);
      if (found !== null) return [i, ...found];
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    if (!isStorableText(key)) return [key];
    const found = unstorableKeys(item);
    if (found !== null) return [key, ...found];
  }
  return null;
}
