// `qtc admin teams …`, loaded only when used. Needs no database: the registry file is the source of truth.
import path from 'node:path';
import { GitSyncError } from '../../../loaders/git/syncError.ts';
import { validateTeamSource } from '../../../loaders/git/syncTeam.ts';
import { loadConfig } from '../../config/config.ts';
import type { NewTeam } from '../../../registry/edit.ts';
import { editRegistryFile, RegistryEditRefused } from '../../../registry/editFile.ts';
import { loadRegistryFile } from '../../../registry/load.ts';

export interface TeamAddOptions {
  name: string;
  repo: string;
  branch?: string;
  path?: string;
  entry?: string;
  params?: string;
  disabled?: boolean;
}

export class AdminUsageError extends Error {
  override name = 'AdminUsageError';
}

function parseParams(json: string | undefined): Record<string, unknown> | undefined {
  if (json === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new AdminUsageError(`--params must be a JSON object, e.g. '{"lookback":20}' (${(error as Error).message})`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AdminUsageError(`--params must be a JSON object, e.g. '{"lookback":20}'`);
  return value as Record<string, unknown>;
}

export async function listTeamsCommand(options: { json?: boolean }): Promise<void> {
  const { registryFile } = loadConfig();
  const registry = await loadRegistryFile(registryFile);
  const teams = registry.teams.map(({ id, name, enabled, repo, branch, path }) => ({ id, name, enabled, repo, branch, path }));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(teams)}\n`);
    return;
  }
  if (teams.length === 0) {
    process.stdout.write(`no teams in ${registryFile} (add one: qtc admin teams add <id> --name <name> --repo <url>)\n`);
    return;
  }
  const width = Math.max(...teams.map((team) => team.id.length), 2);
  for (const team of teams) {
    process.stdout.write(
      `${team.id.padEnd(width)}  ${team.enabled ? 'enabled ' : 'disabled'}  ${team.name}  (${team.repo} ${team.branch}${team.path === '.' ? '' : ` ${team.path}`})\n`,
    );
  }
}

export async function addTeamCommand(id: string, options: TeamAddOptions): Promise<void> {
  const { registryFile, gitAllowedLocalPaths } = loadConfig();
  const team: NewTeam = { id, name: options.name, repo: options.repo };
  if (options.branch !== undefined) team.branch = options.branch;
  if (options.path !== undefined) team.path = options.path;
  if (options.entry !== undefined) team.entry = options.entry;
  const params = parseParams(options.params);
  if (params !== undefined) team.params = params;
  if (options.disabled === true) team.enabled = false;
  // The repository, branch and folder pass the very checks the server's Git sync makes before it
  // fetches (the same function), with the same allowed local roots and base folder as the server.
  const check = async (registry: { teams: ReadonlyArray<{ id: string; repo: string; branch: string; path: string }> }) => {
    const entry = registry.teams.find((candidate) => candidate.id === id);
    if (entry === undefined) return;
    try {
      await validateTeamSource(entry, { localPathBase: path.dirname(registryFile), allowedLocalRoots: gitAllowedLocalPaths });
    } catch (error) {
      if (!(error instanceof GitSyncError)) throw error;
      throw new RegistryEditRefused(`${registryFile}: the server's Git sync would refuse team ${id}'s repository, so the file was not changed: ${error.message}`, { cause: error });
    }
  };
  await editRegistryFile(registryFile, { kind: 'add-team', team }, { check });
  process.stdout.write(`added team ${id} to ${registryFile}${options.disabled === true ? ' (disabled)' : ''}\n`);
}

export async function setTeamEnabledCommand(id: string, enabled: boolean): Promise<void> {
  const { registryFile } = loadConfig();
  const result = await editRegistryFile(registryFile, { kind: 'set-enabled', teamId: id, enabled });
  const state = enabled ? 'enabled' : 'disabled';
  process.stdout.write(result.changed ? `team ${id} is now ${state} in ${registryFile}\n` : `team ${id} was already ${state}; ${registryFile} is unchanged\n`);
}

export async function removeTeamCommand(id: string): Promise<void> {
  const { registryFile } = loadConfig();
  await editRegistryFile(registryFile, { kind: 'remove-team', teamId: id });
  process.stdout.write(
    `removed team ${id} from ${registryFile}. The server marks it removed in Postgres at its next registry load (the running one within seconds): ` +
      `its strategy stops, its keys stop working, and its orders, fills, books, versions and audit trail are kept. Add it again with the same id to restore it.\n`,
  );
}
