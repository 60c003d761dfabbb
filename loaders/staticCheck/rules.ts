// The rule table of the static check. Rule ids are part of the public surface (they appear
// in `qtc check --json` and in stored check results), so they never change meaning; a new
// kind of finding gets a new id.
//
// The check is the first fence and the place for teaching messages: every finding says
// what is not allowed (message) and what to do instead (hint). The runtime inside the
// isolate is the security boundary and holds without this check.

export const RULE_IDS = [
  'syntax',
  'entry-missing',
  'entry-ambiguous',
  'entry-default-export',
  'import-outside-folder',
  'import-package',
  'import-not-found',
  'import-file-type',
  'no-require',
  'no-dynamic-import',
  'no-import-meta',
  'no-eval',
  'no-function-constructor',
  'no-with',
  'no-constructor-access',
  'no-proto-access',
  'no-prototype-access',
  'no-getter-setter',
  'no-proxy',
  'no-reflect',
  'no-global-object',
  'no-process',
  'no-shared-memory',
  'no-webassembly',
  'no-arguments-callee',
  'max-file-bytes',
  'max-total-bytes',
  'max-files',
  'max-ast-nodes',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

/** One problem found in a strategy. Lines and columns are 1-based (editor convention). */
export interface Finding {
  /** Path relative to the strategy folder, with `/` separators. */
  file: string;
  line: number;
  column: number;
  rule: RuleId;
  message: string;
  hint: string;
}

export interface RuleDescription {
  /** One line saying what the rule forbids; shown in docs and used when a finding has no more specific message. */
  summary: string;
  /** What the author should do instead. */
  hint: string;
}

export const RULES: Readonly<Record<RuleId, RuleDescription>> = {
  syntax: {
    summary: 'The file does not parse.',
    hint: 'Fix the syntax error at this position; strategies are ES modules (TypeScript in .ts files, plain JavaScript in .js/.mjs files).',
  },
  'entry-missing': {
    summary: 'The strategy folder has no entry file.',
    hint: 'Put the strategy class, as the default export, in `strategy.ts` or `strategy.js` at the root of the folder.',
  },
  'entry-ambiguous': {
    summary: 'The strategy folder has both `strategy.ts` and `strategy.js`.',
    hint: 'Keep only one entry file at the root of the folder (or name the entry explicitly).',
  },
  'entry-default-export': {
    summary: 'The entry file has no default export.',
    hint: 'Export the strategy class as the default export: `export default class Strategy { generateSignal(team, bars, currentPrices) { … } }`.',
  },
  'import-outside-folder': {
    summary: 'Imports must stay inside the strategy folder.',
    hint: 'Copy the code you need into the strategy folder and import it with a relative path such as `./lib/indicators.ts`.',
  },
  'import-package': {
    summary: "Only the 'qtc' standard library and relative files can be imported.",
    hint: "Use the helpers of 'qtc' (sma, ema, rsi, stdev, crossover, …) or put your own helpers in a file of the strategy folder and import it with `./`.",
  },
  'import-not-found': {
    summary: 'The imported file does not exist in the strategy folder.',
    hint: 'Check the path; relative imports are resolved from the importing file (`./x` tries x.ts, x.mts, x.js, x.mjs and x/index.*).',
  },
  'import-file-type': {
    summary: 'Only TypeScript and JavaScript files (.ts, .mts, .js, .mjs) can be imported.',
    hint: 'Turn data into a .ts module that exports it (for example `export const table = [...]`).',
  },
  'no-require': {
    summary: '`require` is not available to strategies.',
    hint: "Use a static `import` of a relative file or of 'qtc' at the top of the file.",
  },
  'no-dynamic-import': {
    summary: '`import()` is not allowed.',
    hint: 'Use a static `import` at the top of the file; every file of the strategy is bundled ahead of time.',
  },
  'no-import-meta': {
    summary: '`import.meta` is not available to strategies.',
    hint: 'Strategies have no file system or URL; pass configuration through `params` instead.',
  },
  'no-eval': {
    summary: '`eval` is not allowed.',
    hint: 'Write the code directly; to choose behaviour at run time, use a lookup table of functions.',
  },
  'no-function-constructor': {
    summary: '`Function` (building code from strings) is not allowed.',
    hint: 'Write the function directly (`(x) => …`); to choose behaviour at run time, use a lookup table of functions.',
  },
  'no-with': {
    summary: '`with` statements are not allowed.',
    hint: 'Refer to the object explicitly (`obj.x`), or destructure it: `const { x, y } = obj`.',
  },
  'no-constructor-access': {
    summary: 'Accessing `.constructor` is not allowed.',
    hint: 'Use `instanceof` to test a type, or call the class you need by name (`new MyClass()`).',
  },
  'no-proto-access': {
    summary: 'Accessing `__proto__` is not allowed.',
    hint: 'Use classes or plain objects; to make an object without a prototype-based lookup, use a `Map`.',
  },
  'no-prototype-access': {
    summary: 'Accessing or changing prototypes is not allowed.',
    hint: 'Define methods in a class body instead of patching `.prototype`; use `instanceof` to test a type.',
  },
  'no-getter-setter': {
    summary: 'Getters, setters and property descriptors are not allowed.',
    hint: 'Use a plain method (`price() { … }`) or a plain property assigned directly (`obj.x = 1`).',
  },
  'no-proxy': {
    summary: '`Proxy` is not allowed.',
    hint: 'Use plain objects, classes or a `Map`.',
  },
  'no-reflect': {
    summary: '`Reflect` is not allowed.',
    hint: 'Use ordinary property access and calls (`obj.key`, `fn(...args)`, `key in obj`).',
  },
  'no-global-object': {
    summary: 'The global object (`globalThis`, `global`, `self`, `window`) is not available to strategies.',
    hint: 'Keep state on your strategy instance (`this.x`) or in `team.memory`; names of the global object cannot be used as variable names either.',
  },
  'no-process': {
    summary: '`process` is not available to strategies.',
    hint: 'Strategies have no environment, files or network; pass configuration through `params` (the constructor argument and `team.params`).',
  },
  'no-shared-memory': {
    summary: '`SharedArrayBuffer` and `Atomics` are not available to strategies.',
    hint: 'Use ordinary arrays or typed arrays such as `Float64Array`.',
  },
  'no-webassembly': {
    summary: '`WebAssembly` is not available to strategies.',
    hint: 'Write the computation in TypeScript or JavaScript.',
  },
  'no-arguments-callee': {
    summary: '`arguments.callee` is not allowed.',
    hint: 'Give the function a name and call it by that name; prefer rest parameters (`...args`) to `arguments`.',
  },
  'max-file-bytes': {
    summary: 'The file is larger than allowed.',
    hint: 'Split the file into smaller modules, or move large data out of the strategy.',
  },
  'max-total-bytes': {
    summary: 'The strategy is larger than allowed in total.',
    hint: 'Remove unused files and large embedded data from the strategy.',
  },
  'max-files': {
    summary: 'The strategy imports more files than allowed.',
    hint: 'Merge small modules into fewer files.',
  },
  'max-ast-nodes': {
    summary: 'The strategy is larger than allowed (too many syntax nodes).',
    hint: 'Simplify the code or remove large embedded data (long array literals count too).',
  },
};

export interface Position {
  line: number;
  column: number;
}

/** Builds a finding; `message` defaults to the rule's summary. */
export function finding(rule: RuleId, file: string, position: Position, message?: string): Finding {
  const description = RULES[rule];
  return {
    file,
    line: position.line,
    column: position.column,
    rule,
    message: message ?? description.summary,
    hint: description.hint,
  };
}

/** Orders findings by file, then position, so output is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}
