// The 'qtc' standard library as strategies import it (sandbox/sdk/qtc.d.ts declares the same
// module for authors; tests/types/qtcSdk.check.ts checks the two agree).
export type { Series } from './checks.ts';
export type { RollingState } from './rollingState.ts';
export { sma, ema, rsi, stdev, mean, highest, lowest, zscore } from './indicators.ts';
export { returns, crossover, crossunder, smaSeries, emaSeries } from './series.ts';
export { RollingSma, RollingEma, RollingRsi, RollingStdev } from './rolling.ts';
