import { format as formatText } from 'node:util';
import pino, { type Logger } from 'pino';
import { requestLogSerializer } from '../auth/redactLog.ts';
import { colorsAllowed, logFormatText } from '../config/processHooks.ts';

/**
 * Logs on stdout. In a terminal they are for people: one line per event (time, level, component,
 * message, then its fields), errors with their stack, and request logs summarised: a line per failed
 * request (4xx/5xx), the others counted into one line a minute; an info message repeated within the
 * minute (a tick every simulated minute) is written three times, then counted (everything is written
 * at LOG_LEVEL=debug).
 * Elsewhere (a pipe, a file, a log shipper) they are JSON lines, every request included. LOG_FORMAT=json
 * or pretty chooses explicitly. Secrets never reach either: keys and passwords are redacted by path.
 */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** Default: LOG_FORMAT, else pretty when stdout is a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Where lines go; default stdout. */
  output?: { write(text: string): unknown };
  /** Colours in pretty output; default: stdout is a terminal and NO_COLOR is not set. */
  colors?: boolean;
  /** How often the request summary is written (ms); default 60,000. */
  summaryEveryMs?: number;
}

/** LOG_FORMAT as the configuration allows it; throws a one-line reason otherwise. */
export function logFormatFrom(text: string | undefined, isTty: boolean = process.stdout.isTTY === true): LogFormat {
  const raw = text?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'auto') return isTty ? 'pretty' : 'json';
  if (raw === 'json' || raw === 'pretty') return raw;
  throw new Error(`invalid configuration: LOG_FORMAT must be json, pretty or auto (got ${JSON.stringify(text)})`);
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const format = options.format ?? logFormatFrom(logFormatText());
  const settings = {
    level,
    base: { service: 'qtc', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Fastify lets the logger's own serializers win: request URLs leave with `?key=` and key secrets redacted.
    serializers: { req: requestLogSerializer },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'password', '*.password', 'databaseUrl', 'redisUrl'],
      censor: '[redacted]',
    },
  };
  if (format === 'json') return options.output ? pino(settings, options.output) : pino(settings);
  const output = options.output ?? process.stdout;
  const colors = options.colors ?? (process.stdout.isTTY === true && colorsAllowed());
  return pino(settings, new PrettyStream(output, { colors, summaryEveryMs: options.summaryEveryMs ?? 60_000, debugRequests: (pino.levels.values[level] ?? 30) <= 20 }));
}

/** Lines of one info message written per summary period before the rest are only counted. */
const REPEATS_SHOWN = 3;

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};

/** Fields every line has, or that the line's prefix shows. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'component', 'err', 'error', 'reqId', 'req', 'res', 'responseTime']);

interface RequestStats {
  count: number;
  byClass: Record<string, number>;
  slowest: { line: string; ms: number } | null;
}

/**
 * Turns pino's JSON lines into lines for people. Request logs: `incoming request` is remembered by
 * request id, `request completed` makes one line `GET /path → 404 (3 ms)` for a failure (every
 * request with LOG_LEVEL=debug), the rest go into the minute's summary.
 */
export class PrettyStream {
  readonly #output: { write(text: string): unknown };
  readonly #colors: boolean;
  readonly #debugRequests: boolean;
  readonly #pending = new Map<string, { method: string; url: string }>();
  #stats: RequestStats = { count: 0, byClass: {}, slowest: null };
  readonly #timer: NodeJS.Timeout;
  /** Info messages written since the last summary, by component and message. */
  readonly #repeats = new Map<string, { count: number; last: Record<string, unknown> }>();

  constructor(output: { write(text: string): unknown }, options: { colors: boolean; summaryEveryMs: number; debugRequests: boolean }) {
    this.#output = output;
    this.#colors = options.colors;
    this.#debugRequests = options.debugRequests;
    this.#timer = setInterval(() => this.flushSummary(), options.summaryEveryMs);
    this.#timer.unref();
  }

