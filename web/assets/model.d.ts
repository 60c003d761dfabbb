// Types of model.js (plain JavaScript for the browser), for the unit tests.
export interface BoardRow {
  teamId: string;
  name: string;
  rank: number;
  equity: number;
  totalReturn: number | null;
  sharpe: number | null;
  maxDrawdown: number | null;
  ranked: boolean;
  halted: boolean;
  sparkline: number[] | null;
}
export interface Board {
  rows: BoardRow[];
  minute: number | null;
  competitionHalted: boolean;
}
export interface ActivityLine {
  at: number;
  kind: string;
  text: string;
}
export declare const SPARKLINE_LIMIT: number;
export declare const STREAM_EVENT_TYPES: string[];
export declare function decodeLeaderboard(payload: unknown): Board | null;
export declare function decodeHistory(payload: unknown): Map<string, number[]>;
export declare function nextSeries(known: number[] | undefined, row: Pick<BoardRow, 'sparkline' | 'equity'>, newMinute: boolean): number[];
export declare function changedTeams(previous: Board | null, next: Board): Set<string>;
export declare function summarise(board: Board, clock: (epochMs: number) => string): string;
export declare function unwrapActivity(data: unknown): unknown;
export declare function describeActivity(event: unknown, nameOf: (teamId: string) => string): ActivityLine | null;
export declare function reconnectDelay(attempt: number, base?: number, max?: number, random?: () => number): number;
