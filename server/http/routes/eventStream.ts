// What the two SSE routes (the public activity stream and a team's own stream) share: reading the
// resume point, refusing a connection over the caps, and opening the stream on the raw socket.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Admission } from '../../live/connectionSlots.ts';
import { isStreamId } from '../../live/streamIds.ts';

export const BAD_RESUME_MESSAGE = 'Last-Event-ID must be an activity stream id such as 1736000000000-0';

/**
 * Last-Event-ID from the header (EventSource reconnects) or `?last_event_id=` (a first connection
 * that resumes); null when absent, false when it is not a stream id.
 */
export function resumeId(request: FastifyRequest<{ Querystring: { last_event_id?: string } }>): string | null | false {
  const header = request.headers['last-event-id'];
  const value = (typeof header === 'string' && header !== '' ? header : undefined) ?? request.query.last_event_id;
  if (value === undefined || value === '') return null;
  return isStreamId(value) ? value : false;
}

/** A refused long-lived connection: 429 (its address holds too many) or 503 (the process is full). */
export function refuseConnection(reply: FastifyReply, refusal: Extract<Admission, { ok: false }>): FastifyReply {
  return reply
    .code(refusal.status)
    .header('retry-after', refusal.status === 503 ? '5' : '30')
    .send({ error: refusal.error, message: refusal.message });
}

/** Takes the socket from Fastify and writes the event-stream head; events follow on `reply.raw`. */
export function openEventStream(reply: FastifyReply): void {
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies such as nginx must not buffer the stream.
    'x-accel-buffering': 'no',
  });
  reply.raw.write('retry: 2000\n: connected\n\n');
}
