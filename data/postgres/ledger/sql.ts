/**
 * Query plumbing for the ledger: exact column parsing and one-transaction helpers.
 * NUMERIC and BIGINT columns always arrive as strings (whatever global pg type parsers another module
 * installs) and are converted here exactly: money through `decimalStringToMoney`, shares as safe integers.
 */
import pg from 'pg';
import { decimalStringToMoney, moneyToDecimalString, type Money } from '../../../server/trading/money.ts';
import type { PgPool } from '../pool.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const asText = (value: string): string => value;

const defaultParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;

const exactTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID || oid === NUMERIC_OID ? asText : defaultParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export type Queryable = pg.Pool | pg.PoolClient;

/** Runs one statement with NUMERIC/BIGINT left as text. */
export async function query<Row extends pg.QueryResultRow>(db: Queryable, text: string, values: unknown[] = []): Promise<Row[]> {
  const result = await db.query<Row>({ text, values, types: exactTypes });
  return result.rows;
}

/**
 * BEGIN … COMMIT around `work`, ROLLBACK on any error (rethrown). `snapshot` runs it as a read-only
 * REPEATABLE READ transaction: every statement sees the same committed state.
 */
export async function withTransaction<T>(pool: PgPool, work: (client: pg.PoolClient) => Promise<T>, snapshot = false): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that cannot even roll back is not given back to the pool.
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

export function moneyColumn(text: string): Money {
  return decimalStringToMoney(text);
}

export function nullableMoneyColumn(text: string | null): Money | null {
  return text === null ? null : decimalStringToMoney(text);
}

/** A BIGINT share count as a safe integer. */
export function sharesColumn(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`share count out of range: ${text}`);
  return value;
}

export function moneyParam(money: Money): string {
  return moneyToDecimalString(money);
}

export function nullableMoneyParam(money: Money | null): string | null {
  return money === null ? null : moneyToDecimalString(money);
}
