import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBlob, runGit, streamGit, type GitProcessOptions } from './gitProcess.ts';
import { MAX_COMMIT_INFO_BYTES, MAX_LS_TREE_RECORD_BYTES } from './limits.ts';
import { teamVisibleText } from './syncError.ts';

/**
 * Writes the files of one folder of one commit to a fresh directory, reading blobs straight from
 * the object database. Nothing is checked out, so no hook, filter (LFS smudge), attribute or
 * submodule of the repository takes part. Only regular files are written: symbolic links and
 * submodules are listed as skipped, never followed or fetched.
 *
 * The listing (`git ls-tree -r -t -l -z`, folders included) is read as a stream and every limit
 * is checked entry by entry: at the first entry over a limit git is killed and the commit is
 * rejected. Nothing is read of a blob before the listing is complete and within the limits.
 */

export interface ExportLimits {
  /** Regular files. */
  maxFiles: number;
  /** Bytes of all regular files. */
  maxBytes: number;
  /** Entries of any kind: files, folders, symbolic links, submodules. */
  maxEntries: number;
  /** Path components (`a/b.ts` is 2). */
  maxDepth: number;
  /** Bytes of one file. */
  maxFileBytes: number;
}

export interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  /** null for submodules (a commit, not a blob) and folders. */
  size: number | null;
  path: string;
}

export interface ExportedTree {
  files: number;
  bytes: number;
  skipped: Array<{ path: string; reason: 'symlink' | 'submodule' }>;
}

/** The commit was fine as git data but cannot be used as a strategy folder. Its message is shown to the team. */
export class ExportRejection extends Error {
  override name = 'ExportRejection';
  constructor(message: string) {
    super(teamVisibleText(message));
  }
}

/** Pure: one record of `git ls-tree -l -z` (without its NUL). */
export function parseLsTreeRecord(record: string): TreeEntry {
  const tab = record.indexOf('\t');
  const match = /^(\d{6}) (\w+) ([0-9a-f]{40,64}) +(-|\d+)$/.exec(record.slice(0, Math.max(tab, 0)));
  if (tab < 0 || match === null) throw new Error(`unexpected ls-tree record: ${JSON.stringify(record.slice(0, 200))}`);
  const [, mode = '', type = '', oid = '', size = '-'] = match;
  return { mode, type, oid, size: size === '-' ? null : Number(size), path: record.slice(tab + 1) };
}

/** Pure: parses `git ls-tree -r -l -z` output. */
export function parseLsTree(output: string): TreeEntry[] {
  return output
    .split('\0')
    .filter((record) => record !== '')
    .map(parseLsTreeRecord);
}

/**
 * Splits a stream of NUL-terminated records, holding at most `maxRecordBytes` of an unfinished
 * record. `push` returns the records completed by a chunk.
 */
export class NulRecordSplitter {
  readonly #maxRecordBytes: number;
  #parts: Buffer[] = [];
  #pending = 0;

  constructor(maxRecordBytes: number) {
    this.#maxRecordBytes = maxRecordBytes;
  }

