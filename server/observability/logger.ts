import pino, { type Logger } from 'pino';
import { requestLogSerializer } from '../auth/redactLog.ts';

/** Structured JSON logs on stdout. Secrets never reach them: keys and passwords are redacted by path. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'qtc', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Fastify lets the logger's own serializers win: request URLs leave with `?key=` and key secrets redacted.
    serializers: { req: requestLogSerializer },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'password', '*.password', 'databaseUrl', 'redisUrl'],
      censor: '[redacted]',
    },
  });
}
