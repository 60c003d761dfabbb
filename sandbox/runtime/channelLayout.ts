// The layout of a team's channel, the SharedArrayBuffer the host (child/teamIsolate.ts) writes before
// each call and the runtime (entry.ts) reads: the team's numbers, its positions as (symbol index,
// quantity, average cost) triples, then the minute's payload (child/payload.ts) when it fits.

/** The numbers ahead of the positions: four seed words, cash, equity, the number of positions. */
export const TEAM_NUMBERS = 7;
