/**
 * The competition as it stood at a recorded minute, from the registry version in force then (stored text,
 * never the file): universe, starting cash, limits, risk, execution mode, and each team's params, limits
 * and risk, exactly as the team sync stores them (registry/sync.ts) and the tick reads them.
 */
import { parseRegistry } from '../../registry/load.ts';
import type { Registry } from '../../registry/schema.ts';
import { executionMode, type ExecutionMode } from '../trading/netting/executionMode.ts';
import { competitionSettings } from '../tick/competition.ts';
import type { CompetitionSettings } from '../tick/tick.ts';
import type { TeamOverrides } from '../tick/tickStore.ts';
import type { RegistryVersionRow } from './recorded.ts';

export interface MinuteSettings {
  registryVersion: number;
  competition: CompetitionSettings;
  execution: ExecutionMode;
  slippageBps: number;
  overrides: ReadonlyMap<string, TeamOverrides>;
}

function overridesOf(registry: Registry): Map<string, TeamOverrides> {
  return new Map(registry.teams.map((team) => [team.id, { params: team.params, limits: team.limits ?? {}, risk: team.risk ?? {} }]));
}

/**
 * The registry version of a minute: the one recorded with it, else (minutes recorded before
 * tick_conditions existed) the newest written before the minute was prepared.
 */
export function registryVersionAt(registries: readonly RegistryVersionRow[], recorded: number | null, preparedAt: number): RegistryVersionRow | undefined {
  if (recorded !== null) return registries.find((row) => row.version === recorded);
  let found: RegistryVersionRow | undefined;
  for (const row of registries) if (row.createdAt <= preparedAt) found = row;
  return found ?? registries[0];
}

/** Parses each registry version once. */
export function createSettingsResolver() {
  const parsed = new Map<number, Registry>();
  return (version: RegistryVersionRow, slippageBps: number): MinuteSettings => {
    let registry = parsed.get(version.version);
    if (registry === undefined) {
      const result = parseRegistry(version.text);
      if (!result.ok) throw new Error(`registry version ${String(version.version)} does not parse: ${result.errors.map((error) => error.message).join('; ')}`);
      registry = result.registry;
      parsed.set(version.version, registry);
    }
    return {
      registryVersion: version.version,
      competition: competitionSettings(registry, slippageBps),
      execution: executionMode(registry.competition),
      slippageBps,
      overrides: overridesOf(registry),
    };
  };
}
