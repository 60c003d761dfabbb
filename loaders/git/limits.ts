/**
 * Every limit of the git sync, in one place. The fetch limits bound what reaches the disk; the
 * export limits bound what the server reads of a commit's strategy folder. The export limits are
 * enforced while `git ls-tree` streams its listing: git is killed at the first entry over a limit,
 * so a small repository whose trees repeat each other (a "tree bomb": 10 trees of 10 copies of
 * the next one list 10^10 paths from a few kilobytes) costs the server no more than the limit.
 */

export interface GitLimits {
  /** Kill any git process after this long. */
  timeoutMs: number;
  /** Largest mirror (objects of the fetched head, compressed as git stores them). */
  maxRepoBytes: number;
  /** Regular files of the strategy folder. */
  maxFolderFiles: number;
  /** Entries of the strategy folder's listing: files, folders, symbolic links and submodules. */
  maxFolderEntries: number;
  /** Path components below the strategy folder (`lib/util/math.ts` is 3). */
  maxFolderDepth: number;
  /** Bytes of all regular files of the strategy folder together. */
  maxFolderBytes: number;
  /** Bytes of one file of the strategy folder. */
  maxFileBytes: number;
}

export const DEFAULT_GIT_LIMITS: Readonly<GitLimits> = Object.freeze({
  timeoutMs: 60_000,
  maxRepoBytes: 50 * 1024 * 1024,
  maxFolderFiles: 2_000,
  maxFolderEntries: 5_000,
  maxFolderDepth: 20,
  maxFolderBytes: 16 * 1024 * 1024,
  maxFileBytes: 1024 * 1024,
});

/** Longest record of the ls-tree stream (mode, type, object id, size and a path of at most 1,024 characters fit easily). */
export const MAX_LS_TREE_RECORD_BYTES = 8 * 1024;

/** Most of a commit's metadata (`git log -1`) read; a longer commit message is cut. */
export const MAX_COMMIT_INFO_BYTES = 64 * 1024;

/** Longest error text recorded for the team (version error, sync error). */
export const MAX_REASON_CHARS = 500;
