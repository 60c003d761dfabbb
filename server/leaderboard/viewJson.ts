/**
 * The JSON of a leaderboard view (what Redis caches and the channel carries), byte for byte
 * `JSON.stringify(view)`, with each team's sparkline text carried over from the minute before. A sparkline
 * moves by one point a minute, and writing every number of it again was about half of the board's
 * serialisation (3,000 teams × 120 points: ~20 of ~40 ms here). A kept text is reused only for the very
 * numbers it was written from (compared one by one); anything else is written afresh, and any entry or
 * view whose shape this does not recognise is left to `JSON.stringify` itself.
 */
import type { LeaderboardEntryView, LeaderboardView } from './view.ts';

interface KeptSparkline {
  values: number[];
  /** The values' JSON texts joined by commas, without the brackets. */
  inner: string;
}

/** JSON.stringify of one number (a number's text never contains a comma). */
const numberJson = (value: number): string => (Number.isFinite(value) ? String(value) : 'null');

/** `a[i] === b[i + shift]` for every i in [0, count). Equal numbers have equal JSON (0 and −0 are both "0"). */
function sameValues(a: readonly number[], b: readonly number[], count: number, shift: number): boolean {
  for (let i = 0; i < count; i++) if (a[i] !== b[i + shift]) return false;
  return true;
}

/** The inner text of `values` from the kept one, when they are its numbers, one more, or one more and the oldest gone. */
function carried(kept: KeptSparkline, values: readonly number[]): string | null {
  const before = kept.values;
  const n = values.length;
  if (n === 0) return '';
  const last = numberJson(values[n - 1]!);
  if (n === before.length && sameValues(values, before, n, 0)) return kept.inner;
  if (n === before.length + 1 && sameValues(values, before, n - 1, 0)) return before.length === 0 ? last : `${kept.inner},${last}`;
  if (n === before.length && sameValues(values, before, n - 1, 1)) return n === 1 ? last : `${kept.inner.slice(kept.inner.indexOf(',') + 1)},${last}`;
  return null;
}

/** Each team's latest sparkline text, kept between computations of one process's board. */
export class SparklineTexts {
  readonly #kept = new Map<string, KeptSparkline>();

  /** The JSON of `values`, the team's sparkline now. */
  json(teamId: string, values: readonly number[]): string {
    const kept = this.#kept.get(teamId);
    const inner = (kept === undefined ? null : carried(kept, values)) ?? values.map(numberJson).join(',');
    this.#kept.set(teamId, { values: values.slice(), inner });
    return `[${inner}]`;
  }

  /** Forgets the teams no longer on the board. */
  retain(teamIds: ReadonlySet<string>): void {
    for (const teamId of this.#kept.keys()) if (!teamIds.has(teamId)) this.#kept.delete(teamId);
  }
}

// Placeholders whose JSON marks where the kept texts go. A key's quotes cannot occur unescaped inside a
// string value, so the first occurrence is the key itself.
const SPARKLINE_AT = ',"sparkline":0';
const LEADERBOARD_AT = '{"leaderboard":0';

function entryJson(entry: LeaderboardEntryView, sparklines: SparklineTexts): string {
  const sparkline = sparklines.json(entry.team_id, entry.sparkline);
  const text = JSON.stringify({ ...entry, sparkline: 0 });
  const at = text.indexOf(SPARKLINE_AT);
  if (at < 0) return JSON.stringify(entry);
  return `${text.slice(0, at)},"sparkline":${sparkline}${text.slice(at + SPARKLINE_AT.length)}`;
}

/** `JSON.stringify(view)`, reusing the sparkline texts kept in `sparklines` (and keeping this minute's). */
export function leaderboardJson(view: LeaderboardView, sparklines: SparklineTexts): string {
  const rest = JSON.stringify({ ...view, leaderboard: 0 });
  if (!rest.startsWith(LEADERBOARD_AT)) return JSON.stringify(view);
  const entries = view.leaderboard.map((entry) => entryJson(entry, sparklines));
  sparklines.retain(new Set(view.leaderboard.map((entry) => entry.team_id)));
  return `{"leaderboard":[${entries.join(',')}]${rest.slice(LEADERBOARD_AT.length)}`;
}
