// Helpers shared by the sandbox tests: hand-written strategy bundles in the compiled contract form
// (an IIFE defining __qtcStrategy, 'qtc' through require), and a deterministic market.
import type { Bar, CompiledStrategy, MinuteInput, TeamMinuteState } from '../../../sandbox/index.ts';

/** Wraps a script body that declares `class Strategy` into the bundle form loaders/compile emits. */
export function bundle(body: string, filename = 'strategy.bundle.js'): CompiledStrategy {
  const code = `var __qtcStrategy = (() => {\n${body}\nreturn { default: Strategy };\n})();\n`;
  return { code, sourceMap: '', filename };
}

export const SYMBOLS = ['AAPL', 'MSFT', 'NVDA'];
export const START = Date.UTC(2025, 6, 8, 13, 30);

export function barFor(symbol: string, index: number): Bar {
  const base = 100 + SYMBOLS.indexOf(symbol) * 50;
  const close = base + Math.sin(index / 3) * 5 + index * 0.1;
  return { timestamp: START + index * 60_000, open: close - 0.5, high: close + 1, low: close - 1, close, volume: 1000 + index };
}

export function minute(index: number, teams: TeamMinuteState[]): MinuteInput & { prices: Record<string, number> } {
  const bars: Record<string, Bar> = {};
  const prices: Record<string, number> = {};
  for (const symbol of SYMBOLS) {
    const bar = barFor(symbol, index);
    bars[symbol] = bar;
    prices[symbol] = bar.close;
  }
  return { minute: START + index * 60_000, bars, prices, teams };
}

export function team(teamId: string): TeamMinuteState {
  return { teamId, cash: 100_000, equity: 100_000, positions: { AAPL: { quantity: 5, avgCost: 101 } } };
}

/** A well-behaved strategy whose output depends on everything the runtime promises to keep deterministic. */
export const CANARY = bundle(`
const { sma, ema, rsi } = require('qtc');
class Strategy {
  constructor(params) { this.size = params.size ?? 1; }
  generateSignal(team, bars, prices) {
    team.memory.calls = (team.memory.calls ?? 0) + 1;
    const close = bars.AAPL.close;
    console.log('call', team.memory.calls, close.length);
    return {
      symbol: 'AAPL',
      action: team.memory.calls % 2 ? 'buy' : 'sell',
      quantity: this.size,
      confidence: Math.random(),
      reason: [Date.now(), new Date().toISOString(), close.length, sma(close, 3), ema(close, 3), rsi(close, 3), prices.MSFT, team.positions.AAPL.quantity].join('|'),
    };
  }
}`);
