// Types of ticker.js (plain JavaScript for the browser), for the unit tests.
export interface TickerLine {
  key: string;
  at: number;
  kind: string;
  text: string;
  replace: boolean;
}
export declare function createTicker(nameOf: (teamId: string) => string): {
  setMarketMinute(minute: unknown): void;
  push(data: unknown): TickerLine | null;
};
