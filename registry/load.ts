import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { safeText, UNSTORABLE_TEXT, unstorableKeys } from '../sandbox/safeText.ts';
import { RegistrySchema, type Registry } from './schema.ts';

export interface RegistryError {
  /** e.g. `teams[2].id`; empty for a YAML syntax error. */
  path: string;
  line: number;
  column: number;
  message: string;
}

export type RegistryParseResult = { ok: true; registry: Registry } | { ok: false; errors: RegistryError[] };

/** e.g. `teams[2].params.lookback`; a key is shown storable (it goes into the log, the audit and the API). */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = safeText(String(key), 60);
    return out ? `${out}.${name}` : name;
  }, '');
}

/** Pure: validates registry text, pointing every problem at its line and column. */
export function parseRegistry(text: string): RegistryParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return { path: '', line: pos.line, column: pos.col, message: safeText(error.message.split('\n')[0] ?? error.message, 500) };
      }),
    };
  }
  const value: unknown = doc.toJS();
  // Every text of the registry goes into Postgres (team names, params, repositories): a NUL or an
  // unpaired surrogate there would fail the sync with the database's words instead of a line.
  const unstorable = unstorableKeys(value);
  if (unstorable !== null) return { ok: false, errors: [errorAt(doc, lineCounter, unstorable, UNSTORABLE_TEXT)] };
  const parsed = RegistrySchema.safeParse(value);
  if (parsed.success) return { ok: true, registry: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((issue) => errorAt(doc, lineCounter, issue.path, issue.message)) };
}

function errorAt(doc: Document, lineCounter: LineCounter, path: ReadonlyArray<PropertyKey>, message: string): RegistryError {
  // Point at the deepest node that exists: a missing key is reported where its parent is.
  let node: unknown;
  for (let depth = path.length; depth >= 0 && !isNode(node); depth--) {
    node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as Array<string | number>, true);
  }
  const offset = isNode(node) && node.range ? node.range[0] : 0;
  const pos = lineCounter.linePos(offset);
  return { path: formatPath(path), line: pos.line, column: pos.col, message };
}

/** `line:column path: message`, as the log, the errors thrown and the admin API show a problem (no position for one outside the file). */
export function describeRegistryErrors(errors: readonly RegistryError[]): string {
  return errors.map((e) => `${e.line > 0 ? `${e.line}:${e.column} ` : ''}${e.path ? `${e.path}: ` : ''}${e.message}`).join('; ');
}

export class RegistryInvalidError extends Error {
  override name = 'RegistryInvalidError';
  readonly file: string;
  readonly errors: RegistryError[];
  constructor(file: string, errors: RegistryError[]) {
    super(`${file} is invalid: ${describeRegistryErrors(errors)}`);
    this.file = file;
    this.errors = errors;
  }
}

export async function loadRegistryFile(file: string): Promise<Registry> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the team registry ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const result = parseRegistry(text);
  if (!result.ok) throw new RegistryInvalidError(file, result.errors);
  return result.registry;
}
