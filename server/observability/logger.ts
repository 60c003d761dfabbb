import pino, { type Logger } from 'pino';

/** Structured JSON logs on stdout. Secrets never reach them: keys and passwords are redacted by path. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'qtc', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'password', '*.password', 'databaseUrl', 'redisUrl'],
      censor: '[redacted]',
    },
  });
}
