/**
 * Polls `attempt` until it resolves, `giveUp` returns a reason, `signal` aborts (the process is
 * stopping: a start-up must not keep it waiting), or the deadline passes.
 */
export async function waitFor<T>(
  attempt: () => Promise<T>,
  options: { timeoutMs: number; intervalMs?: number; giveUp?: () => string | undefined; signal?: AbortSignal | undefined; what: string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (options.signal?.aborted) throw new Error(`stopped while waiting for ${options.what}`);
    const reason = options.giveUp?.();
    if (reason !== undefined) throw new Error(reason);
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${options.what} did not become ready within ${options.timeoutMs} ms (${(lastError as Error | undefined)?.message ?? 'no answer'})`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
