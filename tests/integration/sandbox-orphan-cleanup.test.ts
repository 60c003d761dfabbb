/**
 * A sandbox child's progress file (a folder in the temp directory) is removed by the pool once it
 * has seen the child close. When the pool's process is killed first, its children remove their own
 * on the way out. When the pool and its children are killed together (the whole group, a machine or
 * container going away), nobody is left to remove them: the next pool started on the machine does.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { removeOrphanedProgressFolders } from '../../sandbox/progress.ts';
import { isProcessAlive } from '../../data/embedded/managedProcess.ts';
import { makeTempDir } from '../support/tempDir.ts';

const SANDBOX = path.resolve(import.meta.dirname, '../../sandbox/index.ts');
const temp = makeTempDir('qtc-orphans-');
afterAll(() => temp.remove());

const progressFolders = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => name.startsWith('qtc-sandbox-'))
    .sort();

/** A folder for one test: each test's pools see only their own progress folders. */
function tempSubdir(name: string): string {
  const dir = path.join(temp.dir, name);
  mkdirSync(dir);
  return dir;
}

/** A pool of two children in its own process (and process group), its progress folders in `tmp`. */
async function startPool(tmp: string) {
  const script = path.join(temp.dir, 'pool.mjs');
  writeFileSync(
    script,
    `import { SandboxPool } from ${JSON.stringify(SANDBOX)};
const pool = new SandboxPool({ processes: 2 });
await pool.start();
console.log('ready');
setInterval(() => {}, 1000);
`,
  );
  const pool = spawn(process.execPath, ['--no-node-snapshot', script], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const exited = new Promise((resolve) => pool.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    pool.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    pool.once('exit', (code) => reject(new Error(`the pool's process ended before it was ready (${String(code)})`)));
  });
  return { pool, exited };
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const ended = spawnSync('true');
  if (ended.pid === undefined) throw new Error('could not run `true`');
  return ended.pid;
}

describe('sandbox progress folders left behind', () => {
  it('are removed by children whose pool was killed', { timeout: 60_000 }, async () => {
    const tmp = tempSubdir('pool-killed');
    const { pool, exited } = await startPool(tmp);
    expect(progressFolders(tmp)).toHaveLength(2);
    pool.kill('SIGKILL');
    await exited;
    await vi.waitFor(() => expect(progressFolders(tmp), 'progress folders left behind').toEqual([]), { timeout: 20_000, interval: 50 });
  });

  it('are removed by the next pool when the pool and its children were killed together', { timeout: 90_000 }, async () => {
    const tmp = tempSubdir('group-killed');
    const first = await startPool(tmp);
    const left = progressFolders(tmp);
    expect(left).toHaveLength(2);
    // The whole process group at once: no child lives to see its parent go.
    process.kill(-(first.pool.pid ?? 0), 'SIGKILL');
    await first.exited;
    // The folders name their maker, which is gone.
    expect(left.every((name) => name.startsWith(`qtc-sandbox-${String(first.pool.pid)}-`))).toBe(true);
    expect(isProcessAlive(first.pool.pid ?? 0)).toBe(false);
    expect(progressFolders(tmp), 'nobody removed them').toEqual(left);

    const second = await startPool(tmp);
    try {
      const now = progressFolders(tmp);
      expect(now).toHaveLength(2);
      expect(
        now.filter((name) => left.includes(name)),
        'the killed pool’s folders',
      ).toEqual([]);
      expect(now.every((name) => name.startsWith(`qtc-sandbox-${String(second.pool.pid)}-`))).toBe(true);
    } finally {
      process.kill(-(second.pool.pid ?? 0), 'SIGKILL');
      await second.exited;
    }
  });

  it('are only this module’s folders of ended makers, never anything else', () => {
    const tmp = tempSubdir('sweep');
    const dead = deadPid();
    const orphan = `qtc-sandbox-${String(dead)}-aB3xYz`;
    mkdirSync(path.join(tmp, orphan));
    writeFileSync(path.join(tmp, orphan, 'progress'), Buffer.alloc(8));
    const empty = `qtc-sandbox-${String(dead)}-eMpty1`;
    mkdirSync(path.join(tmp, empty));
    // Kept: a live maker's folder; a name without a maker (an older version's); a folder holding more
    // than its progress file; a link and a file with a folder's name; another prefix.
    const live = `qtc-sandbox-${String(process.pid)}-LiVe01`;
    mkdirSync(path.join(tmp, live));
    writeFileSync(path.join(tmp, live, 'progress'), Buffer.alloc(8));
    mkdirSync(path.join(tmp, 'qtc-sandbox-6TMoHN'));
    const busy = `qtc-sandbox-${String(dead)}-bUsy01`;
    mkdirSync(path.join(tmp, busy));
    writeFileSync(path.join(tmp, busy, 'progress'), Buffer.alloc(8));
    writeFileSync(path.join(tmp, busy, 'other'), 'not ours');
    const target = tempSubdir('link-target');
    writeFileSync(path.join(target, 'progress'), 'must survive');
    symlinkSync(target, path.join(tmp, `qtc-sandbox-${String(dead)}-LiNk01`));
    writeFileSync(path.join(tmp, `qtc-sandbox-${String(dead)}-fIle01`), 'a file');
    mkdirSync(path.join(tmp, `other-${String(dead)}-aB3xYz`));

    expect(removeOrphanedProgressFolders(tmp).sort()).toEqual([orphan, empty].sort());
    expect(readdirSync(tmp).sort()).toEqual(
      [live, 'qtc-sandbox-6TMoHN', busy, `qtc-sandbox-${String(dead)}-LiNk01`, `qtc-sandbox-${String(dead)}-fIle01`, `other-${String(dead)}-aB3xYz`].sort(),
    );
    expect(readdirSync(path.join(tmp, busy)).sort()).toEqual(['other', 'progress']);
    expect(readdirSync(target)).toEqual(['progress']);
    expect(removeOrphanedProgressFolders(path.join(tmp, 'missing'))).toEqual([]);
  });
});
