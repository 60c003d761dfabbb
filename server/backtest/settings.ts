/**
 * What a backtest trades under: built-in defaults, or a competition's `team_registry.yaml` (universe,
 * starting cash, limits, risk, execution, each team's params and overrides), then the command line's overrides
 * (`--capital`, `--risk key=value`, `--params`, `--cpu-ms`). Pure: the command reads the files.
 */
import type { Registry, TeamEntry } from '../../registry/schema.ts';
import { executionMode, type ExecutionMode } from '../trading/netting/executionMode.ts';
import { DEFAULT_RISK, type RegistryRisk } from '../trading/risk/limits.ts';

export class BacktestUsageError extends Error {}

const RISK_KEYS = Object.keys(DEFAULT_RISK) as Array<keyof RegistryRisk>;

/** `--risk maxOrderNotional=200000 maxPositionPct=1` → the overrides, keys and numbers checked. */
export function parseRiskOverrides(pairs: readonly string[]): Partial<RegistryRisk> {
  const overrides: Partial<RegistryRisk> = {};
  for (const pair of pairs) {
    const [key = '', raw, ...rest] = pair.split('=');
    if (raw === undefined || rest.length > 0 || !RISK_KEYS.includes(key as keyof RegistryRisk)) {
      throw new BacktestUsageError(`--risk takes key=value with a key among ${RISK_KEYS.join(', ')} (got ${pair})`);
    }
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new BacktestUsageError(`--risk ${key} must be a number (got ${raw})`);
    overrides[key as keyof RegistryRisk] = value;
  }
  return overrides;
}

/** Risk limits checked, or a BacktestUsageError saying where and what is wrong. */
export type RiskCheck = (risk: RegistryRisk, where: string) => RegistryRisk;

/**
 * The registry's own rules for risk limits, so a `--risk` value is checked exactly as the competition's.
 * Loaded on demand: the registry's schema brings zod, about 70 ms of a `qtc backtest` start.
 */
export async function registryRiskCheck(): Promise<RiskCheck> {
  const { RegistrySchema } = await import('../../registry/schema.ts');
  const riskSchema = RegistrySchema.shape.competition.shape.risk;
  return (risk, where) => {
    const parsed = riskSchema.safeParse(risk);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new BacktestUsageError(`${where}: ${problems}`);
    }
    return parsed.data;
  };
}

export interface TeamSettings {
  params: Record<string, unknown>;
  risk: RegistryRisk;
  cpuMs: number | undefined;
  memoryMb: number | undefined;
  /** Whether a registry team of this id gave its params and overrides. */
  registered: boolean;
}

export interface BacktestSettings {
  /** The competition's symbols; null: the symbols of the market data. */
  universe: readonly string[] | null;
  /** Starting cash per team, dollars. */
  capital: number;
  /** The competition-wide limits (a team's may differ, see `team`). */
  risk: RegistryRisk;
  /**
   * How the teams' market orders fill: the registry's `competition.execution` (netted by default with
   * `broker.kind: alpaca`), so a backtest of a netted competition prices its orders as the live season does;
   * per-team without a registry.
   */
  execution: ExecutionMode;
  team(id: string): TeamSettings;
}

export interface CommandOverrides {
  capital?: number;
  risk: Partial<RegistryRisk>;
  /** Given: every strategy's params, whatever the registry says. */
  params?: Record<string, unknown>;
  cpuMs?: number;
}

export async function backtestSettings(registry: Registry | null, overrides: CommandOverrides): Promise<BacktestSettings> {
  const competition = registry?.competition;
  const where = (what: string) => (Object.keys(overrides.risk).length > 0 ? `${what} with --risk` : what);
  // Without a registry or --risk the limits are DEFAULT_RISK, which the registry's rules accept as they
  // are (tests/unit/backtest/settings.test.ts): nothing to check, so the rules are not loaded.
  const checkedRisk: RiskCheck | null = registry === null && Object.keys(overrides.risk).length === 0 ? null : await registryRiskCheck();
  const risk =
    checkedRisk === null
      ? { ...DEFAULT_RISK }
      : checkedRisk({ ...(competition?.risk ?? DEFAULT_RISK), ...overrides.risk }, where(registry === null ? 'risk limits' : "the registry's competition.risk"));
  const teams = new Map<string, TeamEntry>((registry?.teams ?? []).map((team) => [team.id, team]));
  return {
    universe: competition?.universe ?? null,
    capital: overrides.capital ?? competition?.startingCash ?? 100_000,
    risk,
    execution: competition === undefined ? 'per-team' : executionMode(competition),
    team: (id) => {
      const entry = teams.get(id);
      return {
        params: overrides.params ?? entry?.params ?? {},
        // A registry team's own limits: a registry was given, so checkedRisk is loaded.
        risk: entry?.risk === undefined || checkedRisk === null ? risk : checkedRisk({ ...risk, ...entry.risk, ...overrides.risk }, where(`team ${id}'s risk`)),
        cpuMs: overrides.cpuMs ?? entry?.limits?.cpuMs ?? competition?.limits.cpuMs,
        memoryMb: entry?.limits?.memoryMb ?? competition?.limits.memoryMb,
        registered: entry !== undefined,
      };
    },
  };
}
