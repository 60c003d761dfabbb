// Types of team-model.js (plain JavaScript for the browser), for the unit tests.
export declare const TEAM_ID_PATTERN: RegExp;
export declare function decodeSession(raw: unknown): { teamId: string; key: string } | null;
export declare function parseDecimal(value: unknown): number | null;
export declare function describeFailure(status: number, message: string): string;
export declare function describeFinding(finding: unknown): string;
export declare function equitySeries(payload: unknown): number[];
export declare function logLines(payload: unknown): Array<{ minute: number; level: string; message: string }>;
export declare function strategyFacts(strategy: unknown): Array<[string, string]>;
export declare function latestFindings(strategy: unknown): string[];
export declare function tradeCells(trade: unknown): { at: number; side: 'buy' | 'sell'; quantity: string; symbol: string; price: string; pnl: string; problem: string } | null;
export interface EquityPoint {
  t: number;
  value: number;
}
export declare function equityPoints(payload: unknown): EquityPoint[];
export declare function addEquityPoint(points: EquityPoint[], point: EquityPoint, limit?: number): EquityPoint[];
export declare function drawdowns(values: number[]): number[];
export declare function tradeMarkers(points: EquityPoint[], payload: unknown): { buys: Array<number | null>; sells: Array<number | null> };
export declare function positionRows(payload: unknown): Array<{
  symbol: string;
  quantity: number;
  avgCost: number | null;
  lastPrice: number | null;
  value: number | null;
  unrealized: number | null;
  unrealizedFraction: number | null;
  realized: number | null;
}>;
export declare function bookSummary(payload: unknown): { cash: number | null; reserved: number | null; equity: number | null; asOf: number | null } | null;
export declare function openOrderRows(
  payload: unknown,
): Array<{ at: number; side: 'buy' | 'sell'; quantity: number; filled: number; symbol: string; type: string; status: string }>;
export declare function cpuPoints(payload: unknown): Array<{ t: number; cpuMs: number; error: string | null }>;
export declare function describeTeamEvent(view: unknown): { at: number; kind: string; text: string; details: string[] } | null;
export declare function createSseParser(onFrame: (frame: { id: string | null; data: string }) => void): {
  push(chunk: string): void;
  lastId(): string | null;
  retry(): number | null;
};
