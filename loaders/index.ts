// Public surface of loaders/: the static check and the compiler of strategy folders.
export { checkStrategy, type CheckOptions, type CheckReport } from './staticCheck/checkStrategy.ts';
export { DEFAULT_CHECK_LIMITS, type CheckLimits } from './staticCheck/limits.ts';
export { RULE_IDS, RULES, type Finding, type RuleId, type RuleDescription } from './staticCheck/rules.ts';
export {
  compileStrategy,
  StrategyCompileError,
  BUNDLE_FILENAME,
  BUNDLE_GLOBAL_NAME,
  type CompiledStrategy,
  type CompileOptions,
  type CompileProblem,
} from './compile/compileStrategy.ts';
export { originalPosition, type OriginalPosition } from './compile/originalPosition.ts';
export { StrategyFolderError } from './strategyFolder/strategyFolder.ts';
export { DEFAULT_ENTRY_NAMES } from './strategyFolder/locateEntry.ts';
