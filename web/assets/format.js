// Display formatting for the public pages. Pure functions (no DOM), unit-tested in tests/unit/web.
// Numbers arrive as dollars and fractions at full precision (the API rounds nothing); they are rounded
// here, for display only. null means "not defined yet" and shows as an em dash.

export const MISSING = '—';

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' });
const plainPercent = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const ratio = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'negative' });
const newYorkClock = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const newYorkDay = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', month: 'short', day: 'numeric' });

/** @param {unknown} value */
function isNumber(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

/** $100,542.75 */
export function formatMoney(dollars) {
  return isNumber(dollars) ? usd.format(dollars) : MISSING;
}

/** +5.42% / -0.23% / 0.00% from a fraction (0.0542). */
export function formatSignedPercent(fraction) {
  return isNumber(fraction) ? percent.format(fraction) : MISSING;
}

/** 5.42% from a fraction; drawdowns are shown as a positive depth whatever sign the source used. */
export function formatDrawdown(fraction) {
  return isNumber(fraction) ? plainPercent.format(Math.abs(fraction)) : MISSING;
}

/** 1.85 (Sharpe and other ratios). */
export function formatRatio(value) {
  return isNumber(value) ? ratio.format(value) : MISSING;
}

/** 14:31 in New York, where the market's minutes are counted. */
export function formatMarketClock(epochMs) {
  return isNumber(epochMs) ? newYorkClock.format(epochMs) : MISSING;
}

/** "Nov 21, 14:31 ET" */
export function formatMarketMinute(epochMs) {
  return isNumber(epochMs) ? `${newYorkDay.format(epochMs)}, ${newYorkClock.format(epochMs)} ET` : MISSING;
}

/**
 * The direction of a return as formatSignedPercent shows it: a return that shows as 0.00% (say 3e-7,
 * served unrounded) is "flat", not coloured up or down.
 */
export function returnDirection(fraction) {
  return isNumber(fraction) ? direction(Math.sign(fraction) * Math.round(Math.abs(fraction) * 10_000)) : 'flat';
}

/** "up", "down" or "flat" for a signed number, for CSS classes and spoken labels. */
export function direction(value) {
  if (!isNumber(value) || value === 0) return 'flat';
  return value > 0 ? 'up' : 'down';
}
