/**
 * Which shard of a minute runs a team: a stable hash of the team id, so a team lands in the same
 * shard every minute (and in the same warm sandbox pool of whichever worker takes that shard).
 */

/** FNV-1a, 32 bits: stable across processes and versions, unlike anything keyed on object identity. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function shardOf(teamId: string, shards: number): number {
  if (!Number.isSafeInteger(shards) || shards < 1) throw new RangeError(`shards must be a whole number ≥ 1, got ${String(shards)}`);
  return shards === 1 ? 0 : fnv1a(teamId) % shards;
}

/** The teams of one shard, in the order given. */
export function teamsOfShard<T extends { teamId: string }>(teams: readonly T[], shard: number, shards: number): T[] {
  return teams.filter((team) => shardOf(team.teamId, shards) === shard);
}
