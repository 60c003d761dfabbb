import { spawn } from 'node:child_process';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { GitProtocol } from './repoSource.ts';
import { GitSyncError, type SyncErrorKind } from './syncError.ts';

/**
 * Every git process of the sync goes through here: simple-git with all of its `unsafe` switches
 * off, a minimal environment, one allowed transport, and a hard deadline after which the process
 * is killed. The hardening that git reads from configuration lives in the mirror's own config
 * file (mirror.ts), because simple-git refuses `-c core.hooksPath=…` and `-c protocol.*` without
 * unsafe switches, whatever their value.
 */

export interface GitProcessOptions {
  cwd: string;
  /** The one transport git may use; null for commands that never contact a remote. */
  protocol: GitProtocol | null;
  timeoutMs: number;
  /** Aborts the process early (server shutdown, size limit). */
  signal?: AbortSignal;
  /** Where PATH, HOME, ssh agent and proxy settings come from; default process.env. */
  baseEnv?: NodeJS.ProcessEnv;
}

/** Variables git children keep from the server's environment: finding programs, ssh keys, proxies. */
const INHERITED_VARIABLES = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'TMPDIR',
  'SSH_AUTH_SOCK',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'ALL_PROXY',
  'all_proxy',
  'NO_PROXY',
  'no_proxy',
] as const;

/** The GIT_* variables we set; simple-git strips every other one. */
const GIT_VARIABLES = ['GIT_ALLOW_PROTOCOL', 'GIT_TERMINAL_PROMPT', 'GIT_LFS_SKIP_SMUDGE', 'GIT_NO_REPLACE_OBJECTS'] as const;

/** Pure: the complete environment of a git child. */
export function gitEnvironment(protocol: GitProtocol | null, baseEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_VARIABLES) {
    const value = baseEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    // Stable English messages: errors are classified by their text.
    LC_ALL: 'C',
    LANG: 'C',
    // No transport except the source's own; an unknown name allows nothing at all.
    GIT_ALLOW_PROTOCOL: protocol ?? 'none',
    GIT_TERMINAL_PROMPT: '0',
    GIT_LFS_SKIP_SMUDGE: '1',
    GIT_NO_REPLACE_OBJECTS: '1',
  };
}

const FAILURE_PATTERNS: ReadonlyArray<[RegExp, SyncErrorKind]> = [
  [/couldn't find remote ref/i, 'branch-missing'],
  [
    /does not appear to be a git repository|repository not found|repository '[^']*' not found|could not read from remote repository|could not resolve host|unable to access|connection refused|failed to connect/i,
    'unreachable',
  ],
  [/transport '[^']*' not allowed|protocol '[^']*' is not supported/i, 'refused'],
];

/** Pure: what kind of problem a failed git command's output describes. */
export function classifyGitFailure(output: string): SyncErrorKind {
  for (const [pattern, kind] of FAILURE_PATTERNS) if (pattern.test(output)) return kind;
  return 'failed';
}

/** The first meaningful lines of git's output, for messages people read. */
export function summariseGitOutput(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('hint:'));
  return lines.slice(0, 3).join(' ').slice(0, 500) || 'no output';
}

function withDeadline(options: GitProcessOptions): { git: SimpleGit; deadline: AbortSignal; done: () => void } {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal;
  const git = simpleGit({
    baseDir: options.cwd,
    maxConcurrentProcesses: 1,
    trimmed: false,
    abort: signal,
    allowEnvironment: GIT_VARIABLES,
    // Every `unsafe` switch stays at its default (off): nothing below needs one.
  }).env(gitEnvironment(options.protocol, options.baseEnv));
  return { git, deadline: deadline.signal, done: () => clearTimeout(timer) };
}

