import { cp, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';

/**
 * The demo season's strategies live in a real local Git repository, made on first run from
 * examples/strategies: the server then syncs, checks, compiles and activates them exactly as it
 * would a team's own repository.
 */
export const DEMO_REPOSITORY_NAME = 'demo-strategies.git';

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Creates `<localReposRoot>/demo-strategies.git` (bare, branch main) if it is not there. Returns its path and whether it was created. */
export async function ensureDemoRepository(options: { examplesDir: string; localReposRoot: string }): Promise<{ path: string; created: boolean }> {
  const bare = path.join(options.localReposRoot, DEMO_REPOSITORY_NAME);
  if (await exists(path.join(bare, 'HEAD'))) return { path: bare, created: false };

  await mkdir(options.localReposRoot, { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), 'qtc-demo-'));
  try {
    for (const entry of await readdir(options.examplesDir, { withFileTypes: true })) {
      if (entry.isDirectory()) await cp(path.join(options.examplesDir, entry.name), path.join(work, entry.name), { recursive: true });
    }
    const git = simpleGit(work);
    await git.init(['--initial-branch=main']);
    await git.addConfig('user.name', 'QTC demo');
    await git.addConfig('user.email', 'demo@qtc.invalid');
    await git.add('.');
    await git.commit('Demo strategies from examples/strategies');
    await simpleGit().raw(['clone', '--bare', '--quiet', work, bare]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { path: bare, created: true };
}
