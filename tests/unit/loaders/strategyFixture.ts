import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Writes files (path relative to the folder → content) into a fresh temporary folder and
 * returns the strategy folder's path (`<tmp>/strategy`), so tests can also put files beside
 * it (`../outside.ts`). Removed after the test file.
 */
export function makeStrategyFolder(files: Record<string, string>, outside: Record<string, string> = {}): string {
  const base = mkdtempSync(path.join(os.tmpdir(), 'qtc-loaders-'));
  created.push(base);
  const root = path.join(base, 'strategy');
  mkdirSync(root);
  const write = (dir: string, entries: Record<string, string>) => {
    for (const [name, content] of Object.entries(entries)) {
      const target = path.join(dir, name);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  };
  write(root, files);
  write(base, outside);
  return root;
}

/** A minimal valid strategy body to append snippets to. */
export const MINIMAL_CLASS = 'export default class Strategy { generateSignal() { return null; } }\n';
