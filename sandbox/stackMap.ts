// Maps stack frames of the compiled bundle back to the author's files and lines.
import { SourceMap } from 'node:module';

export const RUNTIME_FILENAME = 'qtc-runtime.js';

/** Frames longer than this are left as they are: no author's frame is that long. */
const MAX_FRAME_CHARS = 1000;
/** Frames mapped per stack (V8 records 10 by default; a strategy can raise it). */
const MAX_FRAMES = 50;

interface FrameLocation {
  /** Index in the line where the location starts. */
  start: number;
  file: string;
  line: number;
  column: number;
  /** ')' when the location closes a parenthesis, '' otherwise. */
  paren: string;
}

function isDigits(text: string): boolean {
  if (text.length === 0 || text.length > 9) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/**
 * The `file:line:column` at the end of a stack frame line, in one pass from the end (a regex
 * here was quadratic in the line's length, which a strategy controls through its error message).
 */
export function frameLocation(text: string): FrameLocation | null {
  if (text.length > MAX_FRAME_CHARS) return null;
  const paren = text.endsWith(')') ? ')' : '';
  const body = paren === '' ? text : text.slice(0, -1);
  const columnColon = body.lastIndexOf(':');
  const lineColon = columnColon <= 0 ? -1 : body.lastIndexOf(':', columnColon - 1);
  if (lineColon <= 0) return null;
  const columnText = body.slice(columnColon + 1);
  const lineText = body.slice(lineColon + 1, columnColon);
  if (!isDigits(columnText) || !isDigits(lineText)) return null;
  let start = lineColon;
  while (start > 0) {
    const previous = body[start - 1];
    if (previous === ' ' || previous === '\t' || previous === '(' || previous === ')') break;
    start -= 1;
  }
  if (start === lineColon) return null;
  return { start, file: body.slice(start, lineColon), line: Number(lineText), column: Number(columnText), paren };
}

export interface StackMapper {
  /** Rewrites `file:line:col` of the bundle to the original source; drops runtime frames. */
  mapStack(stack: string): string;
  /** The original `file:line:column` of the first strategy frame of a stack, or null. */
  firstLocation(stack: string): string | null;
}

export function createStackMapper(filename: string, sourceMapJson: string): StackMapper {
  let map: SourceMap | null = null;
  if (sourceMapJson !== '') {
    try {
      map = new SourceMap(JSON.parse(sourceMapJson) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null; // a broken map only costs the mapping, never the run
    }
  }

  const mapLine = (line: string): string | null => {
    const location = frameLocation(line);
    if (location === null) return line;
    if (location.file === RUNTIME_FILENAME) return null;
    if (location.file !== filename || map === null) return line;
    const origin = map.findOrigin(location.line, location.column);
    if (!('fileName' in origin)) return line;
    return `${line.slice(0, location.start)}${origin.fileName}:${origin.lineNumber}:${origin.columnNumber}${location.paren}`;
  };

  return {
    mapStack(stack) {
      const lines = stack.split('\n');
      const mapped: string[] = [];
      let frames = 0;
      for (const line of lines) {
        // The message lines come first and are kept as they are; frames past the cap are dropped.
        const isFrame = line.trimStart().startsWith('at ');
        if (isFrame && ++frames > MAX_FRAMES) continue;
        const out = isFrame ? mapLine(line) : line;
        if (out !== null) mapped.push(out);
      }
      return mapped.join('\n');
    },
    firstLocation(stack) {
      let frames = 0;
      for (const line of stack.split('\n').slice(1)) {
        const trimmed = line.trim();
        if (!trimmed.startsWith('at ') || ++frames > MAX_FRAMES) continue;
        const location = frameLocation(trimmed);
        if (location === null || location.file !== filename) continue;
        const mapped = mapLine(trimmed);
        const origin = mapped === null ? null : frameLocation(mapped);
        if (origin !== null) return `${origin.file}:${origin.line}:${origin.column}`;
      }
      return null;
    },
  };
}
