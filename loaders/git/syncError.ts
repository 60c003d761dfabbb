import { MAX_REASON_CHARS } from './limits.ts';

/**
 * Why a repository could not be synced. None of these touches the team's active version; the
 * sync is retried on the next poll (a refused source or an oversized head only once they change).
 */
export type SyncErrorKind =
  /** The registry entry names a transport, host, branch or path the server does not accept. */
  | 'refused'
  /** The repository cannot be reached or does not exist (any more). */
  | 'unreachable'
  /** The repository exists but the branch does not (deleted, or never pushed). */
  | 'branch-missing'
  /** The fetched objects exceed the size limit. */
  | 'too-large'
  /** git ran past the time limit and was killed. */
  | 'timeout'
  /** Sync was stopped (server shutting down). */
  | 'aborted'
  /** Anything else git or the file system reported. */
  | 'failed';

export class GitSyncError extends Error {
  override name = 'GitSyncError';
  readonly kind: SyncErrorKind;
  constructor(kind: SyncErrorKind, message: string, options?: ErrorOptions) {
    super(teamVisibleText(message), options);
    this.kind = kind;
  }
}

/**
 * Pure: text from git, a repository or a strategy made fit to store and show to the team: no NUL
 * (Postgres text refuses it) or other control character except tab and newline, and at most
 * `max` characters.
 */
export function teamVisibleText(text: string, max = MAX_REASON_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
  return clean.length <= max ? clean : `${clean.slice(0, Math.max(0, max - 1))}\u2026`;
}
