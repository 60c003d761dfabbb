import path from 'node:path';

/**
 * Which repositories the server agrees to fetch, decided before git ever sees the string.
 * Pure: no file system access (local paths are confined lexically here and again after
 * resolving symbolic links in `resolveLocalRepo`).
 */

/** The one transport git may use for a source: it becomes GIT_ALLOW_PROTOCOL. */
export type GitProtocol = 'https' | 'ssh' | 'file';

export interface RepoSource {
  protocol: GitProtocol;
  /** What git is given: the URL, or the absolute local path. */
  location: string;
  /** Safe to log and store: credentials replaced by ***. */
  display: string;
}

export type RepoSourceResult = { ok: true; source: RepoSource } | { ok: false; reason: string };

/** Control characters (and, for repositories, spaces) have no place in a URL or a path we hand to git. */
function hasControlCharacter(text: string, spaceToo = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || (spaceToo && code === 0x20)) return true;
  }
  return false;
}
// host: letters, digits, dots, dashes, never leading with a dash (git would read an option).
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
// scp-like syntax `[user@]host:path` as git reads it: no slash before the first colon.
const SCP_LIKE = /^(?:([A-Za-z0-9._-]+)@)?([^/:@]+):(.+)$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

function refused(reason: string): RepoSourceResult {
  return { ok: false, reason };
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.username !== '' || copy.password !== '') {
    copy.username = '***';
    copy.password = '';
  }
  return copy.href;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function localSource(candidate: string, base: string, allowedRoots: readonly string[]): RepoSourceResult {
  const absolute = path.resolve(base, candidate);
  const root = allowedRoots.find((allowed) => isInside(path.resolve(allowed), absolute));
  if (root === undefined) {
    const roots = allowedRoots.length === 0 ? 'none are configured' : allowedRoots.join(', ');
    return refused(`local repository ${absolute} is not under an allowed root (GIT_ALLOWED_LOCAL_PATHS: ${roots})`);
  }
  return { ok: true, source: { protocol: 'file', location: absolute, display: absolute } };
}

export interface ClassifyOptions {
  /** Folder relative local paths are resolved against (the registry file's folder). */
  base: string;
  /** Absolute folders under which local repositories may live. */
  allowedRoots: readonly string[];
}

/**
 * Accepts `https://…`, `ssh://…`, scp-like `git@host:path`, `file:///…` and local paths under an
 * allowed root; refuses every other transport, remote helpers (`ext::…`, `fd::…`) included.
 */
export function classifyRepo(spec: string, options: ClassifyOptions): RepoSourceResult {
  // `<transport>::<address>` runs a remote helper; ext:: runs any command.
  if (/^[A-Za-z0-9+.-]+::/.test(spec)) return refused(`the transport "${spec.slice(0, spec.indexOf('::'))}::" is not allowed; use https, ssh or an allow-listed local path`);
  if (spec === '' || hasControlCharacter(spec, true)) return refused('the repository must be a URL or path without spaces or control characters');
  if (spec.startsWith('-')) return refused('the repository must not start with "-"');

  const scheme = SCHEME.exec(spec)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      return refused('the repository URL cannot be parsed');
    }
    if (scheme === 'file') {
      if (url.host !== '') return refused('file:// URLs must name a local path (file:///path)');
      return localSource(decodeURIComponent(url.pathname), options.base, options.allowedRoots);
    }
    if (scheme !== 'https' && scheme !== 'ssh') return refused(`the protocol "${scheme}://" is not allowed; use https:// or ssh://`);
    const host = url.hostname;
    const ipv6 = /^\[[0-9a-fA-F:.]+\]$/.test(host);
    if (!HOST.test(host) && !ipv6) return refused('the repository URL needs a valid host name');
    if (url.pathname === '' || url.pathname === '/') return refused('the repository URL needs a path');
    if (url.username.startsWith('-')) return refused('the user name in the repository URL must not start with "-"');
    return { ok: true, source: { protocol: scheme, location: url.href, display: redact(url) } };
  }

  const scp = SCP_LIKE.exec(spec);
  if (scp !== null) {
    const [, user, host = '', repoPath = ''] = scp;
    if (!HOST.test(host)) return refused(`"${host}" is not a valid host name for an ssh repository`);
    if (repoPath.startsWith('-')) return refused('the repository path must not start with "-"');
    return { ok: true, source: { protocol: 'ssh', location: spec, display: user === undefined ? spec : `${user}@${host}:${repoPath}` } };
  }

  if (spec.includes(':')) return refused('the repository is neither a URL (https://, ssh://), nor user@host:path, nor a local path');
  return localSource(spec, options.base, options.allowedRoots);
}

/** The allowed roots and a local candidate, after following symbolic links: the link may not leave the root. */
export function localPathIsAllowed(realCandidate: string, realRoots: readonly string[]): boolean {
  return realRoots.some((root) => isInside(root, realCandidate));
}

const BRANCH_COMPONENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** A branch name git accepts and that cannot be read as an option or a revision expression. */
export function validateBranch(branch: string): string | null {
  if (branch.length > 200) return 'the branch name is too long';
  const components = branch.split('/');
  for (const component of components) {
    if (!BRANCH_COMPONENT.test(component) || component.endsWith('.lock') || component.endsWith('.') || component.includes('..')) {
      return `"${branch}" is not a valid branch name (letters, digits, "._-" and "/" between parts)`;
    }
  }
  return null;
}

/** The strategy folder inside the repository, normalised to POSIX form; '.' for the root. */
export function normaliseSubPath(subPath: string): { ok: true; path: string } | { ok: false; reason: string } {
  if (subPath.includes('\\') || hasControlCharacter(subPath)) return { ok: false, reason: `path "${subPath}" must use "/" and no control characters` };
  if (subPath.startsWith('/')) return { ok: false, reason: `path "${subPath}" must be relative to the repository root` };
  const normal = path.posix.normalize(subPath).replace(/\/+$/, '');
  if (normal === '.' || normal === '') return { ok: true, path: '.' };
  const parts = normal.split('/');
  if (parts.some((part) => part === '..' || part === '.git' || part.startsWith(':'))) {
    return { ok: false, reason: `path "${subPath}" must stay inside the repository` };
  }
  return { ok: true, path: normal };
}
