import { readFile, stat } from 'node:fs/promises';
import { locateEntry } from '../strategyFolder/locateEntry.ts';
import { resolveImport } from '../strategyFolder/resolveImport.ts';
import { openStrategyFolder } from '../strategyFolder/strategyFolder.ts';
import { inspectProgram } from './inspectProgram.ts';
import { resolveLimits, type CheckLimits } from './limits.ts';
import { languageOf, parseSource } from './parseSource.ts';
import { compareFindings, finding, type Finding, type Position } from './rules.ts';

export interface CheckOptions {
  /** Entry file relative to the folder; default: `strategy.ts` or `strategy.js` at the root. */
  entry?: string;
  limits?: Partial<CheckLimits>;
}

export interface CheckReport {
  /** True when there are no findings. */
  ok: boolean;
  /** The entry, relative to the folder; null when it could not be determined. */
  entry: string | null;
  /** Every file reached from the entry, relative to the folder, entry first. */
  files: string[];
  /** Findings sorted by file and position. */
  errors: Finding[];
}

interface PendingFile {
  path: string;
  file: string;
  /** Where it was imported from (for findings about the import itself); null for the entry. */
  importedAt: { file: string; position: Position } | null;
}

const FILE_START: Position = { line: 1, column: 1 };

/**
 * Statically checks a strategy folder: walks the import graph from the entry, parses every
 * file and applies the rule table and the size limits. Throws StrategyFolderError when the
 * folder does not exist; every problem inside the folder is a finding.
 */
export async function checkStrategy(dir: string, options: CheckOptions = {}): Promise<CheckReport> {
  const limits = resolveLimits(options.limits);
  const folder = await openStrategyFolder(dir);
  const entry = await locateEntry(folder, options.entry);
  if (!entry.ok) {
    return { ok: false, entry: null, files: [], errors: [finding(entry.rule, entry.file, FILE_START, entry.message)] };
  }

  const errors: Finding[] = [];
  const files: string[] = [];
  const queued = new Set<string>([entry.path]);
  const queue: PendingFile[] = [{ path: entry.path, file: entry.file, importedAt: null }];
  let totalBytes = 0;
  let totalNodes = 0;

  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (files.length >= limits.maxFiles) {
      const at = next.importedAt ?? { file: next.file, position: FILE_START };
      errors.push(finding('max-files', at.file, at.position, `The strategy reaches more than ${limits.maxFiles} files (limit ${limits.maxFiles}).`));
      break;
    }
    files.push(next.file);

    // Sizes come from stat so an oversized file is never read into memory.
    const size = (await stat(next.path)).size;
    if (size > limits.maxFileBytes) {
      errors.push(finding('max-file-bytes', next.file, FILE_START, `The file has ${size} bytes (limit ${limits.maxFileBytes}).`));
      continue;
    }
    totalBytes += size;
    if (totalBytes > limits.maxTotalBytes) {
      errors.push(finding('max-total-bytes', next.file, FILE_START, `The strategy's files reach ${totalBytes} bytes at this file (limit ${limits.maxTotalBytes}).`));
      break;
    }

    const language = languageOf(next.path);
    if (language === null) continue; // resolveImport only yields code files
    const parsed = parseSource(await readFile(next.path, 'utf8'), next.file, language);
    errors.push(...parsed.findings);
    if (parsed.ast === null) continue;
    const inspection = inspectProgram(parsed.ast, next.file);
    errors.push(...inspection.findings);
    if (next.importedAt === null && !inspection.hasDefaultExport) {
      errors.push(finding('entry-default-export', next.file, FILE_START));
    }
    totalNodes += inspection.nodeCount;
    if (totalNodes > limits.maxAstNodes) {
      errors.push(finding('max-ast-nodes', next.file, FILE_START, `The strategy reaches ${totalNodes} syntax nodes at this file (limit ${limits.maxAstNodes}).`));
      break;
    }

    for (const reference of inspection.imports) {
      const resolution = await resolveImport(folder, next.path, reference.specifier, reference.typeOnly);
      if (resolution.kind === 'rejected') {
        errors.push(finding(resolution.rule, next.file, reference.position, resolution.message));
      } else if (resolution.kind === 'file' && !queued.has(resolution.path)) {
        queued.add(resolution.path);
        queue.push({ path: resolution.path, file: resolution.file, importedAt: { file: next.file, position: reference.position } });
      }
    }
  }

  errors.sort(compareFindings);
  return { ok: errors.length === 0, entry: entry.file, files, errors };
}