async function run<T>(options: GitProcessOptions, what: string, task: (git: SimpleGit) => Promise<T>): Promise<T> {
  const { git, deadline, done } = withDeadline(options);
  try {
    return await task(git);
  } catch (error) {
    if (deadline.aborted) throw new GitSyncError('timeout', `git ${what} did not finish within ${options.timeoutMs} ms and was stopped`, { cause: error });
    if (options.signal?.aborted === true) {
      const reason: unknown = options.signal.reason;
      if (reason instanceof GitSyncError) throw reason;
      throw new GitSyncError('aborted', `git ${what} was stopped`, { cause: error });
    }
    const output = error instanceof Error ? error.message : String(error);
    throw new GitSyncError(classifyGitFailure(output), `git ${what} failed: ${summariseGitOutput(output)}`, { cause: error });
  } finally {
    done();
  }
}

/** Runs git with the given arguments; resolves with its standard output. */
export function runGit(args: readonly string[], options: GitProcessOptions): Promise<string> {
  return run(options, args[0] ?? '', (git) => git.raw([...args]));
}

/** `git cat-file blob <oid>` as bytes (file contents are not always text). */
export function readBlob(oid: string, options: GitProcessOptions): Promise<Buffer> {
  return run(options, 'cat-file', async (git) => (await git.binaryCatFile(['blob', oid])) as Buffer);
}

/** Most of git's error output kept by streamGit (for the message). */
const MAX_STDERR_BYTES = 8 * 1024;

/**
 * Runs git and hands its standard output to `onChunk` as it arrives, never holding more of it
 * than the chunk at hand. Whatever `onChunk` throws (a limit was passed) kills git at once and
 * rejects with that error; `onChunk` returning `'stop'` kills git and resolves (enough was read).
 * Same environment, deadline and abort signal as runGit; simple-git is not used here because it
 * collects the whole output before handing it over.
 */
export function streamGit(args: readonly string[], options: GitProcessOptions, onChunk: (chunk: Buffer) => void | 'stop'): Promise<void> {
  const what = args[0] ?? '';
  return new Promise<void>((resolve, reject) => {
    if (options.signal?.aborted === true) {
      const reason: unknown = options.signal.reason;
      reject(reason instanceof GitSyncError ? reason : new GitSyncError('aborted', `git ${what} was stopped`));
      return;
    }
    const child = spawn('git', [...args], {
      cwd: options.cwd,
      env: gitEnvironment(options.protocol, options.baseEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const stderr: Buffer[] = [];
    let stderrBytes = 0;
    /** Set once the outcome is known; later output is ignored. */
    let outcome: { error: Error } | { stopped: true } | null = null;
    const stop = (result: NonNullable<typeof outcome>) => {
      if (outcome !== null) return;
      outcome = result;
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop({ error: new GitSyncError('timeout', `git ${what} did not finish within ${options.timeoutMs} ms and was stopped`) }), options.timeoutMs);
    const onAbort = () => {
      const reason: unknown = options.signal?.reason;
      stop({ error: reason instanceof GitSyncError ? reason : new GitSyncError('aborted', `git ${what} was stopped`) });
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      try {
        if (onChunk(chunk) === 'stop') stop({ stopped: true });
      } catch (error) {
        stop({ error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderrBytes >= MAX_STDERR_BYTES) return;
      stderr.push(chunk.subarray(0, MAX_STDERR_BYTES - stderrBytes));
      stderrBytes += chunk.length;
    });
    child.on('error', (error) => stop({ error: new GitSyncError('failed', `git ${what} could not be started: ${error.message}`, { cause: error }) }));
    // 'close': the process ended and its pipes are drained, so nothing of it outlives the promise.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const settled = outcome;
      if (settled !== null) {
        if ('error' in settled) reject(settled.error);
        else resolve();
      } else if (code === 0) resolve();
      else {
        const output = Buffer.concat(stderr).toString('utf8');
        const status = code === null ? `signal ${signal ?? 'unknown'}` : `exit code ${code}`;
        reject(new GitSyncError(classifyGitFailure(output), `git ${what} failed (${status}): ${summariseGitOutput(output)}`));
      }
    });
  });
}
