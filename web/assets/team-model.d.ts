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
