/**
 * A sandbox child's progress file (a folder in the temp directory) is removed by the pool once it
 * has seen the child close. When the pool's process is killed first, its children remove their own
 * on the way out, so a crashed or killed server leaves nothing behind in the temp directory.
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../support/tempDir.ts';

const SANDBOX = path.resolve(import.meta.dirname, '../../sandbox/index.ts');
const temp = makeTempDir('qtc-orphans-');
afterAll(() => temp.remove());

const progressFolders = (): string[] => readdirSync(temp.dir).filter((name) => name.startsWith('qtc-sandbox-'));

describe('sandbox children whose pool was killed', () => {
  it('remove their progress files', { timeout: 60_000 }, async () => {
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
    // TMPDIR: the pool's progress files go to this test's own folder.
    const pool = spawn(process.execPath, ['--no-node-snapshot', script], { env: { ...process.env, TMPDIR: temp.dir }, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => pool.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      pool.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      pool.once('exit', (code) => reject(new Error(`the pool's process ended before it was ready (${String(code)})`)));
    });
    expect(progressFolders()).toHaveLength(2);
    pool.kill('SIGKILL');
    await exited;
    await vi.waitFor(() => expect(progressFolders(), 'progress folders left behind').toEqual([]), { timeout: 20_000, interval: 50 });
  });
});
