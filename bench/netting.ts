// Netted execution benchmark: 1,000 teams on 10 symbols, about half trading every minute, 30 minutes,
// through the fake Alpaca enforcing 200 requests per minute (time compressed: one simulated minute is
// MINUTE_MS of wall time, and the fake's window is that long). Teams trade opposite sides of the same
// symbols in the same minutes. Run with: node --no-node-snapshot bench/netting.ts
// Prints one JSON object: requests per minute used (every request the fake answered, order submissions
// and whatever else the Alpaca adapter asked), minute completion (the engine's whole minute: fills
// settled, strategies, decisions, intents, submission), rejections caused by another team.
import { runSeason } from '../tests/fixtures/fakeAlpaca/nettingSeason.ts';

const TEAMS = Number(process.env.TEAMS ?? 1_000);
const SYMBOLS = Number(process.env.SYMBOLS ?? 10);
const MINUTES = Number(process.env.MINUTES ?? 30);
const MINUTE_MS = Number(process.env.MINUTE_MS ?? 2_000);

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

const season = await runSeason({ teams: TEAMS, symbols: SYMBOLS, minutes: MINUTES, activity: 0.5, minuteMs: MINUTE_MS, seed: 2026 });
const { fake, store, books } = season;
const records = store.all();
const members = records.flatMap((record) => record.group.members);
let notFilled = 0;
for (const member of members) {
  const order = await books.getOrder(member.clientOrderId);
  if (order?.status !== 'filled') notFilled += 1;
}
const posts = fake.exchanges.filter((exchange) => exchange.operation === 'postOrder');
const washTrades = posts.filter((post) => JSON.stringify(post.body).includes('wash trade')).length;
const rateLimited = fake.exchanges.filter((exchange) => exchange.status === 429).length;
const steady = season.stats.slice(2);
const byOperation: Record<string, number> = {};
for (const exchange of fake.exchanges) byOperation[exchange.operation] = (byOperation[exchange.operation] ?? 0) + 1;

console.log(
  JSON.stringify(
    {
      bench: 'netting',
      teams: TEAMS,
      symbols: SYMBOLS,
      minutes: MINUTES,
      wallMsPerMinute: MINUTE_MS,
      teamOrders: members.length,
      teamOrdersPerMinute: round(members.length / MINUTES),
      crossedGroups: records.filter((record) => record.group.members.some((m) => m.side === 'buy') && record.group.members.some((m) => m.side === 'sell')).length,
      netOrdersSent: posts.length,
      requestsPerMinute: {
        mean: round(steady.reduce((sum, stat) => sum + stat.requests, 0) / Math.max(1, steady.length)),
        max: Math.max(...steady.map((stat) => stat.requests)),
        p95: percentile(
          steady.map((stat) => stat.requests),
          95,
        ),
        target: 25,
        byOperation,
      },
      minuteCompletionMs: {
        p50: round(
          percentile(
            season.stats.map((stat) => stat.ms),
            50,
          ),
        ),
        p95: round(
          percentile(
            season.stats.map((stat) => stat.ms),
            95,
          ),
        ),
        max: round(Math.max(...season.stats.map((stat) => stat.ms))),
      },
      rejectionsCausedByAnotherTeam: washTrades + notFilled,
      washTradeRefusals: washTrades,
      teamOrdersNotFilled: notFilled,
      http429: rateLimited,
    },
    null,
    2,
  ),
);
await season.venue.close();
await season.broker.close();
await season.fake.close();
