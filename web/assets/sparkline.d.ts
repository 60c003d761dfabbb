// Types of sparkline.js (plain JavaScript for the browser), for the unit tests.
export declare function sparklinePoints(values: readonly number[], width: number, height: number, pad?: number): string;
export declare function seriesTrend(values: readonly number[]): { direction: 'up' | 'down' | 'flat'; change: number | null };
