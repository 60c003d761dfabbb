import { mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StrategyCache, strategyKey } from '../../../server/backtest/strategyCache.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const temp = makeTempDir('qtc-strategy-cache-');
afterAll(() => temp.remove());

let folders = 0;
function folder(files: Record<string, string>): string {
  const dir = path.join(temp.dir, `strategy-${String(++folders)}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const compiled = { code: 'var __qtcStrategy = 1;', sourceMap: '{"version":3}', filename: 'strategy.bundle.js' };

describe('strategyKey', () => {
  it('changes with the content of any code file, wherever it lies in the folder', () => {
    const dir = folder({ 'strategy.ts': 'export default class A {}', 'lib/util.mts': 'export const x = 1;' });
    const before = strategyKey(dir);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(strategyKey(dir)).toBe(before);

    writeFileSync(path.join(dir, 'lib/util.mts'), 'export const x = 2;');
    const edited = strategyKey(dir);
    expect(edited).not.toBe(before);

    // Same size, same modification time, other bytes: content decides, not stat.
    const file = path.join(dir, 'strategy.ts');
    writeFileSync(file, 'export default class B {}');
    utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const sameSize = strategyKey(dir);
    expect(sameSize).not.toBe(edited);

    writeFileSync(path.join(dir, 'lib/new.js'), '');
    expect(strategyKey(dir)).not.toBe(sameSize);
  });

  it('ignores files no import can reach (not code)', () => {
    const dir = folder({ 'strategy.js': 'export default class A {}' });
    const before = strategyKey(dir);
    writeFileSync(path.join(dir, 'README.md'), '# notes');
    writeFileSync(path.join(dir, 'data.json'), '{}');
    expect(strategyKey(dir)).toBe(before);
  });

  it('differs between two folders with the same files, and counts a link by its target', () => {
    const a = folder({ 'strategy.ts': 'export default class A {}', 'one.ts': '1', 'two.ts': '2' });
    const b = folder({ 'strategy.ts': 'export default class A {}', 'one.ts': '1', 'two.ts': '2' });
    expect(strategyKey(a)).not.toBe(strategyKey(b));

    symlinkSync('one.ts', path.join(a, 'link.ts'));
    const toOne = strategyKey(a);
    const c = folder({ 'strategy.ts': 'export default class A {}', 'one.ts': '1', 'two.ts': '2' });
    symlinkSync('two.ts', path.join(c, 'link.ts'));
    const toTwo = strategyKey(c);
    expect(toOne).not.toBe(toTwo);
    expect(toOne).not.toBeNull();
  });

  it('is null for a folder it cannot read', () => {
    expect(strategyKey(path.join(temp.dir, 'missing'))).toBeNull();
  });
});

describe('StrategyCache', () => {
  it('gives back what was kept under a key, and nothing under another', async () => {
    const cache = new StrategyCache(path.join(temp.dir, 'cache-a'));
    expect(cache.get('k1')).toBeNull();
    await cache.put('k1', compiled);
    expect(cache.get('k1')).toEqual(compiled);
    expect(cache.get('k2')).toBeNull();
  });

  it('treats an unreadable or malformed entry as absent', async () => {
    const dir = path.join(temp.dir, 'cache-b');
    const cache = new StrategyCache(dir);
    await cache.put('k', compiled);
    writeFileSync(path.join(dir, 'k.json'), '{"code": 1');
    expect(cache.get('k')).toBeNull();
    writeFileSync(path.join(dir, 'k.json'), '{"code": "x", "sourceMap": 2, "filename": "f"}');
    expect(cache.get('k')).toBeNull();
  });

  it('keeps the 32 newest entries', async () => {
    const dir = path.join(temp.dir, 'cache-c');
    const cache = new StrategyCache(dir);
    for (let i = 0; i < 34; i++) {
      await cache.put(`k${String(i)}`, compiled);
      // Distinct modification times, oldest first, whatever the file system's resolution.
      const at = new Date(Date.UTC(2024, 0, 1, 0, i));
      utimesSync(path.join(dir, `k${String(i)}.json`), at, at);
    }
    await cache.put('k34', compiled);
    const left = readdirSync(dir).filter((name) => name.endsWith('.json'));
    expect(left).toHaveLength(32);
    expect(left).not.toContain('k0.json');
    expect(left).not.toContain('k2.json');
    expect(left).toContain('k3.json');
    expect(left).toContain('k34.json');
  });
});
