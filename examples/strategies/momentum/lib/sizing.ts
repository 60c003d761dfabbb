// Position sizing shared by the momentum strategy's buy and sell decisions.

/** Whole shares that a budget buys at a price (0 when the price is unusable). */
export function sharesFor(budget: number, price: number): number {
  if (!(price > 0) || !(budget > 0)) return 0;
  return Math.floor(budget / price);
}

/** Equal weight per held symbol: the equity split into `slots`, capped by the cash available. */
export function slotBudget(equity: number, slots: number, cashLeft: number): number {
  return Math.max(0, Math.min(cashLeft, equity / slots));
}
