// Public API of the sandbox. Nothing else of the project is imported here or below.
export { SandboxPool, describeExit, type ProcessStats } from './pool.ts';
export { validateSignal } from './decode.ts';
export type {
  Bar,
  CompiledStrategy,
  EncodedBars,
  EncodedPrices,
  InvalidSignal,
  LoadOutcome,
  LoadRequest,
  LogLevel,
  LogLine,
  MinuteInput,
  Position,
  QuarantineEntry,
  SandboxError,
  SandboxErrorKind,
  SandboxEvent,
  SandboxPoolOptions,
  Signal,
  TeamMinuteState,
  TeamRunResult,
  TeamState,
  TeamStatus,
} from './types.ts';
