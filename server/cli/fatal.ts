/** Prints an error that stops the program as one line on stderr and exits non-zero. */
export function reportFatal(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`qtc: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
}

/**
 * Ends a one-shot command once what it wrote has left the process, with process.exitCode. Left to
 * itself the process would linger after its work until V8's and isolated-vm's deferred clean-up
 * tasks have run: ~7 ms of a one-week `qtc backtest` of ~0.22 s (bench/peerGrademark.ts).
 */
export async function exitWhenWritten(): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
  process.exit();
}
