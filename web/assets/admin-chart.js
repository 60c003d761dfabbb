// Geometry of the per-stage timing chart of the admin console: one stacked bar per minute, oldest on the
// left. Pure (no DOM), unit-tested in tests/unit/web; admin.js draws it as SVG.
//
// The stages stacked are the tick's consecutive stages (server/tick/tick.ts): bars, fills, load,
// strategies, orders (which includes submit), books (which includes snapshot and leaderboard); "other" is
// what the total (wall clock from the minute's start to its books) has beyond them: queueing and hand-over.

export const STAGES = ['bars', 'fills', 'load', 'strategies', 'orders', 'books', 'other'];

export const STAGE_LABELS = {
  bars: 'bars',
  fills: 'fills',
  load: 'load',
  strategies: 'strategies',
  orders: 'orders + submit',
  books: 'books (snapshot, leaderboard)',
  other: 'other (queue, hand-over)',
};

/** @param {unknown} value */
const ms = (value) => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0);

/** The milliseconds of each stacked stage of one tick's `stage_ms`. */
export function stackedStages(stageMs) {
  const source = typeof stageMs === 'object' && stageMs !== null ? stageMs : {};
  const parts = {};
  let sum = 0;
  for (const stage of STAGES) {
    if (stage === 'other') continue;
    parts[stage] = ms(source[stage]);
    sum += parts[stage];
  }
  parts.other = Math.max(0, ms(source.total) - sum);
  return parts;
}

/** A round axis maximum at or above `value` (1, 2, 5 × 10^n). */
export function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * Bars for `ticks` (newest first, as the API gives them) in a `width` × `height` plot area: each
 * `{minute, x, width, total, segments: [{stage, y, height, ms}]}` with y growing downwards, and the
 * axis maximum `maxMs` with its `gridlines` (ms values at 0, ¼, ½, ¾ and 1 of it).
 */
export function stageBars(ticks, width, height) {
  const rows = (Array.isArray(ticks) ? ticks : [])
    .filter((tick) => typeof tick === 'object' && tick !== null && typeof tick.minute === 'string')
    .slice()
    .reverse();
  const stacks = rows.map((tick) => {
    const parts = stackedStages(tick.stage_ms);
    return { minute: tick.minute, status: typeof tick.status === 'string' ? tick.status : '', parts, total: STAGES.reduce((sum, stage) => sum + parts[stage], 0) };
  });
  const maxMs = niceCeiling(Math.max(0, ...stacks.map((stack) => stack.total)));
  const slot = stacks.length === 0 ? 0 : width / stacks.length;
  const barWidth = Math.max(1, slot * 0.8);
  const scale = height / maxMs;
  const bars = stacks.map((stack, index) => {
    let top = height;
    const segments = [];
    for (const stage of STAGES) {
      const value = stack.parts[stage];
      if (value <= 0) continue;
      const h = value * scale;
      top -= h;
      segments.push({ stage, y: round(top), height: round(h), ms: value });
    }
    return { minute: stack.minute, status: stack.status, x: round(index * slot + (slot - barWidth) / 2), width: round(barWidth), total: stack.total, segments };
  });
  return { bars, maxMs, gridlines: [0, 0.25, 0.5, 0.75, 1].map((fraction) => fraction * maxMs) };
}

const round = (value) => Math.round(value * 100) / 100;
