import path from 'node:path';
import { build, type BuildFailure, type Message, type Plugin } from 'esbuild';
import { locateEntry } from '../strategyFolder/locateEntry.ts';
import { resolveImport, SDK_SPECIFIER } from '../strategyFolder/resolveImport.ts';
import { openStrategyFolder, type StrategyFolder } from '../strategyFolder/strategyFolder.ts';

/** The contract with sandbox/: one classic script plus its source map. */
export interface CompiledStrategy {
  /** IIFE script; evaluated where a global `require('qtc')` returns the SDK, it sets `__qtcStrategy.default` to the strategy class. */
  code: string;
  /** JSON source map v3; sources relative to the strategy folder, sourcesContent included. */
  sourceMap: string;
  /** Name to evaluate the script under, e.g. "strategy.bundle.js". */
  filename: string;
}

export interface CompileOptions {
  /** Entry file relative to the folder; default: `strategy.ts` or `strategy.js` at the root. */
  entry?: string;
}

export interface CompileProblem {
  /** Relative to the strategy folder; null when esbuild gives no location. */
  file: string | null;
  line: number;
  column: number;
  message: string;
}

/** The strategy could not be compiled; `problems` carries every error with its position. */
export class StrategyCompileError extends Error {
  override readonly name = 'StrategyCompileError';
  readonly problems: readonly CompileProblem[];
  constructor(problems: readonly CompileProblem[]) {
    super(`strategy does not compile: ${problems.map(formatProblem).join('; ')}`);
    this.problems = problems;
  }
}

function formatProblem(problem: CompileProblem): string {
  return problem.file === null ? problem.message : `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

export const BUNDLE_FILENAME = 'strategy.bundle.js';
export const BUNDLE_GLOBAL_NAME = '__qtcStrategy';

/**
 * Resolves every import through the same function as the static check, so the bundle holds
 * only files of the strategy folder, whether or not the check ran.
 */
function confineToFolder(folder: StrategyFolder): Plugin {
  return {
    name: 'qtc-strategy-folder',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point') return { path: args.path };
        if (args.path === SDK_SPECIFIER) return { path: args.path, external: true };
        const resolution = await resolveImport(folder, args.importer, args.path);
        if (resolution.kind === 'file') return { path: resolution.path };
        if (resolution.kind === 'sdk') return { path: args.path, external: true };
        return { errors: [{ text: resolution.message }] };
      });
    },
  };
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}

function toProblem(folder: StrategyFolder, message: Message): CompileProblem {
  const location = message.location;
  if (location === null) return { file: null, line: 1, column: 1, message: message.text };
  // esbuild reports paths relative to absWorkingDir, which is the folder.
  const file = path.isAbsolute(location.file) ? path.relative(folder.root, location.file) : location.file;
  return { file: file.split(path.sep).join('/'), line: location.line, column: location.column + 1, message: message.text };
}

/**
 * Bundles a strategy folder (its entry and the relative files it imports, TypeScript or
 * JavaScript) into one IIFE script with an external source map. 'qtc' stays an external
 * `require('qtc')` that the sandbox answers. Throws StrategyFolderError when the folder is
 * missing and StrategyCompileError when the entry is missing or the code does not compile.
 */
export async function compileStrategy(dir: string, options: CompileOptions = {}): Promise<CompiledStrategy> {
  const folder = await openStrategyFolder(dir);
  const entry = await locateEntry(folder, options.entry);
  if (!entry.ok) throw new StrategyCompileError([{ file: entry.file, line: 1, column: 1, message: entry.message }]);

  let result;
  try {
    result = await build({
      absWorkingDir: folder.root,
      entryPoints: [entry.path],
      // Never written (write: false); it only anchors the source map's relative `sources`.
      outfile: path.join(folder.root, BUNDLE_FILENAME),
      write: false,
      bundle: true,
      format: 'iife',
      globalName: BUNDLE_GLOBAL_NAME,
      platform: 'neutral',
      target: 'es2023',
      external: [SDK_SPECIFIER],
      sourcemap: 'external',
      sourcesContent: true,
      minify: false,
      // The author's tsconfig.json must not change what the sandbox runs (paths, decorators, …).
      tsconfigRaw: {},
      charset: 'utf8',
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [confineToFolder(folder)],
    });
  } catch (error) {
    if (isBuildFailure(error)) throw new StrategyCompileError(error.errors.map((message) => toProblem(folder, message)));
    throw error;
  }

  const script = result.outputFiles.find((file) => file.path.endsWith('.js'));
  const map = result.outputFiles.find((file) => file.path.endsWith('.js.map'));
  if (script === undefined || map === undefined) throw new Error('esbuild produced no script or no source map');
  return { code: script.text, sourceMap: map.text, filename: BUNDLE_FILENAME };
}
