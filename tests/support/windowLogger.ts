import type { CompiledStrategy } from '../../sandbox/index.ts';

/**
 * A strategy that logs, each minute, every symbol of `bars` in its order with its window's closes and
 * timestamps (`SYMBOL:c1,c2,…/t1,t2,…`, space-separated): two isolates saw the same windows exactly
 * when they logged the same line.
 */
export const WINDOW_LOGGER: CompiledStrategy = {
  filename: 'strategy.bundle.js',
  sourceMap: '',
  code: `var __qtcStrategy = (() => { class Watch { generateSignal(team, bars) {
    console.log(Object.keys(bars).map((s) => s + ':' + Array.from(bars[s].close).join(',') + '/' + Array.from(bars[s].timestamp).join(',')).join(' '));
    return null;
  } } return { default: Watch }; })();`,
};
