/** Prints an error that stops the program as one line on stderr and exits non-zero. */
export function reportFatal(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`qtc: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
}
