/**
 * `qtc check`'s type check: a TypeScript strategy checked against the SDK's types (the `'qtc'`
 * module of sandbox/sdk/qtc.d.ts), with findings at file:line:column like the static check's.
 *
 * The strategy contract is enforced even where the code has no annotations: `generateSignal`'s
 * return value is checked as `Signal | Signal[] | null` (so `action: 'hold'` is a finding at that
 * line), its parameters are typed as `Team`, `Bars` and the current prices, the constructor's as
 * the params record, and the default export must fit `StrategyClass`. The annotations are added
 * to an in-memory copy of the entry only; positions are mapped back to the author's file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type ts from 'typescript';

/** The SDK's declarations, as teams get them (`qtc init` copies this file). */
export const SDK_TYPES_FILE = path.join(import.meta.dirname, '..', '..', '..', 'sandbox', 'sdk', 'qtc.d.ts');

/**
 * What the sandbox adds to the language: `console` (captured, 50 lines per call). The isolate has no
 * DOM and no Node.js, so the check uses the ES2023 library and these alone.
 */
export const SANDBOX_GLOBALS = `// What the QTC sandbox provides besides the ES2023 language: console output is captured
// (50 lines per call) and shown on the team dashboard. No timers, network, filesystem, eval or Function.
interface QtcConsole {
  log(...values: unknown[]): void;
  info(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
  debug(...values: unknown[]): void;
}
declare const console: QtcConsole;
`;

export interface TypeFinding {
  /** Relative to the strategy folder, `/` separators. */
  file: string;
  line: number;
  column: number;
  rule: 'types';
  message: string;
  hint: string;
}

export interface TypeCheckOptions {
  /** Bounds the findings reported (the first ones by file and position); default 50. */
  maxFindings?: number;
}

interface Insertion {
  /** Offset in the original text before which `text` goes. */
  at: number;
  text: string;
}

const CONTRACT_FILE = '__qtc_contract__.ts';
const GLOBALS_FILE = '__qtc_sandbox_globals__.d.ts';

/** Where a default-exported class's annotations are missing, the contract's types go. */
function contractInsertions(tsApi: typeof ts, source: ts.SourceFile): Insertion[] {
  const classOf = (): ts.ClassLikeDeclaration | undefined => {
    let named: string | undefined;
    for (const statement of source.statements) {
      if (tsApi.isClassDeclaration(statement) && statement.modifiers?.some((m) => m.kind === tsApi.SyntaxKind.DefaultKeyword)) return statement;
      if (tsApi.isExportAssignment(statement) && !statement.isExportEquals) {
        if (tsApi.isClassExpression(statement.expression)) return statement.expression;
        if (tsApi.isIdentifier(statement.expression)) named = statement.expression.text;
      }
    }
    if (named === undefined) return undefined;
    return source.statements.find((statement): statement is ts.ClassDeclaration => tsApi.isClassDeclaration(statement) && statement.name?.text === named);
  };
  const cls = classOf();
  if (!cls) return [];
  const insertions: Insertion[] = [];
  const typeParams = (params: ts.NodeArray<ts.ParameterDeclaration>, types: readonly string[]) => {
    params.forEach((param, index) => {
      const type = types[index];
      if (type === undefined || param.type !== undefined || param.dotDotDotToken !== undefined) return;
      // After the name (and a `?`), before any initializer.
      const end = param.questionToken?.end ?? param.name.end;
      insertions.push({ at: end, text: `: ${type}` });
    });
  };
  for (const member of cls.members) {
    if (tsApi.isConstructorDeclaration(member)) typeParams(member.parameters, ['Record<string, unknown>']);
    if (!tsApi.isMethodDeclaration(member) || !tsApi.isIdentifier(member.name) || member.name.text !== 'generateSignal') continue;
    typeParams(member.parameters, ["import('qtc').Team", "import('qtc').Bars", 'Readonly<Record<string, number>>']);
    if (member.type === undefined) {
      const close = member.parameters.end;
      // `parameters.end` is before the `)`: find it in the text.
      const paren = source.text.indexOf(')', close);
      if (paren !== -1) insertions.push({ at: paren + 1, text: ": import('qtc').SignalResult" });
    }
  }
  return insertions.sort((a, b) => a.at - b.at);
}

function applyInsertions(text: string, insertions: readonly Insertion[]): string {
  let out = '';
  let from = 0;
  for (const insertion of insertions) {
    out += text.slice(from, insertion.at) + insertion.text;
    from = insertion.at;
  }
  return out + text.slice(from);
}

