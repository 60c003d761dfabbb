// Types of format.js (plain JavaScript for the browser), for the unit tests.
export declare const MISSING: string;
export declare function formatMoney(dollars: number | null | undefined): string;
export declare function formatSignedPercent(fraction: number | null | undefined): string;
export declare function formatDrawdown(fraction: number | null | undefined): string;
export declare function formatRatio(value: number | null | undefined): string;
export declare function formatMarketClock(epochMs: number | null | undefined): string;
export declare function formatMarketMinute(epochMs: number | null | undefined): string;
export declare function direction(value: number | null | undefined): 'up' | 'down' | 'flat';
export declare function returnDirection(fraction: number | null | undefined): 'up' | 'down' | 'flat';
