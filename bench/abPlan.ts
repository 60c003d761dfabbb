// The pure half of bench/ab.ts: which files to swap between two revisions, in which order the
// versions run, and the figures of their outputs side by side. No I/O here.
import { median } from './stats.ts';

/** A file that differs between the base revision and HEAD, from `git diff --name-status --no-renames base HEAD`. */
export interface ChangedFile {
  /** M: in both, different; A: only in HEAD; D: only in the base. */
  status: 'M' | 'A' | 'D';
  path: string;
}

/**
 * Parses `git diff --name-status --no-renames -z` output: status and path alternate, NUL-separated.
 * Type changes (T) count as modifications; anything else is refused rather than guessed at.
 */
export function parseNameStatus(output: string): ChangedFile[] {
  const parts = output.split('\0');
  if (parts.at(-1) === '') parts.pop();
  if (parts.length % 2 !== 0) throw new Error('unexpected `git diff --name-status -z` output (odd number of fields)');
  const files: ChangedFile[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const code = parts[i] ?? '';
    const path = parts[i + 1] ?? '';
    const status = code === 'T' ? 'M' : code;
    if (status !== 'M' && status !== 'A' && status !== 'D') throw new Error(`unexpected change ${JSON.stringify(code)} for ${path}`);
    files.push({ status, path });
  }
  return files;
}

export type Version = 'base' | 'head';

/**
 * The versions in run order: rounds of one base run and one head run, the first of each pair
 * alternating, so a drift of the machine over the run (warming caches, another job starting) weighs
 * on both alike.
 */
export function runOrder(rounds: number): Array<{ round: number; version: Version }> {
  const order: Array<{ round: number; version: Version }> = [];
  for (let round = 1; round <= rounds; round++) {
    const pair: Version[] = round % 2 === 1 ? ['base', 'head'] : ['head', 'base'];
    for (const version of pair) order.push({ round, version });
  }
  return order;
}

/** Every finite number in a JSON value, by its dotted path (array items by index). */
export function numericLeaves(value: unknown, prefix = '', out = new Map<string, number>()): Map<string, number> {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) out.set(prefix, value);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => numericLeaves(item, prefix === '' ? String(index) : `${prefix}.${index}`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) numericLeaves(item, prefix === '' ? key : `${prefix}.${key}`, out);
  }
  return out;
}

export interface FigureComparison {
  base: number[];
  head: number[];
  /** Medians of each side. */
  baseMedian: number;
  headMedian: number;
  /** headMedian / baseMedian (null when the base median is 0). */
  ratio: number | null;
}

/**
 * The figures both versions printed, side by side: every numeric leaf present in every run, or
 * only those whose path starts with one of `prefixes` (all of them when none is given).
 */
export function compareFigures(runs: ReadonlyArray<{ version: Version; output: unknown }>, prefixes: readonly string[] = []): Record<string, FigureComparison> {
  const leaves = runs.map((run) => ({ version: run.version, figures: numericLeaves(run.output) }));
  const first = leaves[0]?.figures ?? new Map<string, number>();
  const wanted = (path: string): boolean => prefixes.length === 0 || prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`));
  const result: Record<string, FigureComparison> = {};
  for (const path of first.keys()) {
    if (!wanted(path) || !leaves.every((run) => run.figures.has(path))) continue;
    const side = (version: Version): number[] => leaves.filter((run) => run.version === version).map((run) => run.figures.get(path) ?? NaN);
    const base = side('base');
    const head = side('head');
    const baseMedian = median(base);
    const headMedian = median(head);
    result[path] = { base, head, baseMedian, headMedian, ratio: baseMedian === 0 ? null : Number((headMedian / baseMedian).toFixed(4)) };
  }
  return result;
}
