/** Size limits of a strategy. They bound the work of the check itself (parsing is linear in the input) and of compiling. */
export interface CheckLimits {
  /** Bytes of one source file. */
  maxFileBytes: number;
  /** Bytes of all files reached from the entry together. */
  maxTotalBytes: number;
  /** Files reached from the entry, the entry included. */
  maxFiles: number;
  /** Syntax-tree nodes of all files together (type annotations included). */
  maxAstNodes: number;
}

// A 500-line strategy is ~20 KB and ~5,000 nodes; these leave plenty of room for real
// strategies while keeping a check well under a second.
export const DEFAULT_CHECK_LIMITS: Readonly<CheckLimits> = Object.freeze({
  maxFileBytes: 256 * 1024,
  maxTotalBytes: 1024 * 1024,
  maxFiles: 64,
  maxAstNodes: 250_000,
});

/** Fills unspecified limits with the defaults and rejects nonsense values early. */
export function resolveLimits(overrides: Partial<CheckLimits> = {}): CheckLimits {
  const limits = { ...DEFAULT_CHECK_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`check limit ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return limits;
}
