/**
 * Which shard of a minute runs a team: a stable hash of the team id, so a team lands in the same
 * shard every minute (and in the same warm sandbox pool of whichever worker takes that shard).
 */

/** FNV-1a, 32 bits, finalised: stable across processes and versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // FNV's low bits are weak (the lowest is a parity of the input's): MurmurHash3's finaliser mixes every bit into them.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

export function shardOf(teamId: string, shards: number): number {
  if (!Number.isSafeInteger(shards) || shards < 1) throw new RangeError(`shards must be a whole number ≥ 1, got ${String(shards)}`);
  return shards === 1 ? 0 : fnv1a(teamId) % shards;
}

/** The teams of one shard, in the order given. */
export function teamsOfShard<T extends { teamId: string }>(teams: readonly T[], shard: number, shards: number): T[] {
  return teams.filter((team) => shardOf(team.teamId, shards) === shard);
}
