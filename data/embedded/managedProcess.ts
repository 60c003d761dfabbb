import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { RunAs } from './runAs.ts';

export interface ManagedProcessOptions {
  command: string;
  args: string[];
  logFile: string;
  runAs?: RunAs | undefined;
  env?: NodeJS.ProcessEnv;
}

/** Every child we own, so that a crash of this process still tells them to stop. */
const owned = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of owned) child.kill('SIGTERM');
  });
}

/**
 * A server process we started. It runs in its own process group so that Ctrl-C in a terminal
 * reaches only us, and we stop the services in order after the application has let go of them.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private hasExited = false;
  private readonly options: ManagedProcessOptions;

  constructor(options: ManagedProcessOptions) {
    this.options = options;
    const log = openSync(options.logFile, 'a');
    try {
      this.child = spawn(options.command, options.args, {
        stdio: ['ignore', log, log],
        detached: true,
        env: options.env ?? process.env,
        ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
      });
    } finally {
      closeSync(log);
    }
    installExitHook();
    owned.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.hasExited = true;
        owned.delete(this.child);
        resolve(code);
      });
      this.child.once('error', () => {
        this.hasExited = true;
        owned.delete(this.child);
        resolve(null);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  /** The end of the process's log, for error messages. */
  logTail(lines = 5): string {
    return tailOfFile(this.options.logFile, lines);
  }

  /** Sends `signal`, then escalates to SIGKILL if the process has not exited in time. */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export function tailOfFile(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends a signal to a process we did not spawn (an orphan adopted from an earlier run) and waits for it to go. */
export async function stopForeignProcess(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
