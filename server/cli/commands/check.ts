import path from 'node:path';
import type { Command } from 'commander';
import type { CheckReport } from '../../../loaders/index.ts';
import { reportFatal } from '../fatal.ts';

/** Exit codes of `qtc check`: scripts and CI tell "has findings" from "could not check". */
export const CHECK_EXIT = { clean: 0, findings: 1, unusable: 2 } as const;

interface CheckCommandOptions {
  json?: boolean;
  entry?: string;
  /** `--no-types` sets it false. */
  types?: boolean;
}

/** A finding as `qtc check` prints it: a static-check rule or `types` (the TypeScript check). */
export interface CheckFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
  hint: string;
}

/** What `qtc check` reports: the static check's report, with the type check's findings merged in. */
export interface CheckOutput {
  ok: boolean;
  files: string[];
  errors: CheckFinding[];
}

/** The `--json` document: exactly `{ ok, errors }`, stable for tools. */
export function checkReportJson(report: CheckOutput | CheckReport): string {
  const errors = report.errors.map(({ file, line, column, rule, message, hint }: CheckFinding) => ({ file, line, column, rule, message, hint }));
  return `${JSON.stringify({ ok: report.ok, errors })}\n`;
}

/** Human output: one `file:line:column  rule  message` line per finding, its hint below, then a summary. */
export function checkReportText(report: CheckOutput | CheckReport, dir: string, typesChecked = false): string {
  const shown = (file: string): string => path.join(dir, file);
  if (report.ok) {
    const count = report.files.length;
    const what = typesChecked ? 'passes the static check and the type check' : 'passes the static check';
    return `${dir}: ${what} (${count} file${count === 1 ? '' : 's'}: ${report.files.join(', ')})\n`;
  }
  const lines: string[] = [];
  for (const error of report.errors) {
    lines.push(`${shown(error.file)}:${error.line}:${error.column}  ${error.rule}  ${error.message}`);
    lines.push(`    hint: ${error.hint}`);
  }
  const files = new Set(report.errors.map((error) => error.file)).size;
  const problems = report.errors.length;
  lines.push('');
  lines.push(`${dir}: ${problems} problem${problems === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The static check, then (for a TypeScript entry, unless `types` is false) the type check against the
 * SDK's types. Throws StrategyFolderError for a folder that cannot be checked.
 */
export async function checkWithTypes(dir: string, options: { entry?: string; types?: boolean } = {}): Promise<{ output: CheckOutput; typesChecked: boolean }> {
  // Loaded here, not at start: the loaders bring Babel and esbuild, which most commands never use.
  const { checkStrategy } = await import('../../../loaders/index.ts');
  const report = await checkStrategy(dir, options.entry === undefined ? {} : { entry: options.entry });
  const entry = report.entry;
  const typesChecked = options.types !== false && entry !== null && /\.(ts|mts)$/.test(entry);
  if (!typesChecked) return { output: report, typesChecked: false };
  const { typeCheckStrategy } = await import('../typecheck/typeCheck.ts');
  const types = await typeCheckStrategy(dir, entry);
  const errors: CheckFinding[] = [...report.errors, ...types].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
  return { output: { ok: report.ok && types.length === 0, files: report.files, errors }, typesChecked: true };
}

async function runCheck(dir: string, options: CheckCommandOptions): Promise<void> {
  let result: Awaited<ReturnType<typeof checkWithTypes>>;
  try {
    result = await checkWithTypes(dir, { ...(options.entry === undefined ? {} : { entry: options.entry }), ...(options.types === false ? { types: false } : {}) });
  } catch (error) {
    const { StrategyFolderError } = await import('../../../loaders/index.ts');
    if (!(error instanceof StrategyFolderError)) throw error;
    process.stderr.write(`qtc: ${error.message}\n`);
    process.exitCode = CHECK_EXIT.unusable;
    return;
  }
  process.stdout.write(options.json === true ? checkReportJson(result.output) : checkReportText(result.output, dir, result.typesChecked));
  // exitCode rather than exit(): a large report on a pipe must be flushed completely.
  process.exitCode = result.output.ok ? CHECK_EXIT.clean : CHECK_EXIT.findings;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description(
      'check a strategy folder: the static check (imports, forbidden constructs, size limits) and, for TypeScript, a type check against the SDK types (rule "types"); exit 0 when clean, 1 with findings, 2 when the folder is unusable',
    )
    .argument('<dir>', 'strategy folder (entry: strategy.ts or strategy.js at its root)')
    .option('--json', 'print {"ok": boolean, "errors": [{file, line, column, rule, message, hint}]}')
    .option('--entry <file>', 'entry file relative to the folder, instead of strategy.ts / strategy.js')
    .option('--no-types', 'skip the type check (the static check alone, as the server runs it)')
    .action((dir: string, options: CheckCommandOptions) => runCheck(dir, options).catch(reportFatal));
}
