/**
 * Resources acquired in order and released in reverse: the HTTP server stops before the pool
 * it uses, the pool before the Postgres it talks to.
 */
export class Lifecycle {
  private readonly closers: Array<{ name: string; close: () => Promise<void> }> = [];
  private readonly stop = new AbortController();
  private closing: Promise<unknown> = Promise.resolve();

  /** True once a stop was asked for (a signal), possibly while the process was still starting. */
  get stopping(): boolean {
    return this.stop.signal.aborted;
  }

  /** Aborted by `requestStop()`: long start-up waits (initdb, a server coming up) give up at once. */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  /**
   * Registers a resource to release. After `requestStop()` it still registers it (so it is released
   * with the rest), then throws: a start-up in progress unwinds at its next step instead of going on
   * to start more.
   */
  onClose(name: string, close: () => Promise<void>): void {
    this.closers.push({ name, close });
    if (this.stopping) throw new Error(`stopped during start-up (at ${name})`);
  }

  requestStop(): void {
    this.stop.abort();
  }

  /**
   * Releases everything; one failing closer does not stop the others. Returns the failures. Calls are
   * serialised: a second caller (a failed start-up and a signal at once) returns only once the
   * first has released everything, so nobody exits while a server is still stopping.
   */
  closeAll(): Promise<Array<{ name: string; error: unknown }>> {
    const run = this.closing.then(() => this.drain());
    this.closing = run;
    return run;
  }

  private async drain(): Promise<Array<{ name: string; error: unknown }>> {
    const failures: Array<{ name: string; error: unknown }> = [];
    while (this.closers.length > 0) {
      const closer = this.closers.pop()!;
      try {
        await closer.close();
      } catch (error) {
        failures.push({ name: closer.name, error });
      }
    }
    return failures;
  }
}
