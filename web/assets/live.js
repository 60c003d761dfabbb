/* global window, EventSource */
// Live connections of the public pages: the leaderboard over a WebSocket (reconnecting with back-off,
// polling the REST route while it is down) and the activity stream over SSE (EventSource resumes by
// itself with Last-Event-ID).
import { reconnectDelay, STREAM_EVENT_TYPES } from './model.js';

/** ws:// or wss:// URL of a path on this server. */
export function webSocketUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** GET a JSON document; throws with the server's message on a non-2xx answer. */
export async function getJson(path, headers = {}) {
  const response = await fetch(path, { headers: { accept: 'application/json', ...headers }, cache: 'no-store' });
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!response.ok) {
    const message = body && typeof body.message === 'string' ? body.message : `HTTP ${response.status}`;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return body;
}

/**
 * Follows the leaderboard: every message of the WebSocket at `wsPath` is handed to `onBoard`. While the
 * socket is down it reconnects with exponential back-off and polls `pollPath` every `pollMs` instead.
 * `onState` hears 'connecting' | 'live' | 'reconnecting' | 'polling'. Returns a function that stops it all.
 */
export function followLeaderboard({ wsPath, pollPath, onBoard, onState, pollMs = 10_000 }) {
  let socket = null;
  let attempt = 0;
  let reconnectTimer = null;
  let pollTimer = null;
  let stopped = false;

  const poll = async () => {
    try {
      onBoard(await getJson(pollPath));
    } catch (error) {
      console.warn('leaderboard poll failed:', error.message);
    }
  };
  const startPolling = () => {
    if (pollTimer !== null) return;
    void poll();
    pollTimer = setInterval(() => void poll(), pollMs);
  };
  const stopPolling = () => {
    if (pollTimer !== null) clearInterval(pollTimer);
    pollTimer = null;
  };

  const connect = () => {
    if (stopped) return;
    onState(attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      socket = new WebSocket(webSocketUrl(wsPath));
    } catch {
      scheduleReconnect();
      return;
    }
    socket.addEventListener('open', () => {
      attempt = 0;
      stopPolling();
      onState('live');
    });
    socket.addEventListener('message', (message) => {
      if (typeof message.data !== 'string') return;
      try {
        onBoard(JSON.parse(message.data));
      } catch {
        console.warn('ignored a leaderboard message that is not JSON');
      }
    });
    socket.addEventListener('close', () => {
      socket = null;
      scheduleReconnect();
    });
  };

  function scheduleReconnect() {
    if (stopped) return;
    attempt += 1;
    onState('reconnecting');
    startPolling();
    reconnectTimer = setTimeout(connect, reconnectDelay(attempt));
  }

  if (typeof WebSocket === 'function') {
    connect();
  } else {
    onState('polling');
    startPolling();
  }
  return () => {
    stopped = true;
    if (reconnectTimer !== null) clearTimeout(reconnectTimer);
    stopPolling();
    socket?.close();
  };
}

/**
 * Follows the activity stream: `onEvent` gets each event's decoded JSON, whether the server sends it as
 * an unnamed message or named by its type. Returns a function that closes the stream.
 */
export function followActivity(path, onEvent) {
  if (typeof EventSource !== 'function') return () => {};
  const source = new EventSource(path);
  const handle = (message) => {
    try {
      onEvent(JSON.parse(message.data));
    } catch {
      // A heartbeat or a frame that is not JSON: nothing to show.
    }
  };
  source.addEventListener('message', handle);
  for (const type of STREAM_EVENT_TYPES) source.addEventListener(type, handle);
  return () => source.close();
}
