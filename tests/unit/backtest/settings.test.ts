import { describe, expect, it } from 'vitest';
import { backtestSettings } from '../../../server/backtest/settings.ts';
import { parseRegistry } from '../../../registry/load.ts';
import type { Registry } from '../../../registry/schema.ts';

function registry(competitionLines: string[]): Registry {
  const parsed = parseRegistry(['competition:', '  name: Test', '  universe: [SPY]', ...competitionLines.map((line) => `  ${line}`), 'teams: []', ''].join('\n'));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.registry;
}

describe('backtest settings: execution', () => {
  it("follows the registry's competition.execution, netted by default with Alpaca, per-team without a registry", () => {
    const execution = (value: Registry | null) => backtestSettings(value, { risk: {} }).execution;
    expect(execution(null)).toBe('per-team');
    expect(execution(registry([]))).toBe('per-team');
    expect(execution(registry(['execution: netted']))).toBe('netted');
    expect(execution(registry(['broker: { kind: alpaca }']))).toBe('netted');
    expect(execution(registry(['broker: { kind: alpaca }', 'execution: per-team']))).toBe('per-team');
  });
});
