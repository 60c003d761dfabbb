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

/** A stream id as a client may send it in Last-Event-ID. */
export const STREAM_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;
