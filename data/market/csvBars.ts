import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type * as CsvParseStream from 'csv-parse';
import type * as CsvParseSync from 'csv-parse/sync';
import type { Bar } from './bar.ts';
import { BarsCsvCollector, BarsCsvError } from './csvBarRows.ts';

export { BAR_CSV_COLUMNS, BarsCsvError } from './csvBarRows.ts';

// Field counts are checked by the collector, which knows the header and says which columns it wanted.
// Every line ending is named: csv-parse otherwise takes the first one it sees as the only one, and a file
// mixing CRLF and LF merges lines into one record (errors reported lines late, or rows lost).
export const CSV_OPTIONS = { info: true, relax_column_count: true, skip_empty_lines: true, bom: true, record_delimiter: ['\r\n', '\n', '\r'] };

/** What csv-parse yields per record with `info: true`; `lines` is the line the record ends on. */
interface CsvRecordWithInfo {
  record: string[];
  info: { lines: number };
}

// csv-parse is loaded only for a file it is needed for (quoted, or too large to read whole): most bars
// files are neither, and loading it (with node:stream) was ~15-25 ms of a short `qtc backtest`. Each
// entry is one module of its own, with its own CsvError class, so each caller tests against its module's.
const requireHere = createRequire(import.meta.url);
const csvParseStream = (): typeof CsvParseStream => requireHere('csv-parse') as typeof CsvParseStream;
const csvParseSync = (): typeof CsvParseSync => requireHere('csv-parse/sync') as typeof CsvParseSync;

function syntaxError(sourceName: string, error: CsvParseSync.CsvError): BarsCsvError {
  const line = typeof error['lines'] === 'number' ? error['lines'] : null;
  return new BarsCsvError(sourceName, line, null, `malformed CSV: ${error.message}`);
}

/**
 * csv-parse's records and their line numbers under CSV_OPTIONS, for a text without a quote character:
 * then no field can hold a delimiter, so splitting at line endings and commas gives the same records
 * (tests/unit/market/csvBars.test.ts compares the two on generated texts). Several times faster than
 * csv-parse, which matters to a `qtc backtest` whose whole run is a second: ~70 ms of it for one week
 * of SPY minutes.
 */
export function* unquotedCsvRecords(text: string): Generator<CsvRecordWithInfo> {
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  while (at < text.length) {
    line++;
    let end = at;
    while (end < text.length && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
    // skip_empty_lines: an empty line gives no record but is counted.
    if (end > at) yield { record: text.slice(at, end).split(','), info: { lines: line } };
    at = text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
  }
}

/** Bars from the text of a CSV file; `sourceName` is the name errors are reported under. */
export function parseBarsCsv(text: string, sourceName: string): Bar[] {
  const collector = new BarsCsvCollector(sourceName);
  if (!text.includes('"')) {
    for (const { record, info } of unquotedCsvRecords(text)) collector.accept(record, info.lines);
    return collector.finish();
  }
  const { parse, CsvError } = csvParseSync();
  try {
    // csv-parse's types do not model `info: true`, which wraps every record with its position.
    for (const { record, info } of parse(text, CSV_OPTIONS) as unknown as CsvRecordWithInfo[]) collector.accept(record, info.lines);
  } catch (error) {
    if (error instanceof CsvError) throw syntaxError(sourceName, error);
    throw error;
  }
  return collector.finish();
}

/** Files up to this size are read whole (one string, parsed at once); larger ones are streamed. */
const READ_WHOLE_BYTES = 64 * 2 ** 20;

/** Bars from a CSV file, streamed so a long replay file is never held as one string. */
export async function readBarsCsv(path: string): Promise<Bar[]> {
  let text: string | null = null;
  try {
    if ((await stat(path)).size <= READ_WHOLE_BYTES) text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BarsCsvError(path, null, null, `cannot read the bars file: ${reason}`);
  }
  if (text !== null) return parseBarsCsv(text, path);
  const { parse: createCsvParser, CsvError } = csvParseStream();
  const parser = createCsvParser(CSV_OPTIONS);
  const input = createReadStream(path);
  // pipe() does not forward errors; without this a missing file would leave the loop waiting forever.
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  const collector = new BarsCsvCollector(path);
  try {
    for await (const { record, info } of parser as AsyncIterable<CsvRecordWithInfo>) collector.accept(record, info.lines);
  } catch (error) {
    if (error instanceof CsvError) throw syntaxError(path, error);
    if (error instanceof BarsCsvError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new BarsCsvError(path, null, null, `cannot read the bars file: ${reason}`);
  } finally {
    input.destroy();
  }
  return collector.finish();
}