/** An offset of the annotated copy as an offset of the author's text (inside an insertion: where it went). */
function originalOffset(offset: number, insertions: readonly Insertion[]): number {
  let shift = 0;
  for (const insertion of insertions) {
    const start = insertion.at + shift;
    if (offset < start) break;
    if (offset < start + insertion.text.length) return insertion.at;
    shift += insertion.text.length;
  }
  return offset - shift;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const HINTS: Readonly<Record<number, string>> = {
  2322: "a signal is { symbol, action: 'buy' | 'sell', quantity, price?, confidence?, reason? } (types/qtc.d.ts)",
  2345: "check the argument against the function's declaration in 'qtc' (types/qtc.d.ts)",
  2339: 'the property does not exist on this type; see the SDK types (types/qtc.d.ts)',
  2304: 'the sandbox has the ES2023 language, console and the qtc module only: no DOM, Node.js, timers or network',
  2307: "imports: 'qtc' and relative files inside the strategy folder only",
};

/**
 * Type-checks the TypeScript strategy whose entry is `entry` (relative to `dir`); `[]` for a
 * JavaScript entry. `files` are the folder's files the static check reached (relative paths).
 */
export async function typeCheckStrategy(dir: string, entry: string, options: TypeCheckOptions = {}): Promise<TypeFinding[]> {
  if (!/\.(ts|mts)$/.test(entry)) return [];
  const tsApi = (await import('typescript')).default;
  const root = path.resolve(dir);
  const entryPath = path.join(root, entry);
  const entryText = readFileSync(entryPath, 'utf8');
  const parsedEntry = tsApi.createSourceFile(entryPath, entryText, tsApi.ScriptTarget.ES2023, true, tsApi.ScriptKind.TS);
  const insertions = contractInsertions(tsApi, parsedEntry);
  const annotated = applyInsertions(entryText, insertions);
  const contractPath = path.join(root, CONTRACT_FILE);
  const globalsPath = path.join(root, GLOBALS_FILE);
  const importPath = `./${entry.split(path.sep).join('/')}`;
  const virtual = new Map<string, string>([
    [entryPath, annotated],
    [globalsPath, SANDBOX_GLOBALS],
    [contractPath, `import Strategy from ${JSON.stringify(importPath)};\nimport type { StrategyClass } from 'qtc';\nexport const contract: StrategyClass = Strategy;\n`],
  ]);

  const compilerOptions: ts.CompilerOptions = {
    target: tsApi.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts'],
    module: tsApi.ModuleKind.Preserve,
    moduleResolution: tsApi.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    // Unannotated helpers stay allowed; the contract's own types are added above.
    noImplicitAny: false,
    types: [],
    skipLibCheck: true,
    allowJs: false,
  };
  const host = tsApi.createCompilerHost(compilerOptions, true);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => virtual.get(path.resolve(file)) ?? readFile(file);
  host.fileExists = (file) => virtual.has(path.resolve(file)) || fileExists(file);
  host.getSourceFile = (file, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(path.resolve(file));
    if (text !== undefined) return tsApi.createSourceFile(file, text, languageVersion, true);
    return getSourceFile(file, languageVersion, onError, shouldCreate);
  };
  const program = tsApi.createProgram({ rootNames: [entryPath, contractPath, globalsPath, SDK_TYPES_FILE], options: compilerOptions, host });
  const diagnostics = tsApi.getPreEmitDiagnostics(program);

  const findings: TypeFinding[] = [];
  const defaultExportAt = (() => {
    const statement = parsedEntry.statements.find(
      (s) => (tsApi.isClassDeclaration(s) && s.modifiers?.some((m) => m.kind === tsApi.SyntaxKind.DefaultKeyword)) || (tsApi.isExportAssignment(s) && !s.isExportEquals),
    );
    return statement ? statement.getStart(parsedEntry) : 0;
  })();
  for (const diagnostic of diagnostics) {
    const message = tsApi.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    const hint = HINTS[diagnostic.code] ?? `TypeScript error TS${diagnostic.code}; the SDK types are in types/qtc.d.ts`;
    const file = diagnostic.file;
    if (file === undefined || diagnostic.start === undefined) continue;
    const absolute = path.resolve(file.fileName);
    if (absolute === contractPath) {
      // The default export does not fit the contract: reported where it is exported.
      findings.push({
        file: entry.split(path.sep).join('/'),
        ...lineColumn(entryText, defaultExportAt),
        rule: 'types',
        message: `the default export does not fit the strategy contract (StrategyClass): ${message}`,
        hint: `TypeScript error TS${diagnostic.code}: export default a class with generateSignal(team, bars, currentPrices) returning Signal | Signal[] | null`,
      });
      continue;
    }
    const relative = path.relative(root, absolute);
    if (relative.startsWith('..') || path.isAbsolute(relative) || absolute === globalsPath) continue;
    const text = absolute === entryPath ? entryText : file.text;
    const offset = absolute === entryPath ? originalOffset(diagnostic.start, insertions) : diagnostic.start;
    findings.push({ file: relative.split(path.sep).join('/'), ...lineColumn(text, offset), rule: 'types', message: `${message} (TS${diagnostic.code})`, hint });
  }
  findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
  return findings.slice(0, options.maxFindings ?? 50);
}
