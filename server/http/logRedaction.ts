/**
 * What a request log line says about the request, with every key taken out.
 *
 * Keys reach the URL in many spellings: `?key=`, `?%6Bey=`, `?KEY=`, percent-encoded (once or twice)
 * values, a team or admin key pasted as a path segment (`/line/<key>`, `/<key>`). So the URL is
 * decoded first and redacted after, per path segment and per query parameter:
 * - the value of a parameter named `key` (in any case or encoding);
 * - the key segment of a key route (`/line/:teamKey`, `/:teamKey`; a team key keeps its public id,
 *   so a line still says which key was used);
 * - any other segment, name or value of 32 characters or more (admin keys are at least 32, team keys 65);
 * - a path no route matched: only its first segment is shown, and only when it looks like the start
 *   of a route (`/api/…`), since anything may have been pasted there, e.g. a base64 key containing "/".
 * Headers (Authorization, cookies) are not logged at all.
 */
import type { FastifyRequest } from 'fastify';

export const REDACTED = '[redacted]';
const LONGEST_SHOWN = 31;
const TEAM_KEY = /qtc_team_([0-9A-Za-z]{12})_[0-9A-Za-z]{43}/;
/** First segments of the API's routes look like this (`api`, `line`, `activity`, `assets`, …). */
const ROUTE_START = /^[a-z][a-z0-9-]{0,15}$/;

/** Undoes percent-encoding, also repeated (a double-encoded key is still a key); malformed input stays as it is. */
function decodeFully(text: string): string {
  let current = text;
  for (let round = 0; round < 3; round += 1) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** The text as logged: redacted when it may hold a key, else re-encoded (so logs read the same whatever the client's encoding). */
function shown(raw: string): string {
  const text = decodeFully(raw);
  const teamKey = TEAM_KEY.exec(text);
  if (teamKey) return `qtc_team_${teamKey[1]}_${REDACTED}`;
  if (text.length > LONGEST_SHOWN) return REDACTED;
  try {
    return encodeURIComponent(text);
  } catch {
    return REDACTED; // a lone surrogate: nothing worth logging
  }
}

/** A key position: a team key keeps its public id, anything else is gone. */
function keyShown(raw: string): string {
  const teamKey = TEAM_KEY.exec(decodeFully(raw));
  return teamKey ? `qtc_team_${teamKey[1]}_${REDACTED}` : REDACTED;
}

function redactPath(path: string, route: string | undefined): string {
  const segments = path.split('/');
  if (route === undefined) {
    const first = decodeFully(segments[1] ?? '');
    const head = ROUTE_START.test(first) ? first : REDACTED;
    return segments.length > 2 ? `/${head}/${REDACTED}` : `/${head}`;
  }
  const pattern = route.split('/');
  if (pattern[1] === 'line') return `/line/${keyShown(segments.slice(2).join('/'))}`;
  return segments.map((segment, i) => (/^:\w*key$/i.test(pattern[i] ?? '') ? keyShown(segment) : shown(segment))).join('/');
}

function redactQuery(query: string): string {
  const parts: string[] = [];
  for (const [name, value] of new URLSearchParams(query)) {
    const isKey = decodeFully(name).trim().toLowerCase() === 'key';
    parts.push(`${shown(name)}=${isKey ? REDACTED : shown(value)}`);
  }
  return parts.join('&');
}

/** A URL fit for logs; `route` is the matched route's pattern (`/line/:teamKey`), absent when none matched. */
export function redactUrlForLog(url: string, route: string | undefined): string {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const redacted = redactPath(path, route);
  return queryStart === -1 ? redacted : `${redacted}?${redactQuery(url.slice(queryStart + 1))}`;
}

/** The `req` serializer of the app's logger (set in app.ts, over whatever the given logger had). */
export function requestForLog(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrlForLog(request.url, request.routeOptions.url),
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
