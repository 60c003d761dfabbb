import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsvText } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BarsCsvError, CSV_OPTIONS, parseBarsCsv, readBarsCsv, unquotedCsvRecords } from '../../../data/market/csvBars.ts';

const HEADER = 'timestamp,symbol,open,high,low,close,volume';
const GOOD_ROW = '2025-07-08T13:30:00Z,SPY,10.5,10.6,10.4,10.5,100';

function csv(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

function parseError(text: string): BarsCsvError {
  try {
    parseBarsCsv(text, 'bars.csv');
  } catch (error) {
    if (error instanceof BarsCsvError) return error;
    throw error;
  }
  throw new Error('expected parseBarsCsv to reject the file');
}

describe('parseBarsCsv', () => {
  it('parses rows into bars with epoch-ms timestamps', () => {
    const bars = parseBarsCsv(csv(HEADER, '2025-07-08T13:30:00Z,BRK.B,621.22,622.0,621.2,621.76,0', '2025-07-08T13:31:00.000Z,SPY,1,1,1,1,4059.0'), 'x.csv');
    expect(bars).toEqual([
      { symbol: 'BRK.B', timestamp: Date.UTC(2025, 6, 8, 13, 30), open: 621.22, high: 622, low: 621.2, close: 621.76, volume: 0 },
      { symbol: 'SPY', timestamp: Date.UTC(2025, 6, 8, 13, 31), open: 1, high: 1, low: 1, close: 1, volume: 4059 },
    ]);
  });

  it('sorts rows given in any order by time, then symbol', () => {
    const bars = parseBarsCsv(
      csv(HEADER, '2025-07-08T13:31:00Z,SPY,1,1,1,1,1', '2025-07-08T13:30:00Z,SPY,1,1,1,1,1', '2025-07-08T13:31:00Z,DBB,1,1,1,1,1', '2025-07-08T13:30:00Z,FXY,1,1,1,1,1'),
      'x.csv',
    );
    expect(bars.map((bar) => `${new Date(bar.timestamp).toISOString().slice(11, 16)} ${bar.symbol}`)).toEqual(['13:30 FXY', '13:30 SPY', '13:31 DBB', '13:31 SPY']);
  });

  it('accepts the columns in another order, a byte-order mark, CRLF line ends and blank lines', () => {
    const text = '\uFEFFsymbol,volume,timestamp,close,low,high,open\r\nSPY,7,2025-07-08T13:30:00Z,2,1,3,2\r\n\r\n';
    expect(parseBarsCsv(text, 'x.csv')).toEqual([{ symbol: 'SPY', timestamp: Date.UTC(2025, 6, 8, 13, 30), open: 2, high: 3, low: 1, close: 2, volume: 7 }]);
  });

  it('returns no bars for a file with only the header', () => {
    expect(parseBarsCsv(csv(HEADER), 'x.csv')).toEqual([]);
  });

  it('rejects an empty file, asking for the header', () => {
    const error = parseError('');
    expect(error.message).toBe('bars.csv: the file is empty; the first line must be the header timestamp,symbol,open,high,low,close,volume');
    expect(error.line).toBeNull();
  });

  it.each([
    ['a missing column', 'timestamp,symbol,open,high,low,close', 'missing volume'],
    ['an unknown column', `${HEADER},vwap`, 'unknown "vwap"'],
    ['a repeated column', 'timestamp,symbol,open,high,low,close,volume,open', 'repeated open'],
    ['a differently spelled column', 'Timestamp,symbol,open,high,low,close,volume', 'missing timestamp; unknown "Timestamp"'],
  ])('rejects a header with %s on line 1', (_what, header, detail) => {
    const error = parseError(csv(header, GOOD_ROW));
    expect(error.message).toBe(`bars.csv:1: the header must be ${HEADER} (${detail})`);
    expect(error.line).toBe(1);
  });

  // Each bad row sits on line 3, after a good one, so the line number is the row's and not the header's.
  it.each([
    ['too few fields', '2025-07-08T13:31:00Z,SPY,1,1,1,1', null, `expected 7 fields (${HEADER}), found 6`],
    ['too many fields', '2025-07-08T13:31:00Z,SPY,1,1,1,1,1,1', null, `expected 7 fields (${HEADER}), found 8`],
    ['a timestamp without zone', '2025-07-08T13:31:00,SPY,1,1,1,1,1', 'timestamp', 'timestamp "2025-07-08T13:31:00" is not an ISO-8601 UTC time like 2025-07-08T13:30:00Z'],
    [
      'a timestamp with an offset',
      '2025-07-08T09:31:00-04:00,SPY,1,1,1,1,1',
      'timestamp',
      'timestamp "2025-07-08T09:31:00-04:00" is not an ISO-8601 UTC time like 2025-07-08T13:30:00Z',
    ],
    ['a space instead of T', '2025-07-08 13:31:00Z,SPY,1,1,1,1,1', 'timestamp', 'timestamp "2025-07-08 13:31:00Z" is not an ISO-8601 UTC time like 2025-07-08T13:30:00Z'],
    ['epoch seconds', '1751981460,SPY,1,1,1,1,1', 'timestamp', 'timestamp "1751981460" is not an ISO-8601 UTC time like 2025-07-08T13:30:00Z'],
    ['an impossible date', '2025-02-30T13:31:00Z,SPY,1,1,1,1,1', 'timestamp', 'timestamp 2025-02-30T13:31:00Z is not a real date and time'],
    ['an impossible hour', '2025-07-08T24:00:00Z,SPY,1,1,1,1,1', 'timestamp', 'timestamp 2025-07-08T24:00:00Z is not a real date and time'],
    ['seconds past the minute', '2025-07-08T13:31:30Z,SPY,1,1,1,1,1', 'timestamp', 'timestamp 2025-07-08T13:31:30Z is not on a whole minute (a bar starts at :00 seconds)'],
    [
      'milliseconds past the minute',
      '2025-07-08T13:31:00.500Z,SPY,1,1,1,1,1',
      'timestamp',
      'timestamp 2025-07-08T13:31:00.500Z is not on a whole minute (a bar starts at :00 seconds)',
    ],
    ['an empty symbol', '2025-07-08T13:31:00Z,,1,1,1,1,1', 'symbol', `symbol "" is not an upper-case ticker (A-Z, 0-9, '.')`],
    ['a lower-case symbol', '2025-07-08T13:31:00Z,spy,1,1,1,1,1', 'symbol', `symbol "spy" is not an upper-case ticker (A-Z, 0-9, '.')`],
    ['a symbol with a space', '2025-07-08T13:31:00Z,SPY ,1,1,1,1,1', 'symbol', `symbol "SPY " is not an upper-case ticker (A-Z, 0-9, '.')`],
    ['a word for a price', '2025-07-08T13:31:00Z,SPY,abc,1,1,1,1', 'open', 'open "abc" is not a number'],
    ['an empty price', '2025-07-08T13:31:00Z,SPY,1,,1,1,1', 'high', 'high "" is not a number'],
    ['Infinity for a price', '2025-07-08T13:31:00Z,SPY,1,Infinity,1,1,1', 'high', 'high "Infinity" is not a number'],
    ['a hexadecimal price', '2025-07-08T13:31:00Z,SPY,1,1,0x1,1,1', 'low', 'low "0x1" is not a number'],
    ['an overflowing price', '2025-07-08T13:31:00Z,SPY,1,1,1,1e999,1', 'close', 'close 1e999 is not a finite number'],
    ['a zero price', '2025-07-08T13:31:00Z,SPY,0,1,0,1,1', 'open', 'open 0 is not a positive finite price'],
    ['a negative price', '2025-07-08T13:31:00Z,SPY,1,1,-1,1,1', 'low', 'low -1 is not a positive finite price'],
    ['high below open', '2025-07-08T13:31:00Z,SPY,10.5,10.2,10.1,10.2,1', 'high', 'high 10.2 is below open 10.5'],
    ['high below close', '2025-07-08T13:31:00Z,SPY,10.1,10.2,10.1,10.3,1', 'high', 'high 10.2 is below close 10.3'],
    ['low above open', '2025-07-08T13:31:00Z,SPY,10.1,10.5,10.2,10.3,1', 'low', 'low 10.2 is above open 10.1'],
    ['low above close', '2025-07-08T13:31:00Z,SPY,10.3,10.5,10.2,10.1,1', 'low', 'low 10.2 is above close 10.1'],
    ['a negative volume', '2025-07-08T13:31:00Z,SPY,1,1,1,1,-5', 'volume', 'volume -5 is not a non-negative whole number'],
    ['a fractional volume', '2025-07-08T13:31:00Z,SPY,1,1,1,1,10.5', 'volume', 'volume 10.5 is not a non-negative whole number'],
    ['a word for a volume', '2025-07-08T13:31:00Z,SPY,1,1,1,1,many', 'volume', 'volume "many" is not a number'],
    ['a duplicate of the previous row', GOOD_ROW, null, 'duplicate bar for SPY at 2025-07-08T13:30:00Z (first on line 2)'],
  ])('rejects %s, naming file, line 3 and field', (_what, row, field, problem) => {
    const error = parseError(csv(HEADER, GOOD_ROW, row));
    expect(error.message).toBe(`bars.csv:3: ${problem}`);
    expect(error.line).toBe(3);
    expect(error.field).toBe(field);
  });

  it('reads a row on the date of the row before it (the short path) exactly as a row read alone', () => {
    // Each row after the first of its date takes the short path; parsed alone, it takes the full one.
    const rows = [
      '1969-12-31T23:58:00Z,SPY,1,1,1,1,1',
      '1969-12-31T23:59:00Z,SPY,1,1,1,1,1',
      '2024-02-29T00:00:00Z,SPY,1,1,1,1,1',
      '2024-02-29T23:59:00Z,SPY,1,1,1,1,1',
      '2024-03-01T09:30:00Z,SPY,1,1,1,1,1',
      '2024-03-01T09:31:00.000Z,SPY,1,1,1,1,1',
      '2024-03-01T09:32Z,SPY,1,1,1,1,1',
      '2024-03-01T16:00:00Z,SPY,1,1,1,1,1',
    ];
    const together = parseBarsCsv(csv(HEADER, ...rows), 'x.csv');
    const alone = rows.flatMap((row) => parseBarsCsv(csv(HEADER, row), 'x.csv'));
    expect(together).toEqual(alone);
    expect(together.map((bar) => new Date(bar.timestamp).toISOString())).toEqual([
      '1969-12-31T23:58:00.000Z',
      '1969-12-31T23:59:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2024-02-29T23:59:00.000Z',
      '2024-03-01T09:30:00.000Z',
      '2024-03-01T09:31:00.000Z',
      '2024-03-01T09:32:00.000Z',
      '2024-03-01T16:00:00.000Z',
    ]);
    for (const bad of ['2024-03-01T24:00:00Z', '2024-03-01T09:60:00Z', '2024-03-01T09:30:05Z', '2024-03-01T0a:30:00Z', '2024-03-01T09:30:00+01']) {
      const after = parseError(csv(HEADER, rows[4]!, `${bad},SPY,1,1,1,1,1`));
      const first = parseError(csv(HEADER, `${bad},SPY,1,1,1,1,1`));
      expect(after.message.replace(':3:', ':2:')).toBe(first.message);
      expect(after.field).toBe('timestamp');
    }
  });

  it('counts blank lines when reporting the line of a bad row', () => {
    const error = parseError(csv(HEADER, '', GOOD_ROW, '', '', '2025-07-08T13:31:00Z,SPY,1,1,1,1,x'));
    expect(error.message).toBe('bars.csv:6: volume "x" is not a number');
  });

  it('reports the right line in a file that mixes CRLF, LF and CR line endings', () => {
    const text = `${HEADER}\r\n${GOOD_ROW}\n2025-07-08T13:31:00Z,SPY,1,1,1,1,1\r\n2025-07-08T13:32:00Z,SPY,1,1,1,1,1\r2025-07-08T13:33:00Z,SPY,1,1,1,1,x\n`;
    expect(parseError(text).message).toBe('bars.csv:5: volume "x" is not a number');
    const good = `${HEADER}\r\n${GOOD_ROW}\n2025-07-08T13:31:00Z,SPY,1,1,1,1,1\r\n2025-07-08T13:32:00Z,SPY,1,1,1,1,1\r`;
    expect(parseBarsCsv(good, 'bars.csv')).toHaveLength(3);
  });

  it('reports a duplicate that is not adjacent with both lines', () => {
    const error = parseError(csv(HEADER, GOOD_ROW, '2025-07-08T13:31:00Z,SPY,1,1,1,1,1', '2025-07-08T13:30:00Z,FXY,1,1,1,1,1', '2025-07-08T13:30:00Z,SPY,1,1,1,1,1'));
    expect(error.message).toBe('bars.csv:5: duplicate bar for SPY at 2025-07-08T13:30:00Z (first on line 2)');
  });

  it('reports malformed CSV with its line', () => {
    const error = parseError(csv(HEADER, GOOD_ROW, '2025-07-08T13:31:00Z,"SPY,1,1,1,1,1'));
    expect(error.message).toMatch(/^bars\.csv:3: malformed CSV: /);
    expect(error.line).toBe(3);
  });
});

describe('readBarsCsv', () => {
  const folder = mkdtempSync(join(tmpdir(), 'qtc-bars-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('streams a file into the same sorted bars as parseBarsCsv', async () => {
    const text = csv(HEADER, '2025-07-08T13:31:00Z,SPY,1,2,1,2,3', GOOD_ROW);
    const path = join(folder, 'good.csv');
    writeFileSync(path, text);
    expect(await readBarsCsv(path)).toEqual(parseBarsCsv(text, path));
  });

  it('names the file path and line of a bad row', async () => {
    const path = join(folder, 'bad.csv');
    writeFileSync(path, csv(HEADER, GOOD_ROW, '2025-07-08T13:31:00Z,SPY,10.5,10.2,10.1,10.2,1'));
    await expect(readBarsCsv(path)).rejects.toThrow(`${path}:3: high 10.2 is below open 10.5`);
  });

  it('reports a missing file as a BarsCsvError naming the path', async () => {
    const path = join(folder, 'absent.csv');
    const failure = readBarsCsv(path);
    await expect(failure).rejects.toBeInstanceOf(BarsCsvError);
    await expect(failure).rejects.toThrow(`${path}: cannot read the bars file: ENOENT`);
  });

  it('reports an empty file', async () => {
    const path = join(folder, 'empty.csv');
    writeFileSync(path, '');
    await expect(readBarsCsv(path)).rejects.toThrow(`${path}: the file is empty`);
  });
});

describe('unquotedCsvRecords', () => {
  it("gives csv-parse's records and line numbers for any text without a quote (line endings mixed, empty lines, BOM, blanks)", () => {
    const pieces = ['a', 'SPY', '1.5', ',', ',', '\n', '\r\n', '\r', ' ', '\uFEFF', ''];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 60 }), (parts) => {
        const text = parts.join('');
        const expected = (parseCsvText(text, CSV_OPTIONS) as unknown as Array<{ record: string[]; info: { lines: number } }>).map(({ record, info }) => [record, info.lines]);
        expect([...unquotedCsvRecords(text)].map(({ record, info }) => [record, info.lines])).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads a file through it and through csv-parse alike: the same bars, the same error lines', async () => {
    const rows = ['timestamp,symbol,open,high,low,close,volume', '2025-07-08T13:30:00Z,SPY,10,11,9,10.5,100', '', '2025-07-08T13:31:00Z,SPY,10.5,10.6,10.4,10.5,50'];
    const dir = mkdtempSync(join(tmpdir(), 'qtc-csv-'));
    const unquoted = join(dir, 'plain.csv');
    const quoted = join(dir, 'quoted.csv');
    writeFileSync(unquoted, `\uFEFF${rows.join('\r\n')}\n`);
    writeFileSync(quoted, `\uFEFF${rows.join('\r\n').replace('SPY,10,', '"SPY",10,')}\n`);
    expect(await readBarsCsv(unquoted)).toEqual(await readBarsCsv(quoted));
    writeFileSync(unquoted, [...rows, '2025-07-08T13:32:00Z,SPY,10.5,10.2,10.4,10.5,50'].join('\r'));
    writeFileSync(quoted, [...rows, '2025-07-08T13:32:00Z,"SPY",10.5,10.2,10.4,10.5,50'].join('\r'));
    await expect(readBarsCsv(unquoted)).rejects.toThrow(`${unquoted}:5: high 10.2 is below open 10.5`);
    await expect(readBarsCsv(quoted)).rejects.toThrow(`${quoted}:5: high 10.2 is below open 10.5`);
    rmSync(dir, { recursive: true, force: true });
  });
});
