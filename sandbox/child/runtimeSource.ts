// The in-isolate runtime script: sandbox/runtime/*.ts bundled by esbuild, kept per process and in
// a file cache shared by processes (a sandbox child would otherwise pay esbuild's import and build,
// ~100 ms, before its first isolate).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

const RUNTIME_DIR = fileURLToPath(new URL('../runtime/', import.meta.url));
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/qtc-runtime/', import.meta.url));

const OPTIONS = {
  entryPoints: [`${RUNTIME_DIR}entry.ts`],
  bundle: true,
  // ESM keeps the bundle a flat list of statements: no __export/__toCommonJS helpers (which IIFE or
  // CJS with exports would add); esnext keeps classes, private fields and spreads native, so no
  // helper looks up an intrinsic at call time, after strategy code may have replaced it.
  format: 'esm',
  target: 'esnext',
  platform: 'neutral',
  // Every isolate keeps the script's text. ASCII (other characters escaped in their literals) keeps
  // it one byte a character, where a single character outside Latin-1 makes V8 store all of it as
  // two; without comments and indentation it is ~37,000 characters instead of ~50,000. ~60 KB per
  // team. (Names are kept: the runtime's functions show theirs to strategies, e.g. `require.name`.)
  charset: 'ascii',
  minifyWhitespace: true,
  legalComments: 'none',
  write: false,
  logLevel: 'silent',
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: true } },
} satisfies Esbuild.BuildOptions;

/** The entry module's one export, which becomes the script's completion value. */
const EXPORT_TAIL = /\bexport\s*\{\s*(?:([A-Za-z_$][\w$]*)\s+as\s+)?runtimeEntry\s*\};\s*$/;

/**
 * Bundles the runtime into one classic script whose completion value is the entry-point object.
 * The ES module bundle (one flat scope, no module wrappers) is wrapped in a strict function, so
 * nothing leaks to the global scope and every runtime function is strict.
 */
export function buildRuntimeSource(): string {
  // Loaded only to build: importing esbuild alone costs ~50 ms.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
  let text: string;
  try {
    text = esbuild.buildSync(OPTIONS).outputFiles[0]?.text ?? '';
  } finally {
    // buildSync leaves esbuild's service process running (~15 MB) for the life of this process.
    void esbuild.stop();
  }
  const tail = EXPORT_TAIL.exec(text);
  if (tail === null) throw new Error('sandbox runtime bundle: sandbox/runtime/entry.ts must export `runtimeEntry` and nothing else');
  return `(function qtcRuntime() {\n'use strict';\n${text.slice(0, tail.index)}\nreturn ${tail[1] ?? 'runtimeEntry'};\n})();\n`;
}

/**
 * What the bundle is made of: each runtime module's name, size and modification time, this file's
 * (the options and the wrapping), and esbuild's version. Stat, not content: reading and hashing the sources cost a sandbox
 * child ~3 ms before its first isolate (and node:crypto ~4 ms more to load without the snapshot).
 */
function cacheKey(): string {
  const esbuildVersion = (JSON.parse(readFileSync(new URL('../../node_modules/esbuild/package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const self = statSync(fileURLToPath(import.meta.url));
  let material = `${esbuildVersion}|${self.size}:${self.mtimeMs}`;
  for (const name of readdirSync(RUNTIME_DIR).sort()) {
    if (!name.endsWith('.ts')) continue;
    const stat = statSync(RUNTIME_DIR + name);
    material += `|${name}:${stat.size}:${stat.mtimeMs}`;
  }
  return fingerprint(material);
}

/** Two independent 32-bit FNV-1a hashes of the text: a 64-bit name for the cache file. */
function fingerprint(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

function readCached(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function writeCached(path: string, source: string): void {
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written whole then renamed, so a process starting at the same time never reads half a file.
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, source);
    renameSync(partial, path);
    // Earlier versions' bundles are never read again.
    for (const name of readdirSync(CACHE_DIR)) {
      if (name.startsWith('runtime-') && CACHE_DIR + name !== path) rmSync(CACHE_DIR + name, { force: true });
    }
  } catch {
    // A read-only install builds in every process instead.
  }
}

let cached: string | null = null;

/** The runtime script, the same string on every call (V8's code cache for it keeps being accepted). */
export function runtimeSource(): string {
  if (cached !== null) return cached;
  const path = `${CACHE_DIR}runtime-${cacheKey()}.js`;
  let source = readCached(path);
  if (source === null) {
    source = buildRuntimeSource();
    writeCached(path, source);
  }
  cached = source;
  return source;
}
