// The strategy of the netted-season tests (backtestNetted, replayNetted), as the text of its class body.
// SPY: alpha buys 3 on odd calls and sells 2 on even ones, beta the other way round, so from the second
// minute on they cross every minute with a net buy of 1. QQQ: both buy 2 on calls 1 mod 4; on calls 3 mod 4
// alpha sells its 2 while beta buys 2 more (a zero net). Every fifth call alpha also bids for 1 QQQ with a
// limit (limit orders fill per team, netted or not).
export const CROSSING_TRADER_BODY = `
  generateSignal(team, bars, prices) {
    team.memory.calls = (team.memory.calls ?? 0) + 1;
    const n = team.memory.calls;
    const alpha = team.id === 'alpha';
    const spy = team.positions.SPY?.quantity ?? 0;
    const qqq = team.positions.QQQ?.quantity ?? 0;
    const out = [];
    if ((n % 2 === 1) === alpha) out.push({ symbol: 'SPY', action: 'buy', quantity: 3 });
    else if (spy >= 2) out.push({ symbol: 'SPY', action: 'sell', quantity: 2 });
    if (n % 4 === 1) out.push({ symbol: 'QQQ', action: 'buy', quantity: 2 });
    if (n % 4 === 3) out.push(alpha ? (qqq >= 2 ? { symbol: 'QQQ', action: 'sell', quantity: 2 } : null) : { symbol: 'QQQ', action: 'buy', quantity: 2 });
    if (alpha && n % 5 === 0) out.push({ symbol: 'QQQ', action: 'buy', quantity: 1, price: Math.round(prices.QQQ * 100.2) / 100 });
    return out.filter(Boolean);
  }
`;
