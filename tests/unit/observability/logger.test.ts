/** Logs for people in a terminal (one line per event, request logs summarised) and JSON elsewhere. */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildHttpApp } from '../../../server/http/app.ts';
import { createLogger, logFormatFrom } from '../../../server/observability/logger.ts';
import { createMetrics } from '../../../server/observability/metrics.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function sink() {
  const lines: string[] = [];
  return { lines, output: { write: (text: string) => lines.push(...text.split('\n').filter((line) => line !== '')) } };
}

describe('LOG_FORMAT', () => {
  it('is pretty in a terminal and JSON elsewhere unless set; anything else is refused with the reason', () => {
    expect(logFormatFrom(undefined, true)).toBe('pretty');
    expect(logFormatFrom(undefined, false)).toBe('json');
    expect(logFormatFrom('json', true)).toBe('json');
    expect(logFormatFrom('Pretty', false)).toBe('pretty');
    expect(() => logFormatFrom('xml', true)).toThrow('invalid configuration: LOG_FORMAT must be json, pretty or auto (got "xml")');
  });
});

describe('pretty logs', () => {
  it('writes one line per event with its component and fields, errors with their stack', () => {
    const { lines, output } = sink();
    const log = createLogger('info', { format: 'pretty', output, colors: false });
    log.child({ component: 'registry' }).info({ file: 'team_registry.yaml', competition: 'Demo season', teams: 3 }, 'team registry loaded');
    log.error({ err: new Error('boom') }, 'tick failed');
    log.debug('not shown at info');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}registry: team registry loaded {2}file=team_registry\.yaml competition="Demo season" teams=3$/);
    expect(lines[1]).toMatch(/ERROR tick failed$/);
    expect(lines[2]).toBe('    Error: boom');
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.join('\n')).not.toContain('not shown');
  });

  it('summarises requests: a line for each failure, the rest counted in one line a minute; keys stay redacted', async () => {
    const { lines, output } = sink();
    app = buildHttpApp({ logger: createLogger('info', { format: 'pretty', output, colors: false, summaryEveryMs: 100 }), metrics: createMetrics(), probes: {} });
    for (let i = 0; i < 5; i += 1) expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/nowhere?key=qtc_team_abcdefghijkl_secret' })).statusCode).toBe(404);
    expect(lines.filter((line) => line.includes('/health'))).toEqual([]);
    const failure = lines.filter((line) => line.includes('/nowhere'));
    expect(failure).toHaveLength(1);
    expect(failure[0]).toMatch(/INFO {2}http: GET \/nowhere\?key=\[redacted\] → 404 \([\d.]+ ms\)$/);
    await expect.poll(() => lines.find((line) => line.includes('requests ('))).toMatch(/INFO {2}http: 6 requests \(5 2xx, 1 4xx\); slowest GET .+ ms\)$/);
  });

  it('writes an info message repeated within the minute three times, then counts it', async () => {
    const { lines, output } = sink();
    const log = createLogger('info', { format: 'pretty', output, colors: false, summaryEveryMs: 100 }).child({ component: 'worker' });
    for (let minute = 1; minute <= 10; minute += 1) log.info({ minute }, 'tick done');
    log.warn('slow minute');
    expect(lines.filter((line) => line.includes('tick done'))).toHaveLength(3);
    expect(lines.at(-1)).toContain('WARN  worker: slow minute');
    await expect.poll(() => lines.find((line) => line.includes('×7 more'))).toMatch(/INFO {2}worker: tick done ×7 more; the last: {2}minute=10$/);
  });

  it('shows every request at LOG_LEVEL=debug', async () => {
    const { lines, output } = sink();
    app = buildHttpApp({ logger: createLogger('debug', { format: 'pretty', output, colors: false }), metrics: createMetrics(), probes: {} });
    await app.inject({ url: '/health' });
    expect(lines.filter((line) => line.includes('GET /health → 200'))).toHaveLength(1);
  });
});

describe('JSON logs', () => {
  it('keep every request as JSON lines', async () => {
    const { lines, output } = sink();
    app = buildHttpApp({ logger: createLogger('info', { format: 'json', output }), metrics: createMetrics(), probes: {} });
    await app.inject({ url: '/health' });
    const parsed = lines.map((line) => JSON.parse(line) as { msg: string; service: string });
    expect(parsed.map((entry) => entry.msg)).toEqual(['incoming request', 'request completed']);
    expect(parsed[0]!.service).toBe('qtc');
  });
});
