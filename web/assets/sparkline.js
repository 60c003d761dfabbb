// Geometry of the equity sparklines: values in, SVG polyline points out. Pure (no DOM).

/**
 * Points for an SVG polyline drawing `values` (oldest first) in a width x height box, `pad` units from
 * the edges. A flat series is drawn as a level line through the middle; fewer than two values draw nothing.
 * @param {readonly number[]} values
 * @param {number} width
 * @param {number} height
 * @param {number} [pad]
 * @returns {string}
 */
export function sparklinePoints(values, width, height, pad = 1) {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length < 2) return '';
  let low = Infinity;
  let high = -Infinity;
  for (const value of finite) {
    if (value < low) low = value;
    if (value > high) high = value;
  }
  const span = high - low;
  const innerWidth = width - 2 * pad;
  const innerHeight = height - 2 * pad;
  const step = innerWidth / (finite.length - 1);
  const round = (n) => Math.round(n * 100) / 100;
  return finite
    .map((value, index) => {
      const x = pad + index * step;
      // SVG's y axis points down: the highest value sits at the top.
      const y = span === 0 ? height / 2 : pad + (1 - (value - low) / span) * innerHeight;
      return `${round(x)},${round(y)}`;
    })
    .join(' ');
}

/**
 * The change over the series, for the line's colour and its spoken label.
 * @param {readonly number[]} values
 * @returns {{ direction: 'up' | 'down' | 'flat', change: number | null }}
 */
export function seriesTrend(values) {
  const finite = values.filter((value) => Number.isFinite(value));
  const first = finite[0];
  const last = finite[finite.length - 1];
  if (finite.length < 2 || first === undefined || last === undefined || first === 0) return { direction: 'flat', change: null };
  const change = last / first - 1;
  return { direction: change > 0 ? 'up' : change < 0 ? 'down' : 'flat', change };
}
