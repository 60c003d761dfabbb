import { createReadStream } from 'node:fs';
import { CsvError, parse as createCsvParser } from 'csv-parse';
import { parse as parseCsvText } from 'csv-parse/sync';
import type { Bar } from './bar.ts';
import { BarsCsvCollector, BarsCsvError } from './csvBarRows.ts';

export { BAR_CSV_COLUMNS, BarsCsvError } from './csvBarRows.ts';

// Field counts are checked by the collector, which knows the header and says which columns it wanted.
// Every line ending is named: csv-parse otherwise takes the first one it sees as the only one, and a file
// mixing CRLF and LF merges lines into one record (errors reported lines late, or rows lost).
const CSV_OPTIONS = { info: true, relax_column_count: true, skip_empty_lines: true, bom: true, record_delimiter: ['\r\n', '\n', '\r'] };

/** What csv-parse yields per record with `info: true`; `lines` is the line the record ends on. */
interface CsvRecordWithInfo {
  record: string[];
  info: { lines: number };
}

function syntaxError(sourceName: string, error: CsvError): BarsCsvError {
  const line = typeof error['lines'] === 'number' ? error['lines'] : null;
  return new BarsCsvError(sourceName, line, null, `malformed CSV: ${error.message}`);
}

/** Bars from the text of a CSV file; `sourceName` is the name errors are reported under. */
export function parseBarsCsv(text: string, sourceName: string): Bar[] {
  let records: CsvRecordWithInfo[];
  try {
    // csv-parse's types do not model `info: true`, which wraps every record with its position.
    records = parseCsvText(text, CSV_OPTIONS) as unknown as CsvRecordWithInfo[];
  } catch (error) {
    if (error instanceof CsvError) throw syntaxError(sourceName, error);
    throw error;
  }
  const collector = new BarsCsvCollector(sourceName);
  for (const { record, info } of records) collector.accept(record, info.lines);
  return collector.finish();
}

/** Bars from a CSV file, streamed so a long replay file is never held as one string. */
export async function readBarsCsv(path: string): Promise<Bar[]> {
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
