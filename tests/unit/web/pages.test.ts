import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../../server/http/app.ts';
import { createMetrics } from '../../../server/observability/metrics.ts';
import { loadWebFiles, matchesEtag, pagePolicy } from '../../../web/pages.ts';
import { silentLog } from '../../support/silentLog.ts';

let app: FastifyInstance;
beforeAll(() => {
  app = buildHttpApp({ logger: silentLog, metrics: createMetrics(), probes: {} });
});
afterAll(async () => {
  await app.close();
});

describe('web pages', () => {
  it('serves the leaderboard at the root and the status page at /status, as HTML with a strict policy', async () => {
    const root = await app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(200);
    expect(root.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(root.body).toContain('<table id="leaderboard"');
    expect(root.body).toContain('src="/assets/leaderboard.js"');
    expect(root.headers['content-security-policy']).toContain("script-src 'self'; ");
    expect(root.headers['x-content-type-options']).toBe('nosniff');

    const status = await app.inject({ method: 'GET', url: '/status' });
    expect(status.statusCode).toBe(200);
    expect(status.body).toContain("fetch('/health'");
    // Its inline script runs because the policy names it by hash, and nothing else inline would.
    expect(status.headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
  });

  it('serves every asset the pages load with its content type, and refuses other names', async () => {
    for (const [name, type] of [
      ['leaderboard.js', 'text/javascript; charset=utf-8'],
      ['model.js', 'text/javascript; charset=utf-8'],
      ['site.css', 'text/css; charset=utf-8'],
      ['icon.svg', 'image/svg+xml'],
    ] as const) {
      const response = await app.inject({ method: 'GET', url: `/assets/${name}` });
      expect(response.statusCode, name).toBe(200);
      expect(response.headers['content-type'], name).toBe(type);
    }
    expect((await app.inject({ method: 'GET', url: '/assets/model.d.ts' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/assets/missing.js' })).json()).toEqual({ error: 'not_found', message: 'no asset missing.js' });
    expect((await app.inject({ method: 'GET', url: '/assets/..%2Fpages.ts' })).statusCode).toBe(400);
  });

  it('revalidates with a strong ETag: 304 when unchanged, the file when not', async () => {
    const first = await app.inject({ method: 'GET', url: '/assets/leaderboard.js' });
    expect(first.headers['cache-control']).toBe('no-cache');
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[A-Za-z0-9+/]+=*"$/);
    const again = await app.inject({ method: 'GET', url: '/assets/leaderboard.js', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const stale = await app.inject({ method: 'GET', url: '/assets/leaderboard.js', headers: { 'if-none-match': '"old"' } });
    expect(stale.statusCode).toBe(200);
  });

  it('every module a page imports is served (no broken import on the page)', () => {
    const files = loadWebFiles();
    for (const [urlPath, file] of files) {
      if (!file.contentType.startsWith('text/javascript')) continue;
      for (const match of file.body.toString('utf8').matchAll(/^import .* from '\.\/([^']+)';$/gm)) {
        expect(files.has(`/assets/${match[1]}`), `${urlPath} imports ${match[1]}`).toBe(true);
      }
    }
  });
});

describe('pagePolicy and matchesEtag', () => {
  it('allows a page’s own inline blocks by hash and ignores external scripts', () => {
    const policy = pagePolicy('<style>a{}</style><script src="/x.js"></script><script>run()</script>');
    expect(policy).toContain("style-src 'self' 'sha256-");
    expect(policy.match(/'sha256-/g)).toHaveLength(2);
    expect(pagePolicy('<script type="module" src="/a.js"></script>')).toContain("script-src 'self'; ");
  });

  it('matches lists, weak forms and *', () => {
    expect(matchesEtag('"a", W/"b"', '"b"')).toBe(true);
    expect(matchesEtag('*', '"b"')).toBe(true);
    expect(matchesEtag('"a"', '"b"')).toBe(false);
    expect(matchesEtag(undefined, '"b"')).toBe(false);
  });
});