  #paint(code: string, text: string): string {
    return this.#colors ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  write(chunk: string): boolean {
    for (const line of chunk.split('\n')) if (line.trim() !== '') this.#line(line);
    return true;
  }

  #line(raw: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      this.#output.write(`${raw}\n`);
      return;
    }
    const msg = typeof entry.msg === 'string' ? entry.msg : '';
    const reqId = typeof entry.reqId === 'string' || typeof entry.reqId === 'number' ? String(entry.reqId) : null;
    if (msg === 'incoming request' && reqId !== null) {
      const req = (entry.req ?? {}) as { method?: unknown; url?: unknown };
      this.#pending.set(reqId, { method: typeof req.method === 'string' ? req.method : '?', url: typeof req.url === 'string' ? req.url : '?' });
      // A burst of requests that never complete (clients gone) must not grow the map without bound.
      if (this.#pending.size > 10_000) this.#pending.delete(this.#pending.keys().next().value!);
      return;
    }
    if (msg === 'request completed' && reqId !== null) {
      this.#request(entry, reqId);
      return;
    }
    // The same info message again and again (a tick every simulated minute): the first few lines,
    // then a count in the summary. Warnings and errors are always written.
    if (Number(entry.level) <= 30 && !this.#debugRequests) {
      const key = `${typeof entry.component === 'string' ? entry.component : ''}\n${msg}`;
      const seen = this.#repeats.get(key) ?? { count: 0, last: entry };
      seen.count += 1;
      seen.last = entry;
      this.#repeats.set(key, seen);
      if (seen.count > REPEATS_SHOWN) return;
    }
    this.#output.write(this.#format(entry, msg));
  }

  #request(entry: Record<string, unknown>, reqId: string): void {
    const started = this.#pending.get(reqId);
    this.#pending.delete(reqId);
    const status = Number((entry.res as { statusCode?: unknown } | undefined)?.statusCode ?? 0);
    const ms = typeof entry.responseTime === 'number' ? entry.responseTime : 0;
    const what = `${started?.method ?? '?'} ${started?.url ?? '?'}`;
    const line = `${what} → ${status} (${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms)`;
    const statusClass = `${Math.floor(status / 100)}xx`;
    this.#stats.count += 1;
    this.#stats.byClass[statusClass] = (this.#stats.byClass[statusClass] ?? 0) + 1;
    if (!this.#stats.slowest || ms > this.#stats.slowest.ms) this.#stats.slowest = { line, ms };
    if (status >= 400 || this.#debugRequests) {
      const level = status >= 500 ? 50 : status >= 400 ? 30 : 20;
      this.#output.write(this.#format({ ...entry, level, component: 'http' }, line));
    }
  }

  /** Writes what was counted since the last summary (repeated messages, requests), one line each. */
  flushSummary(): void {
    for (const [key, seen] of this.#repeats) {
      if (seen.count <= REPEATS_SHOWN) continue;
      const msg = key.slice(key.indexOf('\n') + 1);
      this.#output.write(this.#format({ ...seen.last, time: new Date().toISOString() }, `${msg} ×${(seen.count - REPEATS_SHOWN).toLocaleString('en-US')} more; the last:`));
    }
    this.#repeats.clear();
    const stats = this.#stats;
    if (stats.count === 0) return;
    this.#stats = { count: 0, byClass: {}, slowest: null };
    const classes = Object.entries(stats.byClass)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, count]) => `${count.toLocaleString('en-US')} ${name}`)
      .join(', ');
    const slowest = stats.slowest ? `; slowest ${stats.slowest.line}` : '';
    this.#output.write(this.#format({ level: 30, time: new Date().toISOString(), component: 'http' }, `${stats.count.toLocaleString('en-US')} requests (${classes})${slowest}`));
  }

  #format(entry: Record<string, unknown>, msg: string): string {
    const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level).padEnd(5), color: '0' };
    const time = typeof entry.time === 'string' ? entry.time : new Date().toISOString();
    const clock = new Date(time);
    const stamp = Number.isNaN(clock.getTime()) ? time : `${clock.toTimeString().slice(0, 8)}.${String(clock.getMilliseconds()).padStart(3, '0')}`;
    const component = typeof entry.component === 'string' ? this.#paint('1', `${entry.component}: `) : '';
    const fields = Object.entries(entry)
      .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
      .map(([key, value]) => `${this.#paint('90', `${key}=`)}${fieldText(value)}`);
    let text = `${this.#paint('90', stamp)} ${this.#paint(level.color, level.name)} ${component}${msg}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}\n`;
    const error = (entry.err ?? entry.error) as { message?: unknown; stack?: unknown; type?: unknown } | undefined;
    if (error && typeof error === 'object') {
      const stack =
        typeof error.stack === 'string' ? error.stack : `${typeof error.type === 'string' ? error.type : 'Error'}: ${typeof error.message === 'string' ? error.message : ''}`;
      text += `${stack
        .split('\n')
        .slice(0, 20)
        .map((line) => `    ${line}`)
        .join('\n')}\n`;
    }
    return text;
  }
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) && value.length <= 200 ? value : JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  const json = JSON.stringify(value) ?? formatText('%o', value);
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}