  push(chunk: Buffer): string[] {
    const records: string[] = [];
    let start = 0;
    for (let nul = chunk.indexOf(0, start); nul >= 0; nul = chunk.indexOf(0, start)) {
      const piece = chunk.subarray(start, nul);
      if (this.#pending + piece.length > this.#maxRecordBytes) throw new ExportRejection(`a path of the folder is longer than ${this.#maxRecordBytes} bytes`);
      records.push((this.#parts.length === 0 ? piece : Buffer.concat([...this.#parts, piece])).toString('utf8'));
      this.#parts = [];
      this.#pending = 0;
      start = nul + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#pending += rest.length;
      if (this.#pending > this.#maxRecordBytes) throw new ExportRejection(`a path of the folder is longer than ${this.#maxRecordBytes} bytes`);
      // A copy: the chunk's memory is not kept alive for a few bytes of it.
      this.#parts.push(Buffer.from(rest));
    }
    return records;
  }

  /** Whether the stream stopped in the middle of a record. */
  get unfinished(): boolean {
    return this.#pending > 0;
  }
}

const MIB = 1024 * 1024;
const sizeText = (bytes: number) => (bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${bytes} bytes`);
const pathText = (file: string) => JSON.stringify(file.length > 200 ? `${file.slice(0, 200)}…` : file);

/**
 * Takes the entries of a listing one by one and throws an ExportRejection at the first one over a
 * limit; what it keeps (the files to write, the skipped links) is bounded by the limits.
 */
export class TreeBudget {
  readonly #limits: ExportLimits;
  readonly files: TreeEntry[] = [];
  readonly skipped: ExportedTree['skipped'] = [];
  bytes = 0;
  entries = 0;

  constructor(limits: ExportLimits) {
    this.#limits = limits;
  }

  admit(entry: TreeEntry): void {
    const limits = this.#limits;
    if (++this.entries > limits.maxEntries) {
      throw new ExportRejection(`the folder has more than ${limits.maxEntries} entries (files and folders; limit ${limits.maxEntries}); keep only the strategy in it`);
    }
    const depth = entry.path.split('/').length;
    if (depth > limits.maxDepth) throw new ExportRejection(`the path ${pathText(entry.path)} is ${depth} levels deep (limit ${limits.maxDepth})`);
    if (entry.mode === '160000') this.skipped.push({ path: entry.path, reason: 'submodule' });
    else if (entry.mode === '120000') this.skipped.push({ path: entry.path, reason: 'symlink' });
    else if (entry.type === 'blob') {
      if (!isSafeRelativePath(entry.path)) throw new ExportRejection(`the file name ${pathText(entry.path)} is not allowed`);
      const size = entry.size ?? 0;
      if (size > limits.maxFileBytes)
        throw new ExportRejection(`the file ${pathText(entry.path)} has ${sizeText(size)} (limit ${sizeText(limits.maxFileBytes)} per file); keep only the strategy in the folder`);
      if (this.files.length + 1 > limits.maxFiles)
        throw new ExportRejection(`the folder has more than ${limits.maxFiles} files (limit ${limits.maxFiles}); keep only the strategy in it`);
      this.bytes += size;
      if (this.bytes > limits.maxBytes)
        throw new ExportRejection(`the folder's files take more than ${sizeText(limits.maxBytes)} (limit ${sizeText(limits.maxBytes)}); keep only the strategy in it`);
      this.files.push(entry);
    }
  }
}

/** Pure: a repository path is written only when every part of it is an ordinary name. */
export function isSafeRelativePath(file: string): boolean {
  if (file === '' || file.length > 1024) return false;
  const ordinary = (part: string) =>
    part !== '' && part !== '.' && part !== '..' && part.toLowerCase() !== '.git' && !part.includes('\\') && ![...part].some((c) => c.charCodeAt(0) < 0x20);
  return file.split('/').every(ordinary);
}

/** The tree-ish of a folder of a commit: the commit's root tree or a sub-tree. */
function folderTreeish(sha: string, folder: string): string {
  return folder === '.' ? `${sha}^{tree}` : `${sha}:${folder}`;
}

/** Lists the folder through the budget, killing git at the first entry over a limit. */
async function listFolder(treeish: string, limits: ExportLimits, options: GitProcessOptions): Promise<TreeBudget> {
  const budget = new TreeBudget(limits);
  const splitter = new NulRecordSplitter(MAX_LS_TREE_RECORD_BYTES);
  // -t lists every folder too, so a tree of nothing but folders counts against maxEntries.
  await streamGit(['ls-tree', '-r', '-t', '-l', '-z', treeish], options, (chunk) => {
    for (const record of splitter.push(chunk)) budget.admit(parseLsTreeRecord(record));
  });
  if (splitter.unfinished) throw new Error('git ls-tree output ended in the middle of a record');
  return budget;
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

  const { files, bytes, skipped } = await listFolder(treeish, limits, options);
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

/** The `git log` format parseCommitInfo reads: the fixed-size fields first, so a cut output still has them. */
const COMMIT_FORMAT = '%H%x00%cI%x00%an%x00%ae%x00%B';
const MAX_NAME_CHARS = 256;

/** Pure: parses `git log -1 --format=%H%x00%cI%x00%an%x00%ae%x00%B` (a NUL inside the message becomes U+FFFD). */
export function parseCommitInfo(output: string): CommitInfo {
  const [sha = '', committed = '', authorName = '', authorEmail = '', ...message] = output.split('\0');
  const committedAt = new Date(committed);
  if (!/^[0-9a-f]{40,64}$/.test(sha) || Number.isNaN(committedAt.getTime())) throw new Error(`unexpected git log output: ${JSON.stringify(output.slice(0, 200))}`);
  return { sha, authorName: authorName.slice(0, MAX_NAME_CHARS), authorEmail: authorEmail.slice(0, MAX_NAME_CHARS), committedAt, message: message.join('\ufffd').trim() };
}

/** The commit's metadata; at most MAX_COMMIT_INFO_BYTES of it are read (a longer message is cut). */
export async function readCommitInfo(mirrorDir: string, sha: string, git: Omit<GitProcessOptions, 'cwd' | 'protocol'>): Promise<CommitInfo> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  await streamGit(['log', '-1', '--no-show-signature', `--format=${COMMIT_FORMAT}`, sha, '--'], { ...git, cwd: mirrorDir, protocol: null }, (chunk) => {
    chunks.push(chunk.subarray(0, MAX_COMMIT_INFO_BYTES - bytes));
    bytes += chunk.length;
    return bytes >= MAX_COMMIT_INFO_BYTES ? 'stop' : undefined;
  });
  const info = parseCommitInfo(Buffer.concat(chunks).toString('utf8'));
  return bytes > MAX_COMMIT_INFO_BYTES ? { ...info, message: `${info.message}\u2026` } : info;
}
