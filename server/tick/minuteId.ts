/**
 * Names derived from a market minute: the BullMQ job ids of its tick (`tick-<yyyyMMddHHmm>` UTC,
 * the same stamp as client order ids), so adding the same minute twice is one job.
 */
import { isWholeMinute } from '../../data/market/bar.ts';

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** `202507081331` for 2025-07-08T13:31Z. */
export function minuteStamp(minute: number): string {
  if (!isWholeMinute(minute) || minute < 0) throw new RangeError(`not the start of a whole minute (epoch ms): ${String(minute)}`);
  const d = new Date(minute);
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}`;
}

const STAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/** The minute of a stamp; null when it is not one (or names a date that does not exist). */
export function parseMinuteStamp(stamp: string): number | null {
  const match = STAMP.exec(stamp);
  if (match === null) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  const epoch = Date.UTC(year, month - 1, day, hour, minute);
  return minuteStamp(epoch) === stamp ? epoch : null;
}

/** The job id of a minute's tick (the parent "books" job of its flow). */
export function tickJobId(minute: number): string {
  return `tick-${minuteStamp(minute)}`;
}

/** The job id of one shard of a minute's tick. */
export function shardJobId(minute: number, shard: number, shards: number): string {
  return `${tickJobId(minute)}-s${String(shard)}of${String(shards)}`;
}
