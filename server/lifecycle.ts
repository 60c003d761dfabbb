/**
 * Resources acquired in order and released in reverse: the HTTP server stops before the pool
 * it uses, the pool before the Postgres it talks to.
 */
export class Lifecycle {
  private readonly closers: Array<{ name: string; close: () => Promise<void> }> = [];

  onClose(name: string, close: () => Promise<void>): void {
    this.closers.push({ name, close });
  }

  /** Releases everything; one failing closer does not stop the others. Returns the failures. */
  async closeAll(): Promise<Array<{ name: string; error: unknown }>> {
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
