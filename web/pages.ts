import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The web pages and their assets, read once at start: they are small and change only with a deploy.
 * Only the files listed here (pages) or found in `web/assets/` with a known type are served, so no
 * request path ever reaches the file system.
 */
export interface WebFile {
  /** URL path it is served at, e.g. `/` or `/assets/site.css`. */
  urlPath: string;
  contentType: string;
  body: Buffer;
  /** Strong validator: the SHA-256 of the body. */
  etag: string;
  /** Content-Security-Policy for pages (allows their own inline blocks by hash); null for assets. */
  contentSecurityPolicy: string | null;
}

/** Pages by URL path. The status page moved from `/` to `/status` when the leaderboard took the root. */
export const PAGES = { '/': 'leaderboard.html', '/team': 'team.html', '/status': 'status.html', '/admin': 'admin.html' } as const;

const ASSET_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const WEB_DIR = import.meta.dirname;

/**
 * Files of npm packages served as assets (pinned in package.json, read from node_modules), so no page
 * needs a CDN: asset name → module path. uPlot draws the team dashboard's charts.
 */
export const VENDOR_ASSETS: Readonly<Record<string, string>> = {
  'uplot.js': 'uplot/dist/uPlot.esm.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
};

/** Names an asset may have (the route accepts only these, so nothing else can reach the lookup). */
export const ASSET_NAME_PATTERN = '^[a-z0-9-]+\\.[a-z]+$';

function sha256Base64(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('base64');
}

/** `'sha256-…'` sources for each inline `<script>` (without src) or `<style>` block of a page. */
function inlineHashes(html: string, tag: 'script' | 'style'): string[] {
  const pattern = new RegExp(`<${tag}(\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g');
  const hashes: string[] = [];
  for (const match of html.matchAll(pattern)) {
    const attributes = match[1] ?? '';
    const content = match[2] ?? '';
    if (tag === 'script' && /\ssrc=/.test(attributes)) continue;
    if (content.trim() === '') continue;
    hashes.push(`'sha256-${sha256Base64(content)}'`);
  }
  return hashes;
}

/** Same-origin everything: no CDN, no inline code except a page's own blocks, pinned by hash. */
export function pagePolicy(html: string): string {
  const scripts = ["'self'", ...inlineHashes(html, 'script')].join(' ');
  const styles = ["'self'", ...inlineHashes(html, 'style')].join(' ');
  return [
    "default-src 'self'",
    `script-src ${scripts}`,
    `style-src ${styles}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function webFile(urlPath: string, contentType: string, body: Buffer, contentSecurityPolicy: string | null): WebFile {
  return { urlPath, contentType, body, etag: `"${sha256Base64(body)}"`, contentSecurityPolicy };
}

/** Every page and asset, by URL path. */
export function loadWebFiles(webDir: string = WEB_DIR): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  for (const [urlPath, name] of Object.entries(PAGES)) {
    const body = readFileSync(path.join(webDir, 'pages', name));
    files.set(urlPath, webFile(urlPath, 'text/html; charset=utf-8', body, pagePolicy(body.toString('utf8'))));
  }
  for (const name of readdirSync(path.join(webDir, 'assets')).sort()) {
    const type = ASSET_TYPES[path.extname(name)];
    if (type === undefined || name.endsWith('.d.ts')) continue;
    if (!new RegExp(ASSET_NAME_PATTERN).test(name)) {
      throw new Error(`web/assets/${name} could not be requested: asset names are lower-case letters, digits and dashes (e.g. team-model.js)`);
    }
    const urlPath = `/assets/${name}`;
    files.set(urlPath, webFile(urlPath, type, readFileSync(path.join(webDir, 'assets', name)), null));
  }
  const resolve = createRequire(import.meta.url).resolve;
  for (const [name, specifier] of Object.entries(VENDOR_ASSETS)) {
    const urlPath = `/assets/${name}`;
    if (files.has(urlPath)) throw new Error(`web/assets/${name} would hide the ${specifier} asset of the same name`);
    files.set(urlPath, webFile(urlPath, ASSET_TYPES[path.extname(name)] ?? 'application/octet-stream', readFileSync(resolve(specifier)), null));
  }
  return files;
}

/** True when an If-None-Match header names this ETag (or `*`). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(',')
    .map((candidate) => candidate.trim().replace(/^W\//, ''))
    .some((candidate) => candidate === etag || candidate === '*');
}
