// Writing to one SSE client without letting a slow reader hold unbounded memory: shared by the public
// activity stream and the team streams.
import type { ServerResponse } from 'node:http';

/** `sent`; `closed` when the client is gone; `too-slow` when its unread output passed the cap (it is destroyed). */
export type SseWriteOutcome = 'sent' | 'closed' | 'too-slow';

export function writeOrDrop(raw: ServerResponse, text: string, maxBuffered: number): SseWriteOutcome {
  if (raw.destroyed || raw.writableEnded) return 'closed';
  if (raw.writableLength > maxBuffered) {
    // It resumes where it left off with Last-Event-ID when it reconnects.
    raw.destroy();
    return 'too-slow';
  }
  raw.write(text);
  return 'sent';
}
