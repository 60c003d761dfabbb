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

const DAY_MS = 86_400_000;

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

/**
 * The minute of a timestamp in the form every bars file writes, `YYYY-MM-DDTHH:MM:00Z`, on the date of
 * `day` (whose text and first instant a row of the same date validated); NaN for anything else, which
 * parseUtcMinute then judges. Rows come in date order, so nearly every row takes this path: digits read
 * in place, no match object, no Date.
 */
function minuteOnDay(text: string, day: { text: string; epochMs: number }): number {
  if (text.length !== 20 || day.text === '' || !text.startsWith(day.text) || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return NaN;
  if (text.charCodeAt(17) !== 48 || text.charCodeAt(18) !== 48 || text.charCodeAt(19) !== 90) return NaN;
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  return hour < 24 && minute < 60 ? day.epochMs + (hour * 60 + minute) * 60_000 : NaN;
}

/** The number written by the two ASCII digits at `at`, or NaN. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const units = text.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : NaN;
}

/** The value of a plain decimal that is finite; NaN for anything parseDecimal refuses. */
function decimalValue(text: string): number {
  if (!DECIMAL.test(text)) return NaN;
  const value = Number(text);
  return Number.isFinite(value) ? value : NaN;
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
  /** Where each column is in a record, in BAR_CSV_COLUMNS order; null until the header is read. */
  #columnAt: number[] | null = null;
  /** The date (`YYYY-MM-DD`) of the last timestamp read whole, and its first instant. */
  #day = { text: '', epochMs: 0 };
  readonly #bars: Bar[] = [];
  /** `SYMBOL@epochMs` → line of its first occurrence, to name both lines of a duplicate. */
  readonly #seen = new Map<string, number>();

  constructor(sourceName: string) {
    this.#source = sourceName;
  }

  accept(fields: readonly string[], line: number): void {
    if (this.#columnAt === null) {
      this.#columnAt = this.#readHeader(fields, line);
      return;
    }
    if (fields.length !== BAR_CSV_COLUMNS.length) {
      this.#fail(line, null, `expected ${String(BAR_CSV_COLUMNS.length)} fields (${EXPECTED_HEADER}), found ${String(fields.length)}`);
    }
    // Column positions in BAR_CSV_COLUMNS order: timestamp, symbol, open, high, low, close, volume.
    const at = this.#columnAt;
    const symbol = fields[at[1]!] ?? '';
    const timestamp = this.#timestamp(line, fields[at[0]!] ?? '');
    const open = this.#decimal(line, 'open', fields[at[2]!] ?? '');
    const high = this.#decimal(line, 'high', fields[at[3]!] ?? '');
    const low = this.#decimal(line, 'low', fields[at[4]!] ?? '');
    const close = this.#decimal(line, 'close', fields[at[5]!] ?? '');
    const volume = this.#decimal(line, 'volume', fields[at[6]!] ?? '');
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
    if (this.#columnAt === null) this.#fail(null, null, `the file is empty; the first line must be the header ${EXPECTED_HEADER}`);
    return this.#bars.sort(compareBars);
  }

  #readHeader(fields: readonly string[], line: number): number[] {
    const problem = headerProblem(fields);
    if (problem !== null) this.#fail(line, null, problem);
    return BAR_CSV_COLUMNS.map((column) => fields.indexOf(column));
  }

  #timestamp(line: number, text: string): number {
    const minute = minuteOnDay(text, this.#day);
    if (!Number.isNaN(minute)) return minute;
    const result = parseUtcMinute(text);
    if (!result.ok) this.#fail(line, 'timestamp', result.problem);
    // A date read whole and found real: the rows after it on the same date take the short path.
    if (text.length === 20) this.#day = { text: text.slice(0, 10), epochMs: result.value - (((result.value % DAY_MS) + DAY_MS) % DAY_MS) };
    return result.value;
  }

  #decimal(line: number, column: BarCsvColumn, text: string): number {
    const value = decimalValue(text);
    if (!Number.isNaN(value)) return value;
    const result = parseDecimal(column, text);
    if (!result.ok) this.#fail(line, column, result.problem);
    return result.value;
  }

  #fail(line: number | null, field: BarCsvColumn | null, problem: string): never {
    throw new BarsCsvError(this.#source, line, field, problem);
  }
}
