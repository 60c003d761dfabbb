// Types of admin-chart.js (plain JavaScript for the browser), for the unit tests.
export type Stage = 'bars' | 'fills' | 'load' | 'strategies' | 'orders' | 'books' | 'other';
export declare const STAGES: Stage[];
export declare const STAGE_LABELS: Record<Stage, string>;
export declare function stackedStages(stageMs: unknown): Record<Stage, number>;
export declare function niceCeiling(value: number): number;
export declare function stageBars(
  ticks: unknown,
  width: number,
  height: number,
): {
  bars: Array<{ minute: string; status: string; x: number; width: number; total: number; segments: Array<{ stage: Stage; y: number; height: number; ms: number }> }>;
  maxMs: number;
  gridlines: number[];
};
