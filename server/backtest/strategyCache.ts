/**
 * Strategy bundles that passed the static check, kept between runs of `qtc backtest` (in
 * node_modules/.cache/qtc-backtest/): a run on an unchanged folder takes its bundle from here and
 * loads neither the checker's parser nor esbuild (together most of a short backtest's start-up).
 *
 * The key is everything the check and the bundle depend on: every file of the folder, by content
 * (imports cannot leave the folder: loaders/strategyFolder/resolveImport.ts), the folder's real path,
 * and the checker and bundler themselves (loaders/ by name, size and modification time, as the sandbox
 * runtime's cache; esbuild's and the parser's versions). Any change is a new key, hence a fresh check
 * and build. A cache that cannot be read or written only costs that: the check and build run as before.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompiledStrategy } from '../../sandbox/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_DIR = path.join(ROOT, 'node_modules/.cache/qtc-backtest');
const LOADERS_DIR = path.join(ROOT, 'loaders');
/** A folder whose code files hold more than this is not cached (hashing it would cost more than building). */
const MAX_FOLDER_BYTES = 16 * 2 ** 20;
/** Entries kept; the oldest are removed beyond it. */
const MAX_ENTRIES = 32;

// The key is read with synchronous calls: a run's first step, ~40 small reads and stats of a few µs
// each, where the thread pool's round trips made it ~7 ms of a short backtest.
let toolMaterial: string | null = null;

/** The checker's and bundler's identity: loaders/ files by name, size and mtime; esbuild's and @babel/parser's versions. */
function tools(): string {
  toolMaterial ??= (() => {
    const versions = ['esbuild', '@babel/parser'].map((name) => {
      const text = readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8');
      return `${name}@${(JSON.parse(text) as { version: string }).version}`;
    });
    const entries = readdirSync(LOADERS_DIR, { recursive: true, withFileTypes: true });
    const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
    const stats = files.map((file) => {
      const info = statSync(file);
      return `${path.relative(LOADERS_DIR, file)}:${String(info.size)}:${String(info.mtimeMs)}`;
    });
    return [process.version, ...versions, ...stats.sort()].join('|');
  })();
  return toolMaterial;
}

/** Files a strategy can import (loaders/strategyFolder/resolveImport.ts CODE_EXTENSIONS; `.d.ts` ends in `.ts`). */
const CODE_FILE = /\.(?:ts|mts|js|mjs)$/;

/**
 * The folder's cache key, or null when it is too large to hash (or cannot be read: the check will say
 * why). Only code files count: nothing else can be imported, so nothing else can change a check that
 * passes or its bundle. Symbolic links count by their text (their target is hashed where it lies).
 */
export function strategyKey(dir: string): string | null {
  try {
    const root = realpathSync(dir);
    const entries = readdirSync(root, { recursive: true, withFileTypes: true });
    const hash = createHash('sha256').update(`qtc-backtest-strategy 1\0${tools()}\0${root}\0`);
    const files = entries
      .filter((entry) => CODE_FILE.test(entry.name) && (entry.isFile() || entry.isSymbolicLink()))
      .map((entry) => ({ link: entry.isSymbolicLink(), name: path.relative(root, path.join(entry.parentPath, entry.name)) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let bytes = 0;
    for (const { link, name } of files) {
      const file = path.join(root, name);
      if (link) {
        hash.update(`l\0${name}\0${readlinkSync(file)}\0`);
        continue;
      }
      bytes += lstatSync(file).size;
      if (bytes > MAX_FOLDER_BYTES) return null;
      const content = readFileSync(file);
      hash.update(`f\0${name}\0${String(content.length)}\0`).update(content);
    }
    return hash.digest('hex');
  } catch {
    return null;
  }
}

function isCompiled(value: unknown): value is CompiledStrategy {
  if (typeof value !== 'object' || value === null) return false;
  const { code, sourceMap, filename } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof sourceMap === 'string' && typeof filename === 'string';
}

export class StrategyCache {
  readonly #dir: string;

  constructor(dir: string = DEFAULT_DIR) {
    this.#dir = dir;
  }

  /** The bundle kept under this key, or null. */
  get(key: string): CompiledStrategy | null {
    try {
      const value: unknown = JSON.parse(readFileSync(this.#file(key), 'utf8'));
      return isCompiled(value) ? { code: value.code, sourceMap: value.sourceMap, filename: value.filename } : null;
    } catch {
      return null;
    }
  }

  /** Keeps a bundle that passed the static check under its folder's key. */
  async put(key: string, compiled: CompiledStrategy): Promise<void> {
    try {
      await mkdir(this.#dir, { recursive: true });
      const file = this.#file(key);
      // Written whole then renamed: a run starting at the same time never reads half a file.
      const partial = `${file}.${process.pid}.tmp`;
      await writeFile(partial, JSON.stringify({ code: compiled.code, sourceMap: compiled.sourceMap, filename: compiled.filename }));
      await rename(partial, file);
      await this.#prune();
    } catch {
      // A read-only install checks and builds in every run instead.
    }
  }

  #file(key: string): string {
    return path.join(this.#dir, `${key}.json`);
  }

  async #prune(): Promise<void> {
    const names = (await readdir(this.#dir)).filter((name) => name.endsWith('.json'));
    if (names.length <= MAX_ENTRIES) return;
    const aged = await Promise.all(names.map(async (name) => ({ name, mtimeMs: (await stat(path.join(this.#dir, name))).mtimeMs })));
    aged.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const { name } of aged.slice(0, aged.length - MAX_ENTRIES)) await rm(path.join(this.#dir, name), { force: true });
  }
}
