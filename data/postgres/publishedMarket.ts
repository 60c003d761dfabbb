/**
 * The market the control process put in force (`published_market`): the replay's CSV text, or none
 * when the registry's simulator or Alpaca is the market. Written by the control role under its leader
 * lock, in the transaction of each registry version it publishes; read by every worker at start.
 */
import type { Queryable } from './transaction.ts';

export interface PublishedReplay {
  /** The file the control process read, for messages (a path on the control host). */
  name: string;
  sha256: string;
  csv: string;
}

export interface PublishedMarket {
  replay: PublishedReplay | null;
  publishedAt: Date;
}

export async function writePublishedMarket(db: Queryable, replay: PublishedReplay | null): Promise<void> {
  await db.query(
    `INSERT INTO published_market (id, replay_name, replay_sha256, replay_csv, published_at) VALUES (1, $1, $2, $3, now())
     ON CONFLICT (id) DO UPDATE SET replay_name = EXCLUDED.replay_name, replay_sha256 = EXCLUDED.replay_sha256, replay_csv = EXCLUDED.replay_csv, published_at = EXCLUDED.published_at
     WHERE published_market.replay_sha256 IS DISTINCT FROM EXCLUDED.replay_sha256 OR published_market.replay_name IS DISTINCT FROM EXCLUDED.replay_name`,
    [replay?.name ?? null, replay?.sha256 ?? null, replay?.csv ?? null],
  );
}

/** The market in force, or undefined when no control process has published one (an older database). */
export async function readPublishedMarket(db: Queryable): Promise<PublishedMarket | undefined> {
  const { rows } = await db.query<{ replay_name: string | null; replay_sha256: string | null; replay_csv: string | null; published_at: Date }>(
    'SELECT replay_name, replay_sha256, replay_csv, published_at FROM published_market WHERE id = 1',
  );
  const row = rows[0];
  if (!row) return undefined;
  const replay =
    row.replay_csv === null || row.replay_sha256 === null || row.replay_name === null ? null : { name: row.replay_name, sha256: row.replay_sha256, csv: row.replay_csv };
  return { replay, publishedAt: row.published_at };
}
