// JSON text for a `jsonb` parameter that Postgres is sure to accept. Strategy output is made
// storable at the sandbox boundary already; this is the last line before a statement that carries
// several teams' rows, where one bad string would fail every team's write (and the minute).
import { isStorableText, safeText, unstorableJsonPath } from '../../sandbox/safeText.ts';

/** `JSON.stringify(value)`, with any string or key Postgres cannot store replaced by a storable one. */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) return 'null';
  if (unstorableJsonPath(value, json, '') === null) return json;
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? safeText(item, item.length) : sanitizeKeys(item)));
}

function sanitizeKeys(item: unknown): unknown {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
  if (Object.keys(item).every(isStorableText)) return item;
  return Object.fromEntries(Object.entries(item).map(([key, inner]) => [safeText(key, key.length), inner]));
}
