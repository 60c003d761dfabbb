import path from 'node:path';
import type { Command } from 'commander';
import { checkStrategy, StrategyFolderError, type CheckReport, type Finding } from '../../../loaders/index.ts';
import { reportFatal } from '../fatal.ts';

/** Exit codes of `qtc check`: scripts and CI tell "has findings" from "could not check". */
export const CHECK_EXIT = { clean: 0, findings: 1, unusable: 2 } as const;

interface CheckCommandOptions {
  json?: boolean;
  entry?: string;
}

/** The `--json` document: exactly `{ ok, errors }`, stable for tools. */
export function checkReportJson(report: CheckReport): string {
  const errors = report.errors.map(({ file, line, column, rule, message, hint }: Finding) => ({ file, line, column, rule, message, hint }));
  return `${JSON.stringify({ ok: report.ok, errors })}\n`;
}

/** Human output: one `file:line:column  rule  message` line per finding, its hint below, then a summary. */
export function checkReportText(report: CheckReport, dir: string): string {
  const shown = (file: string): string => path.join(dir, file);
  if (report.ok) {
    const count = report.files.length;
    return `${dir}: passes the static check (${count} file${count === 1 ? '' : 's'}: ${report.files.join(', ')})\n`;
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

async function runCheck(dir: string, options: CheckCommandOptions): Promise<void> {
  let report: CheckReport;
  try {
    report = await checkStrategy(dir, options.entry === undefined ? {} : { entry: options.entry });
  } catch (error) {
    if (!(error instanceof StrategyFolderError)) throw error;
    process.stderr.write(`qtc: ${error.message}\n`);
    process.exitCode = CHECK_EXIT.unusable;
    return;
  }
  process.stdout.write(options.json === true ? checkReportJson(report) : checkReportText(report, dir));
  // exitCode rather than exit(): a large report on a pipe must be flushed completely.
  process.exitCode = report.ok ? CHECK_EXIT.clean : CHECK_EXIT.findings;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('statically check a strategy folder (imports, forbidden constructs, size limits); exit 0 when clean, 1 with findings, 2 when the folder is unusable')
    .argument('<dir>', 'strategy folder (entry: strategy.ts or strategy.js at its root)')
    .option('--json', 'print {"ok": boolean, "errors": [{file, line, column, rule, message, hint}]}')
    .option('--entry <file>', 'entry file relative to the folder, instead of strategy.ts / strategy.js')
    .action((dir: string, options: CheckCommandOptions) => runCheck(dir, options).catch(reportFatal));
}
