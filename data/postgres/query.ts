/**
 * One statement with exact column parsing: NUMERIC and BIGINT columns always arrive as strings
 * (whatever global pg type parsers another module installs), for callers that convert them exactly.
 */
import pg from 'pg';
import type { Queryable } from './transaction.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const asText = (value: string): string => value;

const defaultParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;

const exactTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID || oid === NUMERIC_OID ? asText : defaultParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Runs one statement with NUMERIC/BIGINT left as text. */
export async function query<Row extends pg.QueryResultRow>(db: Queryable, text: string, values: unknown[] = []): Promise<Row[]> {
  const result = await db.query<Row>({ text, values, types: exactTypes });
  return result.rows;
}
