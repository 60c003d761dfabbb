import { mkdir, readdir, rm, lstat, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { runGit, type GitProcessOptions } from './gitProcess.ts';
import type { GitProtocol, RepoSource } from './repoSource.ts';
import { GitSyncError } from './syncError.ts';

/**
 * A team's repository as the server keeps it: a bare repository in `<dataDir>/repos/<team>`
 * holding only the branch head, fetched shallow (depth 1) into `refs/qtc/head`. It never has a
 * working tree, so nothing is ever checked out; files are exported blob by blob (exportTree.ts).
 */

export const HEAD_REF = 'refs/qtc/head';

export interface MirrorOptions {
  timeoutMs: number;
  /** Largest size of the mirror's objects (packs included, while they arrive). */
  maxRepoBytes: number;
  signal?: AbortSignal;
  baseEnv?: NodeJS.ProcessEnv;
  /** How often the objects folder is measured during a fetch. */
  sizePollMs?: number;
}

/**
 * Pure: the mirror's whole configuration. Written by us on every sync (git reads repository
 * config after the global one, so these win over anything in ~/.gitconfig or /etc/gitconfig).
 */
export function mirrorConfig(protocol: GitProtocol): string {
  return [
    '[core]',
    '\trepositoryformatversion = 0',
    '\tfilemode = true',
    '\tbare = true',
    // No hook of any kind runs, including reference-transaction on fetch.
    '\thooksPath = /dev/null',
    '\tfsmonitor = false',
    '\tlogAllRefUpdates = false',
    '\tsymlinks = false',
    '[protocol]',
    '\tallow = never',
    `[protocol "${protocol}"]`,
    '\tallow = always',
    '[protocol "ext"]',
    '\tallow = never',
    '[fetch]',
    '\trecurseSubmodules = false',
    '\tfsckObjects = true',
    '\twriteCommitGraph = false',
    '[transfer]',
    '\tfsckObjects = true',
    '[submodule]',
    '\trecurse = false',
    '[gc]',
    '\tauto = 0',
    '[maintenance]',
    '\tauto = false',
    '',
  ].join('\n');
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Bytes of every file below `dir` (symbolic links counted as links, never followed). */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    try {
      total += (await lstat(path.join(entry.parentPath, entry.name))).size;
    } catch (error) {
      // Temporary pack files come and go while git works.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return total;
}

/** Creates the bare mirror when missing and (re)writes its configuration. */
export async function prepareMirror(dir: string, protocol: GitProtocol, options: MirrorOptions): Promise<void> {
  if (!(await exists(path.join(dir, 'HEAD')))) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await runGit(['init', '--bare', '--quiet'], { cwd: dir, protocol: null, timeoutMs: options.timeoutMs, signal: options.signal, baseEnv: options.baseEnv });
    // Templates may carry hooks; none may exist even though hooksPath points elsewhere.
    await rm(path.join(dir, 'hooks'), { recursive: true, force: true });
  }
  await writeFile(path.join(dir, 'config'), mirrorConfig(protocol));
}

export async function removeMirror(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

function gitOptions(source: RepoSource, cwd: string, options: MirrorOptions, signal?: AbortSignal): GitProcessOptions {
  return { cwd, protocol: source.protocol, timeoutMs: options.timeoutMs, signal: signal ?? options.signal, baseEnv: options.baseEnv };
}

/** The commit the branch points at on the remote, without fetching anything. */
export async function remoteHead(dir: string, source: RepoSource, branch: string, options: MirrorOptions): Promise<string> {
  const ref = `refs/heads/${branch}`;
  const output = await runGit(['ls-remote', '--heads', '--', source.location, ref], gitOptions(source, dir, options));
  for (const line of output.split('\n')) {
    const [sha, name] = line.split('\t');
    if (name === ref && sha !== undefined && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) return sha;
  }
  throw new GitSyncError('branch-missing', `branch "${branch}" does not exist in ${source.display}`);
}

function tooLarge(bytes: number, limit: number, source: RepoSource): GitSyncError {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return new GitSyncError(
    'too-large',
    `${source.display} is too large: its branch head needs more than ${mb(limit)} MB (${mb(bytes)} MB fetched); keep large files out of the strategy repository`,
  );
}

async function fetchOnce(dir: string, source: RepoSource, branch: string, options: MirrorOptions): Promise<string> {
  const objects = path.join(dir, 'objects');
  const sizeLimit = new AbortController();
  let measuring = false;
  const measure = async () => {
    if (measuring || sizeLimit.signal.aborted) return;
    measuring = true;
    try {
      const bytes = await directorySize(objects);
      if (bytes > options.maxRepoBytes) sizeLimit.abort(tooLarge(bytes, options.maxRepoBytes, source));
    } catch {
      // Measured again after the fetch; a vanished temporary file is no reason to stop.
    } finally {
      measuring = false;
    }
  };
  const watch = setInterval(() => void measure(), options.sizePollMs ?? 200);
  const signal = options.signal ? AbortSignal.any([sizeLimit.signal, options.signal]) : sizeLimit.signal;
  try {
    await runGit(
      ['fetch', '--depth=1', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', '--quiet', '--', source.location, `+refs/heads/${branch}:${HEAD_REF}`],
      gitOptions(source, dir, options, signal),
    );
  } finally {
    clearInterval(watch);
  }
  const bytes = await directorySize(objects);
  if (bytes > options.maxRepoBytes) throw tooLarge(bytes, options.maxRepoBytes, source);
  const sha = (await runGit(['rev-parse', '--verify', '--quiet', `${HEAD_REF}^{commit}`], { ...gitOptions(source, dir, options), protocol: null })).trim();
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) throw new GitSyncError('failed', `the fetched head of ${source.display} is not a commit`);
  return sha;
}

/**
 * Fetches the branch head (depth 1) and returns its commit. Over the size limit, an old mirror
 * (shallow fetches accumulate) is started afresh once; a head that alone is too large is
 * refused. A fetch that failed half-way leaves no mirror behind, so no stale lock blocks the next.
 */
export async function fetchHead(dir: string, source: RepoSource, branch: string, options: MirrorOptions): Promise<string> {
  await prepareMirror(dir, source.protocol, options);
  const hadObjects = (await directorySize(path.join(dir, 'objects'))) > 0;
  try {
    return await fetchOnce(dir, source, branch, options);
  } catch (error) {
    await removeMirror(dir);
    if (!(error instanceof GitSyncError && error.kind === 'too-large' && hadObjects)) throw error;
  }
  await prepareMirror(dir, source.protocol, options);
  try {
    return await fetchOnce(dir, source, branch, options);
  } catch (error) {
    await removeMirror(dir);
    throw error;
  }
}
