/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson, "Downsampling Time Series for Visual
 * Representation", 2013): keeps the first and last points and, from each of `threshold - 2` equal
 * buckets between them, the point forming the largest triangle with the point kept before it and the
 * average of the next bucket. The chart keeps its peaks and troughs, unlike every-nth sampling.
 */

/**
 * The indices (ascending) of the points LTTB keeps out of `xs.length`; every index when `threshold`
 * is at least the number of points. A tie keeps the earlier point. `xs` must be ascending.
 */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const length = xs.length;
  if (ys.length !== length) throw new RangeError(`xs and ys differ in length: ${length} and ${ys.length}`);
  if (!Number.isInteger(threshold) || threshold < 2) throw new RangeError(`threshold must be a whole number of at least 2: ${threshold}`);
  if (threshold >= length) return Array.from({ length }, (_, i) => i);

  // x relative to the first point: epoch milliseconds summed over a bucket would lose digits.
  const origin = xs[0]!;
  const x = (i: number): number => xs[i]! - origin;
  const kept = [0];
  const every = (length - 2) / (threshold - 2);
  let a = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket += 1) {
    // The average of the next bucket (the last point for the last bucket) is the triangle's third corner.
    const nextStart = Math.floor((bucket + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((bucket + 2) * every) + 1, length);
    let sumX = 0;
    let sumY = 0;
    for (let i = nextStart; i < nextEnd; i += 1) {
      sumX += x(i);
      sumY += ys[i]!;
    }
    const averageX = sumX / (nextEnd - nextStart);
    const averageY = sumY / (nextEnd - nextStart);

    const ax = x(a);
    const ay = ys[a]!;
    const start = Math.floor(bucket * every) + 1;
    const end = Math.floor((bucket + 1) * every) + 1;
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i += 1) {
      // Twice the triangle's area: the factor changes no comparison.
      const area = Math.abs((ax - averageX) * (ys[i]! - ay) - (ax - x(i)) * (averageY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    kept.push(best);
    a = best;
  }
  kept.push(length - 1);
  return kept;
}
