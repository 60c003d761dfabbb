// Redis Stream ids ("<ms>-<seq>") as the activity stream, its resumes and every SSE client use them.

/** Compares two stream ids: negative when a is older. Exact for any id Redis can produce (BigInt parts). */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = '0', aSeq = '0'] = a.split('-');
  const [bMs = '0', bSeq = '0'] = b.split('-');
  const ms = BigInt(aMs) - BigInt(bMs);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(aSeq) - BigInt(bSeq);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

const STREAM_ID_PATTERN = /^(\d{1,20})-(\d{1,20})$/;
const MAX_PART = 2n ** 64n - 1n;

/**
 * Whether a client's Last-Event-ID is a stream id Redis accepts: two unsigned 64-bit numbers. A
 * larger one (20 digits allow up to 10^20 - 1) made Redis refuse the resume read after the stream
 * had been answered 200, so the client was cut off instead of told.
 */
export function isStreamId(value: string): boolean {
  const match = STREAM_ID_PATTERN.exec(value);
  return match !== null && BigInt(match[1]!) <= MAX_PART && BigInt(match[2]!) <= MAX_PART;
}
