import { type Bar, compareBars, findBarProblem, formatMinute } from './bar.ts';

export const BAR_CSV_COLUMNS = ['timestamp', 'symbol', 'open', 'high', 'low', 'close', 'volume'] as const;
type BarCsvColumn = (typeof BAR_CSV_COLUMNS)[number];

const EXPECTED_HEADER = BAR_CSV_COLUMNS.join(',');

/** A bars file that cannot be used, located as `file:line` so editors and terminals can jump to it. */
export class BarsCsvError extends Error {
  readonly source: string;
  /** 1-based line in the file; null when the problem is the file as a whole. */
  readonly line: number | null;
  /** The column at fault, when one is. */
  readonly field: BarCsvColumn | null;

  constructor(source: string, line: number | null, field: BarCsvColumn | null, problem: string) {
    super(line === null ? `${source}: ${problem}` : `${source}:${String(line)}: ${problem}`);
    this.name = 'BarsCsvError';
    this.source = source;
    this.line = line;
    this.field = field;
  }
}

// ISO-8601 in UTC only: an offset or a zone-less time would make the bar's minute ambiguous.
const UTC_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?Z$/;
// Plain decimals only: Number() alone would accept '', ' ', '0x1F' and 'Infinity'.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

type FieldResult<T> = { ok: true; value: T } | { ok: false; problem: string };

function parseUtcMinute(text: string): FieldResult<number> {
  const match = UTC_TIMESTAMP.exec(text);
  if (match === null) {
    return { ok: false, problem: `timestamp ${JSON.stringify(text)} is not an ISO-8601 UTC time like 2025-07-08T13:30:00Z` };
  }
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  const seconds = match[6] ?? '00';
  const fraction = match[7] ?? '';
  const epochMs = Date.UTC(year, month - 1, day, hour, minute);
  const roundTrip = new Date(epochMs);
  // Date.UTC silently rolls 2025-02-30 over to March; comparing the parts back catches that.
  if (
    roundTrip.getUTCFullYear() !== year ||
    roundTrip.getUTCMonth() !== month - 1 ||
    roundTrip.getUTCDate() !== day ||
    roundTrip.getUTCHours() !== hour ||
    roundTrip.getUTCMinutes() !== minute
  ) {
    return { ok: false, problem: `timestamp ${text} is not a real date and time` };
  }
  if (seconds !== '00' || /[1-9]/.test(fraction)) {
    return { ok: false, problem: `timestamp ${text} is not on a whole minute (a bar starts at :00 seconds)` };
  }
  return { ok: true, value: epochMs };
}

function parseDecimal(column: BarCsvColumn, text: string): FieldResult<number> {
  if (!DECIMAL.test(text)) return { ok: false, problem: `${column} ${JSON.stringify(text)} is not a number` };
  const value = Number(text);
  if (!Number.isFinite(value)) return { ok: false, problem: `${column} ${text} is not a finite number` };
  return { ok: true, value };
}

function headerProblem(fields: readonly string[]): string | null {
  const missing = BAR_CSV_COLUMNS.filter((column) => !fields.includes(column));
  const unknown = fields.filter((field) => !(BAR_CSV_COLUMNS as readonly string[]).includes(field));
  const repeated = fields.filter((field, index) => fields.indexOf(field) !== index);
  if (missing.length === 0 && unknown.length === 0 && repeated.length === 0) return null;
  const details = [
    missing.length > 0 ? `missing ${missing.join(', ')}` : null,
    unknown.length > 0 ? `unknown ${unknown.map((field) => JSON.stringify(field)).join(', ')}` : null,
    repeated.length > 0 ? `repeated ${repeated.join(', ')}` : null,
  ].filter((detail) => detail !== null);
  return `the header must be ${EXPECTED_HEADER} (${details.join('; ')})`;
}

/**
 * Turns the records of a bars CSV file into validated bars, one record at a time, so the same rules
 * apply whether the text was read whole or streamed. Stops at the first bad record: one precise
 * message is more useful than a flood caused by, say, a shifted column.
 */
export class BarsCsvCollector {
  readonly #source: string;
  #columnIndex: Map<BarCsvColumn, number> | null = null;
  readonly #bars: Bar[] = [];
  /** `SYMBOL@epochMs` → line of its first occurrence, to name both lines of a duplicate. */
  readonly #seen = new Map<string, number>();

  constructor(sourceName: string) {
    this.#source = sourceName;
  }

  accept(fields: readonly string[], line: number): void {
    if (this.#columnIndex === null) {
      this.#columnIndex = this.#readHeader(fields, line);
      return;
    }
    if (fields.length !== BAR_CSV_COLUMNS.length) {
      this.#fail(line, null, `expected ${String(BAR_CSV_COLUMNS.length)} fields (${EXPECTED_HEADER}), found ${String(fields.length)}`);
    }
    const columnIndex = this.#columnIndex;
    const text = (column: BarCsvColumn): string => fields[columnIndex.get(column) ?? -1] ?? '';

    const symbol = text('symbol');
    const timestamp = this.#field(line, 'timestamp', parseUtcMinute(text('timestamp')));
    const open = this.#field(line, 'open', parseDecimal('open', text('open')));
    const high = this.#field(line, 'high', parseDecimal('high', text('high')));
    const low = this.#field(line, 'low', parseDecimal('low', text('low')));
    const close = this.#field(line, 'close', parseDecimal('close', text('close')));
    const volume = this.#field(line, 'volume', parseDecimal('volume', text('volume')));
    const bar: Bar = { symbol, timestamp, open, high, low, close, volume };

    const problem = findBarProblem(bar);
    if (problem !== null) this.#fail(line, problem.field, problem.message);

    const key = `${symbol}@${String(timestamp)}`;
    const firstLine = this.#seen.get(key);
    if (firstLine !== undefined) {
      this.#fail(line, null, `duplicate bar for ${symbol} at ${formatMinute(timestamp)} (first on line ${String(firstLine)})`);
    }
    this.#seen.set(key, line);
    this.#bars.push(bar);
  }

  /** The bars sorted by time, then symbol. */
  finish(): Bar[] {
    if (this.#columnIndex === null) this.#fail(null, null, `the file is empty; the first line must be the header ${EXPECTED_HEADER}`);
    return this.#bars.sort(compareBars);
  }

  #readHeader(fields: readonly string[], line: number): Map<BarCsvColumn, number> {
    const problem = headerProblem(fields);
    if (problem !== null) this.#fail(line, null, problem);
    return new Map(BAR_CSV_COLUMNS.map((column) => [column, fields.indexOf(column)]));
  }

  #field<T>(line: number, column: BarCsvColumn, result: FieldResult<T>): T {
    if (!result.ok) this.#fail(line, column, result.problem);
    return result.value;
  }

  #fail(line: number | null, field: BarCsvColumn | null, problem: string): never {
    throw new BarsCsvError(this.#source, line, field, problem);
  }
}
