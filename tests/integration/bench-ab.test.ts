/**
 * bench/ab.ts in a throwaway repository: each version's files are in place while its runs measure
 * (a modified, an added and a deleted file; a benchmark file outside --paths stays HEAD's), the
 * rounds alternate which goes first, and the tree is HEAD's again afterwards, also when the
 * command fails. A tree with changes or untracked files is refused and left alone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FigureComparison } from '../../bench/abPlan.ts';
import { makeTempDir } from '../support/tempDir.ts';

const AB = path.resolve(import.meta.dirname, '../../bench/ab.ts');
const temp = makeTempDir('qtc-bench-ab-');
afterAll(() => temp.remove());
const repo = temp.dir;

const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  writeFileSync(path.join(repo, file), text);
}

// Prints what the files say as one JSON object (as a benchmark would print its figures).
const PROBE = `
const fs = require('node:fs');
const read = (file) => (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : -1);
console.log('noise before the figures');
console.log(JSON.stringify({ speed: read('sandbox/speed.txt'), old: read('sandbox/old/gone.txt'), added: read('server/added.txt'), bench: read('bench/setting.txt') }));
if (process.env.AB_FAIL === '1') process.exit(3);
`;

function ab(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [AB, ...args, '--', process.execPath, '-e', PROBE], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env } });
}

let base = '';
let head = '';

beforeAll(() => {
  git('init', '-q');
  git('config', 'user.email', 'ab@example.invalid');
  git('config', 'user.name', 'ab');
  write('sandbox/speed.txt', '100');
  write('sandbox/old/gone.txt', '7');
  write('bench/setting.txt', '1');
  git('add', '-A');
  git('commit', '-qm', 'base');
  base = git('rev-parse', 'HEAD').trim();
  write('sandbox/speed.txt', '150');
  rmSync(path.join(repo, 'sandbox/old'), { recursive: true });
  write('server/added.txt', '5');
  write('bench/setting.txt', '2');
  git('add', '-A');
  git('commit', '-qm', 'head');
  head = git('rev-parse', 'HEAD').trim();
});

describe('bench:ab', () => {
  it("runs each version with its own files, alternating, and leaves HEAD's tree", () => {
    const result = ab(['--base', base, '--rounds', '2']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      head: string;
      swapped: Array<{ status: string; path: string }>;
      order: Array<{ round: number; version: string }>;
      figures: Record<string, FigureComparison>;
    };
    expect(report.head).toBe(head);
    expect(report.swapped).toEqual([
      { status: 'D', path: 'sandbox/old/gone.txt' },
      { status: 'M', path: 'sandbox/speed.txt' },
      { status: 'A', path: 'server/added.txt' },
    ]);
    expect(report.order.map(({ round, version }) => [round, version])).toEqual([
      [1, 'base'],
      [1, 'head'],
      [2, 'head'],
      [2, 'base'],
    ]);
    expect(report.figures.speed).toEqual({ base: [100, 100], head: [150, 150], baseMedian: 100, headMedian: 150, ratio: 1.5 });
    expect(report.figures.old).toMatchObject({ base: [7, 7], head: [-1, -1] });
    expect(report.figures.added).toMatchObject({ base: [-1, -1], head: [5, 5] });
    // Outside the swapped paths: HEAD's in every run.
    expect(report.figures.bench).toMatchObject({ base: [2, 2], head: [2, 2], ratio: 1 });
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(existsSync(path.join(repo, 'sandbox/old'))).toBe(false);
    expect(readFileSync(path.join(repo, 'sandbox/speed.txt'), 'utf8')).toBe('150');
  });

  it('keeps only the figures asked for', () => {
    const result = ab(['--base', base, '--rounds', '1', '--figures', 'speed', '--figures', 'added']);
    expect(result.status, result.stderr).toBe(0);
    expect(Object.keys((JSON.parse(result.stdout) as { figures: object }).figures)).toEqual(['speed', 'added']);
  });

  it("puts HEAD's files back when the command fails", () => {
    const result = ab(['--base', base], { AB_FAIL: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('exit code 3');
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('refuses a tree with uncommitted work, and leaves it alone', () => {
    write('sandbox/speed.txt', 'work in progress');
    write('notes.txt', 'untracked');
    try {
      const result = ab(['--base', base]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('commit or stash them first');
      expect(readFileSync(path.join(repo, 'sandbox/speed.txt'), 'utf8')).toBe('work in progress');
      expect(readFileSync(path.join(repo, 'notes.txt'), 'utf8')).toBe('untracked');
    } finally {
      git('checkout', '--', 'sandbox/speed.txt');
      rmSync(path.join(repo, 'notes.txt'));
    }
  });

  it('refuses a revision that is not a commit, and a base with nothing to swap', () => {
    expect(ab(['--base', 'no-such-revision']).stderr).toContain('is not a commit');
    expect(ab(['--base', head]).stderr).toContain('nothing differs');
  });
});
