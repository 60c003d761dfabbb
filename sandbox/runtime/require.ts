// The strategy's `require`: 'qtc' (the standard library, frozen) and nothing else. A strategy's
// own files are bundled at compile time, so they never reach this.
import { ErrorC, G, ObjectDefineProperty, ObjectFreeze, StringC } from './intrinsics.ts';
import {
  crossover,
  crossunder,
  ema,
  emaSeries,
  highest,
  lowest,
  mean,
  returns,
  RollingEma,
  RollingRsi,
  RollingSma,
  RollingStdev,
  rsi,
  sma,
  smaSeries,
  stdev,
  zscore,
} from './qtc.ts';

// Installed when this module is evaluated (see capabilities.ts for why not in a function).
{
  for (const C of [RollingSma, RollingEma, RollingRsi, RollingStdev]) {
    ObjectFreeze(C.prototype);
    ObjectFreeze(C);
  }

  const qtcModule = ObjectFreeze({
    sma,
    ema,
    rsi,
    stdev,
    mean,
    highest,
    lowest,
    returns,
    zscore,
    crossover,
    crossunder,
    smaSeries,
    emaSeries,
    RollingSma,
    RollingEma,
    RollingRsi,
    RollingStdev,
  });
  function require(specifier: unknown) {
    if (specifier === 'qtc') return qtcModule;
    throw new ErrorC('Cannot import "' + StringC(specifier) + "\" in a strategy: only 'qtc' and relative files of the strategy folder (bundled at compile time) are available");
  }
  // esbuild renames a function called `require` (to require2) in any bundle; strategies see the name.
  ObjectDefineProperty(require, 'name', { value: 'require' });
  ObjectDefineProperty(G, 'require', { value: require, writable: false, enumerable: false, configurable: false });
}
