// Maps stack frames of the compiled bundle back to the author's files and lines.
import { SourceMap } from 'node:module';

export const RUNTIME_FILENAME = 'qtc-runtime.js';

const FRAME_LOCATION = /([^\s()]+):(\d+):(\d+)(\)?)$/;

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
    const match = FRAME_LOCATION.exec(line);
    if (match === null) return line;
    const [whole, file, lineText, columnText, paren] = match;
    if (file === RUNTIME_FILENAME) return null;
    if (file !== filename || map === null) return line;
    const origin = map.findOrigin(Number(lineText), Number(columnText));
    if (!('fileName' in origin)) return line;
    const mapped = `${origin.fileName}:${origin.lineNumber}:${origin.columnNumber}${paren ?? ''}`;
    return line.slice(0, line.length - whole.length) + mapped;
  };

  return {
    mapStack(stack) {
      return stack
        .split('\n')
        .map(mapLine)
        .filter((line): line is string => line !== null)
        .join('\n');
    },
    firstLocation(stack) {
      for (const line of stack.split('\n').slice(1)) {
        const match = FRAME_LOCATION.exec(line.trim());
        if (match === null || match[1] !== filename) continue;
        const mapped = mapLine(line.trim());
        const location = mapped === null ? null : FRAME_LOCATION.exec(mapped);
        if (location !== null) return `${location[1]}:${location[2]}:${location[3]}`;
      }
      return null;
    },
  };
}
