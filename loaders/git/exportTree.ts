import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBlob, runGit, type GitProcessOptions } from './gitProcess.ts';

/**
 * Writes the files of one folder of one commit to a fresh directory, reading blobs straight from
 * the object database. Nothing is checked out, so no hook, filter (LFS smudge), attribute or
 * submodule of the repository takes part. Only regular files are written: symbolic links and
 * submodules are listed as skipped, never followed or fetched.
 */

export interface ExportLimits {
  maxFiles: number;
  maxBytes: number;
}

export interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  /** null for submodules (a commit, not a blob). */
  size: number | null;
  path: string;
}

export interface ExportedTree {
  files: number;
  bytes: number;
  skipped: Array<{ path: string; reason: 'symlink' | 'submodule' }>;
}

/** The commit was fine as git data but cannot be used as a strategy folder. */
export class ExportRejection extends Error {
  override name = 'ExportRejection';
}

/** Pure: parses `git ls-tree -r -l -z` output. */
export function parseLsTree(output: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of output.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const match = /^(\d{6}) (\w+) ([0-9a-f]{40,64}) +(-|\d+)$/.exec(record.slice(0, tab));
    if (tab < 0 || match === null) throw new Error(`unexpected ls-tree record: ${JSON.stringify(record.slice(0, 200))}`);
    const [, mode = '', type = '', oid = '', size = '-'] = match;
    entries.push({ mode, type, oid, size: size === '-' ? null : Number(size), path: record.slice(tab + 1) });
  }
  return entries;
}

/** Pure: a repository path is written only when every part of it is an ordinary name. */
export function isSafeRelativePath(file: string): boolean {
  if (file === '' || file.length > 1024) return false;
  const ordinary = (part: string) => part !== '' && part !== '.' && part !== '..' && part.toLowerCase() !== '.git' && !part.includes('\\') && ![...part].some((c) => c.charCodeAt(0) < 0x20);
  return file.split('/').every(ordinary);
}

/** The tree-ish of a folder of a commit: the commit's root tree or a sub-tree. */
function folderTreeish(sha: string, folder: string): string {
  return folder === '.' ? `${sha}^{tree}` : `${sha}:${folder}`;
}

export async function exportFolder(
  mirrorDir: string,
  sha: string,
  folder: string,
  target: string,
  limits: ExportLimits,
  git: Omit<GitProcessOptions, 'cwd' | 'protocol'>,
): Promise<ExportedTree> {
  const options: GitProcessOptions = { ...git, cwd: mirrorDir, protocol: null };
  const treeish = folderTreeish(sha, folder);
  const type = await runGit(['cat-file', '-t', treeish], options).then(
    (output) => output.trim(),
    () => null,
  );
  if (type !== 'tree') throw new ExportRejection(folder === '.' ? 'the commit has no files' : `the folder "${folder}" does not exist in this commit`);

  const entries = parseLsTree(await runGit(['ls-tree', '-r', '-l', '-z', treeish], options));
  const skipped: ExportedTree['skipped'] = [];
  const files: TreeEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (entry.mode === '160000') skipped.push({ path: entry.path, reason: 'submodule' });
    else if (entry.mode === '120000') skipped.push({ path: entry.path, reason: 'symlink' });
    else if (entry.type === 'blob') {
      if (!isSafeRelativePath(entry.path)) throw new ExportRejection(`the file name ${JSON.stringify(entry.path)} is not allowed`);
      files.push(entry);
      bytes += entry.size ?? 0;
    }
  }
  if (files.length > limits.maxFiles) throw new ExportRejection(`the folder has ${files.length} files (limit ${limits.maxFiles}); keep only the strategy in it`);
  if (bytes > limits.maxBytes) throw new ExportRejection(`the folder's files take ${bytes} bytes (limit ${limits.maxBytes}); keep only the strategy in it`);

  await mkdir(target, { recursive: true });
  for (const entry of files) {
    const destination = path.join(target, ...entry.path.split('/'));
    await mkdir(path.dirname(destination), { recursive: true });
    // 'wx': a path written twice (a malformed tree) is an error, never an overwrite.
    await writeFile(destination, await readBlob(entry.oid, options), { flag: 'wx', mode: 0o644 });
  }
  return { files: files.length, bytes, skipped };
}

export interface CommitInfo {
  sha: string;
  authorName: string;
  authorEmail: string;
  committedAt: Date;
  message: string;
}

/** Pure: parses `git log -1 --format=%H%x00%an%x00%ae%x00%cI%x00%B`. */
export function parseCommitInfo(output: string): CommitInfo {
  const [sha = '', authorName = '', authorEmail = '', committed = '', ...message] = output.split('\0');
  const committedAt = new Date(committed);
  if (!/^[0-9a-f]{40,64}$/.test(sha) || Number.isNaN(committedAt.getTime())) throw new Error(`unexpected git log output: ${JSON.stringify(output.slice(0, 200))}`);
  return { sha, authorName, authorEmail, committedAt, message: message.join('\0').trim() };
}

export async function readCommitInfo(mirrorDir: string, sha: string, git: Omit<GitProcessOptions, 'cwd' | 'protocol'>): Promise<CommitInfo> {
  const output = await runGit(['log', '-1', '--no-show-signature', '--format=%H%x00%an%x00%ae%x00%cI%x00%B', sha, '--'], { ...git, cwd: mirrorDir, protocol: null });
  return parseCommitInfo(output);
}
