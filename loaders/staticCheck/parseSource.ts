import { parse, type ParserPlugin } from '@babel/parser';
import type { File } from '@babel/types';
import { finding, type Finding } from './rules.ts';

export type SourceLanguage = 'typescript' | 'javascript';

/** Which parser dialect a file gets, from its extension; null for files strategies cannot contain. */
export function languageOf(fileName: string): SourceLanguage | null {
  if (fileName.endsWith('.ts') || fileName.endsWith('.mts')) return 'typescript';
  if (fileName.endsWith('.js') || fileName.endsWith('.mjs')) return 'javascript';
  return null;
}

export interface ParsedSource {
  /** The syntax tree; null when the file could not be parsed at all. */
  ast: File | null;
  findings: Finding[];
}

// Errors babel recovers from that another rule reports with a better message.
const REPORTED_BY_OTHER_RULES = new Set(['StrictWith']);

/**
 * Parses one strategy file as an ES module. `.ts`/`.mts` get the TypeScript plugin, `.js`/`.mjs`
 * plain JavaScript (no JSX: a strategy has no UI). Error recovery is on so one file reports
 * every recoverable syntax error and still gets its other rules checked.
 */
export function parseSource(code: string, file: string, language: SourceLanguage): ParsedSource {
  const plugins: ParserPlugin[] = language === 'typescript' ? ['typescript'] : [];
  try {
    const ast = parse(code, { sourceType: 'module', plugins, errorRecovery: true });
    const findings = ast.errors.filter((error) => !REPORTED_BY_OTHER_RULES.has(error.reasonCode)).map((error) => syntaxFinding(file, error));
    return { ast, findings };
  } catch (error) {
    return { ast: null, findings: [syntaxFinding(file, error)] };
  }
}

interface BabelErrorShape {
  message?: unknown;
  loc?: { line?: unknown; column?: unknown };
}

function syntaxFinding(file: string, error: unknown): Finding {
  const shape: BabelErrorShape = typeof error === 'object' && error !== null ? error : {};
  const line = typeof shape.loc?.line === 'number' ? shape.loc.line : 1;
  const column = typeof shape.loc?.column === 'number' ? shape.loc.column + 1 : 1;
  if (error instanceof RangeError) {
    // Babel's parser is recursive: absurd nesting overflows its stack before any byte limit trips.
    return finding('syntax', file, { line, column }, 'The code is nested too deeply to be parsed.');
  }
  const raw = typeof shape.message === 'string' ? shape.message : String(error);
  // Babel appends "(line:column)"; the finding carries the position already.
  const message = raw.replace(/\s*\(\d+:\d+\)$/, '');
  return finding('syntax', file, { line, column }, `Syntax error: ${message}.`.replace(/\.\.$/, '.'));
}
