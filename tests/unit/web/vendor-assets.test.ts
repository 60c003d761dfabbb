import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../../server/http/app.ts';
import { createMetrics } from '../../../server/observability/metrics.ts';
import { VENDOR_ASSETS } from '../../../web/pages.ts';
import { silentLog } from '../../support/silentLog.ts';

let app: FastifyInstance;
beforeAll(() => {
  app = buildHttpApp({ logger: silentLog, metrics: createMetrics(), probes: {} });
});
afterAll(async () => {
  await app.close();
});

describe('chart library served from node_modules', () => {
  it('serves uPlot (the pinned package) as /assets/uplot.js and /assets/uplot.css, no CDN', async () => {
    const js = await app.inject({ url: '/assets/uplot.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe(readFileSync(createRequire(import.meta.url).resolve(VENDOR_ASSETS['uplot.js']!), 'utf8'));
    expect(js.body).toContain('export { uPlot as default }');
    const css = await app.inject({ url: '/assets/uplot.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('.uplot');
    const page = await app.inject({ url: '/team' });
    expect(page.body).toContain('href="/assets/uplot.css"');
    expect(page.body).not.toMatch(/(src|href)="https?:/);
  });
});
