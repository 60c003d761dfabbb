// One incarnation of a sandbox child process as seen from the parent: forking it, sending it
// one operation at a time, the watchdog, and the way it ended.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ProgressFile, type Progress } from '../progress.ts';
import type { ChildMessage, HistoryUpdate, ParentMessage, RuntimeLimits } from '../protocol.ts';

const CHILD_ENTRY = fileURLToPath(new URL('../child/main.ts', import.meta.url));
const STDERR_TAIL_CHARS = 4096;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of what the child wrote to stderr (V8 prints its fatal errors there). */
  stderrTail: string;
  /** Set when the parent's watchdog killed the child. */
  watchdog: { teamId: string | null; limitMs: number } | null;
  /** What the child's progress file said when it ended. */
  progress: Progress;
}

/** How long the child may stay at one position of a run before the watchdog kills it. */
export interface ProgressBudget {
  ms: number;
  teamId: string | null;
  limitMs: number;
}

export type OpOutcome = { died: null } | { died: ExitInfo };

interface PendingOp {
  opId: number;
  onMessage: (message: ChildMessage) => boolean;
  finish: (outcome: OpOutcome) => void;
}

export class SandboxChild {
  readonly pid: number;
  /** Teams whose isolate exists in this incarnation. */
  readonly loaded = new Set<string>();
  /** Last minute seq this child has been sent. */
  sentSeq = 0;
  readonly #process: ChildProcess;
  readonly #progress: ProgressFile;
  readonly #exited: Promise<ExitInfo>;
  #exitInfo: ExitInfo | null = null;
  #stderrTail = '';
  #pending: PendingOp | null = null;
  #nextOpId = 1;
  #watchdogTimer: NodeJS.Timeout | null = null;
  #watchdogPoll: NodeJS.Timeout | null = null;
  #watchdogKill: ExitInfo['watchdog'] = null;

  private constructor(child: ChildProcess, progress: ProgressFile) {
    this.#process = child;
    this.#progress = progress;
    if (child.pid === undefined) throw new Error('the sandbox child process could not be started');
    this.pid = child.pid;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (message: ChildMessage) => {
      const pending = this.#pending;
      if (pending === null || !('opId' in message) || message.opId !== pending.opId) return;
      if (pending.onMessage(message)) {
        this.#pending = null;
        this.#clearWatchdog();
        pending.finish({ died: null });
      }
    });
    // 'close' (not 'exit'): by then every message the child managed to write has been delivered.
    this.#exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.#clearWatchdog();
        this.#exitInfo = { code, signal, stderrTail: this.#stderrTail, watchdog: this.#watchdogKill, progress: this.#progress.read() };
        this.#progress.remove();
        const pending = this.#pending;
        this.#pending = null;
        pending?.finish({ died: this.#exitInfo });
        resolve(this.#exitInfo);
      });
    });
  }

  static async start(limits: RuntimeLimits, history: HistoryUpdate, readyTimeoutMs: number): Promise<SandboxChild> {
    const progress = new ProgressFile();
    let child: ChildProcess;
    try {
      child = fork(CHILD_ENTRY, [progress.path], {
        // --always-sparkplug: a function gets its baseline code on its first call instead of after ~8. A
        // strategy's isolate is called once a minute, so otherwise every isolate loaded together compiled
        // its runtime and strategy in the same (8th) minute: at 1,000 teams the children's CPU for that
        // minute was 2.2x the minutes around it (236 ms against ~110), the tick's worst minute. Now it is
        // paid with the isolate's first call, the minute it loads, and later minutes are as cheap or cheaper.
        // --no-concurrent-recompilation: optimised code is compiled in the call that asks for it, on this
        // thread. Compiled on a background thread, it could only be installed at the isolate's next call,
        // a minute later, and each isolate's pending jobs held their compiler memory until then: after
        // 1,000 calls resident memory was ~4.9 MB per team against ~3.3 now (bench:sandbox, steadyRss).
        // The compiling also counts in the team's own CPU time now, where it belongs.
        execArgv: ['--no-node-snapshot', '--always-sparkplug', '--no-concurrent-recompilation'],
        // A fixed zone keeps Date's local-time methods identical on every machine.
        env: { ...process.env, TZ: 'UTC' },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
      });
    } catch (error) {
      progress.remove();
      throw new Error('the sandbox child process could not be forked', { cause: error });
    }
    const handle = new SandboxChild(child, progress);
    handle.sentSeq = history.entries.at(-1)?.[0] ?? 0;
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), readyTimeoutMs);
      const onMessage = (message: ChildMessage): void => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(true);
      };
      child.on('message', onMessage);
      void handle.#exited.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    handle.#send({ type: 'init', limits, ...history });
    if (!(await ready)) {
      handle.kill();
      const exit = await handle.#exited;
      throw new Error(`the sandbox child process did not start (exit code ${exit.code}, signal ${exit.signal}): ${exit.stderrTail.trim().slice(-500)}`);
    }
    return handle;
  }

  get alive(): boolean {
    return this.#exitInfo === null;
  }

  get exited(): Promise<ExitInfo> {
    return this.#exited;
  }

  /**
   * Sends one operation. `onMessage` receives each message of the operation and returns true on
   * the last one. Resolves when the operation completed or the child died.
   */
  op(build: (opId: number) => ParentMessage, onMessage: (message: ChildMessage) => boolean): Promise<OpOutcome> {
    if (this.#exitInfo !== null) return Promise.resolve({ died: this.#exitInfo });
    if (this.#pending !== null) throw new Error('sandbox child: an operation is already in flight');
    const opId = this.#nextOpId++;
    return new Promise<OpOutcome>((finish) => {
      this.#pending = { opId, onMessage, finish };
      this.#send(build(opId));
    });
  }

  /**
   * Watches the operation `opId` through the progress file until it completes: every `pollMs`
   * the parent reads which team the child is at, and kills the child when it stays at one
   * position longer than `budget(index)` allows (index -1: not started yet; the team count:
   * all teams done). Replaces any armed watchdog.
   */
  watchProgress(opId: number, pollMs: number, budget: (index: number) => ProgressBudget): void {
    this.#clearWatchdog();
    let index = Number.NaN;
    let since = performance.now();
    this.#watchdogPoll = setInterval(() => {
      const progress = this.#progress.read();
      const now = performance.now();
      const current = progress.opId === opId ? progress.index : -1;
      if (current !== index) {
        index = current;
        since = now;
        return;
      }
      const allowed = budget(index);
      if (now - since > allowed.ms) {
        this.#watchdogKill = { teamId: allowed.teamId, limitMs: allowed.limitMs };
        this.kill();
      }
    }, pollMs);
  }

  /** (Re)arms the watchdog: if the child does not make progress within `ms`, it is killed. */
  armWatchdog(ms: number, teamId: string | null, limitMs: number): void {
    this.#clearWatchdog();
    this.#watchdogTimer = setTimeout(() => {
      this.#watchdogKill = { teamId, limitMs };
      this.kill();
    }, ms);
  }

  kill(): void {
    if (this.#exitInfo === null) this.#process.kill('SIGKILL');
  }

  #clearWatchdog(): void {
    if (this.#watchdogTimer !== null) clearTimeout(this.#watchdogTimer);
    if (this.#watchdogPoll !== null) clearInterval(this.#watchdogPoll);
    this.#watchdogTimer = null;
    this.#watchdogPoll = null;
  }

  #send(message: ParentMessage): void {
    if (!this.#process.connected) return; // the 'close' handler reports the death
    this.#process.send(message, (error) => {
      if (error !== null) this.kill();
    });
  }
}
