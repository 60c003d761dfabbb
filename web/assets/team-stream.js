// The team's own live stream (GET /api/v1/team/{id}/stream), read with fetch so that the key travels
// as `Authorization: Bearer` (EventSource cannot send a header, and a key in a URL ends up in
// histories). Reconnects with back-off and resumes with Last-Event-ID, as EventSource would.
import { reconnectDelay } from './model.js';
import { createSseParser } from './team-model.js';

/**
 * Follows the stream: `onEvent` gets each event's JSON (`{id, type, message, event}`); `onState` hears
 * 'connecting' | 'live' | 'reconnecting'; `onRefused(status, message)` is called (and the stream stops)
 * when the key is refused. Returns a function that stops it.
 */
export function followTeamStream({ url, key, onEvent, onState, onRefused }) {
  let stopped = false;
  let attempt = 0;
  let lastId = null;
  let timer = null;
  let controller = null;

  const connect = async () => {
    if (stopped) return;
    controller = new AbortController();
    onState(attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      const headers = { accept: 'text/event-stream', authorization: `Bearer ${key}` };
      if (lastId !== null) headers['last-event-id'] = lastId;
      const response = await fetch(url, { headers, cache: 'no-store', signal: controller.signal });
      if (response.status === 401 || response.status === 403) {
        let message = `HTTP ${response.status}`;
        try {
          const body = await response.json();
          if (body && typeof body.message === 'string') message = body.message;
        } catch {
          // The status says enough.
        }
        stopped = true;
        onRefused(response.status, message);
        return;
      }
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
      attempt = 0;
      onState('live');
      const parser = createSseParser(({ id, data }) => {
        if (id !== null) lastId = id;
        try {
          onEvent(JSON.parse(data));
        } catch {
          // Not JSON: nothing to show.
        }
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
    } catch {
      // Dropped, refused by a proxy, or aborted: retried below unless stopped.
    }
    if (stopped) return;
    attempt += 1;
    onState('reconnecting');
    timer = setTimeout(() => void connect(), reconnectDelay(attempt));
  };

  void connect();
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    controller?.abort();
  };
}
