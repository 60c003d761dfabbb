import { SourceMap, type SourceMapPayload } from 'node:module';
import type { CompiledStrategy } from './compileStrategy.ts';

export interface OriginalPosition {
  /** Relative to the strategy folder. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/**
 * Maps a 1-based line/column of the compiled script (as in a stack trace of
 * `strategy.bundle.js`) back to the author's file and position; null when the position maps
 * to no source (e.g. bundler glue code).
 */
export function originalPosition(compiled: Pick<CompiledStrategy, 'sourceMap'>, line: number, column: number): OriginalPosition | null {
  const map = new SourceMap(JSON.parse(compiled.sourceMap) as SourceMapPayload);
  const entry = map.findEntry(line - 1, column - 1);
  if (!('originalSource' in entry)) return null;
  return { file: entry.originalSource, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}
