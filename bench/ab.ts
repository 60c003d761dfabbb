// A/B of a benchmark between a base revision and HEAD, in this working tree.
// Run with: npm run bench:ab -- --base <revision> [--rounds 3] [--paths sandbox --paths server …]
//             [--figures runs.0.pointsPerSecond …] -- <command printing one JSON object>
//   e.g.    npm run bench:ab -- --base 9ed26a5 -- npm run -s bench:backtest
// Prints one JSON object: the files swapped, each run's figures (every number the command printed,
// or those under --figures) for both versions, their medians and the ratio head / base.
//
// Why in this tree: two checkouts side by side measure differently by themselves on this machine
// (the same engine code ran ~7 % faster in one of two worktrees), so the versions take turns in
// one tree instead. Before each run the files that differ under --paths (default: the product's
// folders; the benchmarks themselves stay HEAD's, so both versions run the same measurement) are
// written as the version has them; the rounds alternate which version goes first.
//
// Your work is safe: the tool refuses to start unless `git status` is clean (untracked files
// included), and puts HEAD's files back after the last run, on an error, and on Ctrl-C, then
// checks that `git status` is clean again. Dependencies are not swapped: a base revision with
// other packages needs its own `npm ci`. A benchmark that imports a product module the base does
// not have fails on the base (the tool stops and says so): leave that module out with --paths,
// e.g. --paths sandbox/child --paths sandbox/runtime/entry.ts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compareFigures, parseNameStatus, runOrder, type ChangedFile, type Version } from './abPlan.ts';

const PRODUCT_PATHS = ['bin', 'data', 'loaders', 'registry', 'sandbox', 'server', 'web'];

function fail(message: string): never {
  process.stderr.write(`bench:ab: ${message}\n`);
  process.exit(1);
}

const { values: options, positionals: command } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    paths: { type: 'string', multiple: true },
    figures: { type: 'string', multiple: true },
  },
  allowPositionals: true,
});
const rounds = Number(options.rounds);
if (options.base === undefined) fail('--base <revision> is required');
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) fail('--rounds must be a whole number from 1 to 50');
const program = command[0];
if (program === undefined) fail('give the command to measure after `--`, e.g. `-- npm run -s bench:backtest`');

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
const git = (args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
if (git(['status', '--porcelain', '--untracked-files=all']) !== '')
  fail('the working tree has changes or untracked files: commit or stash them first (this tool rewrites tracked files while it runs)');

let baseCommit: string;
try {
  baseCommit = git(['rev-parse', '--verify', '--quiet', `${options.base}^{commit}`]).trim();
} catch {
  fail(`${JSON.stringify(options.base)} is not a commit`);
}
const headCommit = git(['rev-parse', 'HEAD']).trim();
const paths = options.paths ?? PRODUCT_PATHS;
const changed: ChangedFile[] = parseNameStatus(git(['diff', '--name-status', '--no-renames', '-z', baseCommit, headCommit, '--', ...paths]));
if (changed.length === 0) fail(`nothing differs between ${options.base} and HEAD under ${paths.join(', ')}`);

const absolute = (file: string): string => path.join(root, file);
/** Folders created for files only the base has, removed again when HEAD's files come back. */
const createdDirs = new Set<string>();

function useBase(): void {
  for (const file of changed) {
    if (file.status === 'A') {
      rmSync(absolute(file.path), { force: true });
      continue;
    }
    const target = absolute(file.path);
    const dir = path.dirname(target);
    const made = mkdirSync(dir, { recursive: true });
    if (made !== undefined) createdDirs.add(made);
    writeFileSync(target, execFileSync('git', ['show', `${baseCommit}:${file.path}`], { cwd: root, maxBuffer: 256 * 2 ** 20 }));
  }
}

function useHead(): void {
  const tracked = changed.filter((file) => file.status !== 'D').map((file) => file.path);
  if (tracked.length > 0) git(['checkout', headCommit, '--', ...tracked]);
  for (const file of changed) if (file.status === 'D') rmSync(absolute(file.path), { force: true });
  // Deepest first: a created folder may hold another.
  for (const dir of [...createdDirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(dir, { recursive: false });
      createdDirs.delete(dir);
    } catch {
      // Not empty: something else was written there; left for the clean-tree check to report.
    }
  }
}

let restored = false;
function restore(): void {
  if (restored) return;
  restored = true;
  useHead();
  const left = git(['status', '--porcelain', '--untracked-files=all']);
  if (left !== '') process.stderr.write(`bench:ab: the working tree is not as HEAD has it after restoring:\n${left}`);
}

let running: ChildProcess | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    running?.kill(signal);
    restore();
    process.exit(130);
  });
}

/** Runs the command once; its stdout must hold one JSON object (stderr passes through). */
function measure(): Promise<{ ms: number; output: unknown }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(program as string, command.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    running = child;
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running = null;
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`the command ended with ${signal ?? `exit code ${String(code)}`}`));
      const from = stdout.indexOf('{');
      const to = stdout.lastIndexOf('}');
      try {
        resolve({ ms, output: JSON.parse(stdout.slice(from, to + 1)) as unknown });
      } catch {
        reject(new Error(`the command did not print a JSON object; its output ended with: ${stdout.slice(-500)}`));
      }
    });
  });
}

const loadBefore = loadavg();
const runs: Array<{ round: number; version: Version; ms: number; output: unknown }> = [];
try {
  for (const { round, version } of runOrder(rounds)) {
    if (version === 'base') useBase();
    else useHead();
    process.stderr.write(`bench:ab: round ${round}, ${version}\n`);
    runs.push({ round, version, ...(await measure()) });
  }
} catch (error) {
  restore();
  fail(error instanceof Error ? error.message : String(error));
}
restore();

const round2 = (value: number): number => Number(value.toFixed(2));
console.log(
  JSON.stringify(
    {
      base: { revision: options.base, commit: baseCommit },
      head: headCommit,
      paths,
      swapped: changed,
      command,
      rounds,
      loadAverage: { before: loadBefore.map(round2), after: loadavg().map(round2) },
      order: runs.map(({ round, version, ms }) => ({ round, version, seconds: Number((ms / 1000).toFixed(1)) })),
      figures: compareFigures(runs, options.figures ?? []),
    },
    null,
    2,
  ),
);
