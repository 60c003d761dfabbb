import { describe, expect, it } from 'vitest';
import { backtestSettings, BacktestUsageError, registryRiskCheck } from '../../../server/backtest/settings.ts';
import { DEFAULT_RISK } from '../../../server/trading/risk/limits.ts';
import { parseRegistry } from '../../../registry/load.ts';
import type { Registry } from '../../../registry/schema.ts';

function registry(competitionLines: string[]): Registry {
  const parsed = parseRegistry(['competition:', '  name: Test', '  universe: [SPY]', ...competitionLines.map((line) => `  ${line}`), 'teams: []', ''].join('\n'));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.registry;
}

describe('backtest settings: execution', () => {
  it("follows the registry's competition.execution, netted by default with Alpaca, per-team without a registry", async () => {
    const execution = async (value: Registry | null) => (await backtestSettings(value, { risk: {} })).execution;
    expect(await execution(null)).toBe('per-team');
    expect(await execution(registry([]))).toBe('per-team');
    expect(await execution(registry(['execution: netted']))).toBe('netted');
    expect(await execution(registry(['broker: { kind: alpaca }']))).toBe('netted');
    expect(await execution(registry(['broker: { kind: alpaca }', 'execution: per-team']))).toBe('per-team');
  });
});

describe('backtest settings: risk limits', () => {
  it("uses DEFAULT_RISK unchecked without a registry or --risk: the registry's rules give back exactly it, in its key order", async () => {
    const check = await registryRiskCheck();
    expect(JSON.stringify(check({ ...DEFAULT_RISK }, 'defaults'))).toBe(JSON.stringify(DEFAULT_RISK));
    expect(JSON.stringify((await backtestSettings(null, { risk: {} })).risk)).toBe(JSON.stringify(DEFAULT_RISK));
  });

  it("checks --risk overrides and a registry team's limits against the registry's rules", async () => {
    await expect(backtestSettings(null, { risk: { maxPositionPct: -1 } })).rejects.toThrow(BacktestUsageError);
    expect((await backtestSettings(null, { risk: { maxOrderNotional: 200_000 } })).risk.maxOrderNotional).toBe(200_000);
    const settings = await backtestSettings(registry([]), { risk: { maxPositionPct: 0.8 } });
    expect(settings.risk.maxPositionPct).toBe(0.8);
    await expect(backtestSettings(registry([]), { risk: { maxPositionPct: 2 } })).rejects.toThrow(/maxPositionPct/);
  });
});
