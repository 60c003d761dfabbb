import type { FastifyRequest } from 'fastify';

const TEAM_KEY_ANYWHERE = /(qtc_team_[0-9A-Za-z]{12}_)[0-9A-Za-z]{43}/g;
const KEY_PARAMETER = /([?&]key=)[^&#]*/gi;

/**
 * A URL fit for logs: the value of every `key=` query parameter is replaced, and so is the
 * secret part of any team key elsewhere in it (the original API puts keys in paths, e.g.
 * `/line/<key>`). The key id stays, so a log line still says which key was used.
 */
export function redactKeysInUrl(url: string): string {
  return url.replace(KEY_PARAMETER, '$1[redacted]').replace(TEAM_KEY_ANYWHERE, '$1[redacted]');
}

/**
 * Fastify's own `req` log serializer with the URL redacted. Wire it into the pino logger the
 * app is built with (`pino({ serializers: { req: requestLogSerializer } })`): Fastify lets the
 * logger's serializers take precedence over its defaults.
 */
export function requestLogSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactKeysInUrl(request.url),
    version: request.headers['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
