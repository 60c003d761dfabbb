import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { RegistrySchema, type Registry } from '../../../registry/schema.ts';

/**
 * Real Git for the tests: bare "remote" repositories in a temporary folder, and a working clone
 * per remote that commits and pushes like a team would. The git of these helpers runs with a
 * HOME of its own, so the machine's ~/.gitconfig never changes what a test does.
 */

export interface GitFixture {
  root: string;
  /** The allowed root for local repositories. */
  remotesDir: string;
  /** An empty HOME for the helpers' git and, unless a test says otherwise, for the sync's. */
  home: string;
}

export function makeGitFixture(root: string): GitFixture {
  const remotesDir = path.join(root, 'remotes');
  const home = path.join(root, 'home');
  mkdirSync(remotesDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  return { root, remotesDir, home };
}

export function git(fixture: GitFixture, cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: fixture.home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Ada Team',
      GIT_AUTHOR_EMAIL: 'ada@example.org',
      GIT_COMMITTER_NAME: 'Ada Team',
      GIT_COMMITTER_EMAIL: 'ada@example.org',
      ...extraEnv,
    },
  });
}

export interface TeamRepo {
  /** The bare repository the server fetches from. */
  remote: string;
  /** The team's working clone. */
  work: string;
  /** Replaces the working tree's files (path -> content; null deletes), commits and pushes. Returns the commit. */
  push(files: Record<string, string | null>, message: string, options?: { force?: boolean; branch?: string }): string;
}

export function createTeamRepo(fixture: GitFixture, name: string): TeamRepo {
  const remote = path.join(fixture.remotesDir, `${name}.git`);
  const work = path.join(fixture.root, 'work', name);
  mkdirSync(remote, { recursive: true });
  git(fixture, remote, ['init', '--quiet', '--bare', '--initial-branch=main']);
  // Like a Git host: the team may delete its branch.
  git(fixture, remote, ['config', 'receive.denyDeleteCurrent', 'ignore']);
  mkdirSync(work, { recursive: true });
  git(fixture, work, ['init', '--quiet', '--initial-branch=main']);
  git(fixture, work, ['remote', 'add', 'origin', remote]);
  return {
    remote,
    work,
    push(files, message, options = {}) {
      const branch = options.branch ?? 'main';
      for (const [file, content] of Object.entries(files)) {
        const target = path.join(work, file);
        if (content === null) rmSync(target, { force: true });
        else {
          mkdirSync(path.dirname(target), { recursive: true });
          writeFileSync(target, content);
        }
      }
      git(fixture, work, ['add', '--all']);
      git(fixture, work, ['commit', '--quiet', '--allow-empty', '-m', message]);
      git(fixture, work, ['push', '--quiet', ...(options.force === true ? ['--force'] : []), 'origin', `HEAD:refs/heads/${branch}`]);
      return git(fixture, work, ['rev-parse', 'HEAD']).trim();
    },
  };
}

export const GOOD_STRATEGY = `
import { sma } from 'qtc';
import type { Bars, Signal, Team } from 'qtc';

export default class Good {
  private readonly period: number;
  constructor(params: Record<string, unknown>) {
    this.period = typeof params.period === 'number' ? params.period : 5;
  }
  generateSignal(team: Team, bars: Bars, prices: Record<string, number>): Signal | null {
    const spy = bars.SPY;
    const price = prices.SPY;
    if (spy === undefined || price === undefined) return null;
    const average = sma(spy.close, this.period);
    if (average === null || team.cash < price) return null;
    return price < average ? { symbol: 'SPY', action: 'buy', quantity: 1 } : null;
  }
}
`;

export function strategyWith(body: string): string {
  return `export default class Strategy {\n${body}\n}\n`;
}

export function registryFor(teams: Array<Record<string, unknown>>, universe: string[] = ['SPY', 'QQQ']): Registry {
  return RegistrySchema.parse({ competition: { name: 'Git sync test', universe }, teams });
}

export async function insertTeams(pool: pg.Pool, registry: Registry): Promise<void> {
  for (const team of registry.teams) {
    await pool.query('INSERT INTO teams (id, name, repo, branch, path, entry) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING', [
      team.id,
      team.name,
      team.repo,
      team.branch,
      team.path,
      team.entry ?? null,
    ]);
  }
}
