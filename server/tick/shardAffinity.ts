/**
 * Shard affinity across workers: a shard stays with the worker that holds its warm isolates, so with
 * more workers each loads its shards' isolates once instead of whenever BullMQ hands it a shard another
 * worker ran last.
 *
 * Every worker takes every job from the one tick queue (so any shard count works, and books jobs go
 * anywhere), but a shard job is run only by its owner. Ownership is a lease in Redis per shard
 * (`<prefix>:owner:<shards>:<shard>` = worker id, renewed every second by the owner's heartbeat) and
 * the live workers are a sorted set of heartbeats. A worker given a shard it does not own hands the job
 * back (delayed a few ms, so the owner takes it); an unowned shard, or one whose owner stopped
 * heartbeating, is claimed by a worker below its fair share (⌈shards / live workers⌉). So shards move
 * only when their worker leaves: at once when it stops (it releases its leases), within LIVE_MS when
 * it dies. A job handed back MAX_HANDOVERS times is run where it is: progress never depends on affinity.
 */
import { DelayedError, type Job } from 'bullmq';
import type { RedisClient } from '../../data/redis/client.ts';
import type { ShardJobData } from './queue.ts';

/** Heartbeat period of a worker (and renewal of its leases). */
export const HEARTBEAT_MS = 1_000;
/** A worker without a heartbeat for this long is gone: its shards may be claimed. */
export const LIVE_MS = 5_000;
/** A lease not renewed for this long lapses by itself (its worker died without releasing it). */
const LEASE_MS = 15_000;
/** A shard not run for this long is released (its pool is closed: server/tick/shardPools.ts). */
const RELEASE_IDLE_MS = 10 * 60_000;
/** Hand-overs of one job before it runs wherever it is. */
export const MAX_HANDOVERS = 40;

export type Admission = { run: true; claimed: boolean } | { run: false; delayMs: number; reason: 'owned-by-other' | 'owner-gone' | 'over-share' | 'lost-claim' };

export interface OwnershipView {
  self: string;
  shards: number;
  /** The owner of each shard of this count (index = shard), null when none. */
  owners: ReadonlyArray<string | null>;
  /** Workers with a recent heartbeat (self included). */
  live: ReadonlySet<string>;
}

/**
 * What a worker does with a job of `shard` (pure): run it (its own, or claimable within its fair
 * share) or hand it back with a delay.
 */
export function admit(
  view: OwnershipView,
  shard: number,
): { action: 'run' | 'claim' } | { action: 'hand-back'; delayMs: number; reason: 'owned-by-other' | 'owner-gone' | 'over-share' } {
  const owner = view.owners[shard] ?? null;
  if (owner === view.self) return { action: 'run' };
  const live = new Set(view.live).add(view.self);
  // Its owner is alive: it has the warm isolates. A short delay lets the owner's worker take the job.
  if (owner !== null && live.has(owner)) return { action: 'hand-back', delayMs: 10, reason: 'owned-by-other' };
  const share = Math.ceil(view.shards / live.size);
  const counts = new Map<string, number>([...live].map((worker) => [worker, 0]));
  for (const holder of view.owners) if (holder !== null && counts.has(holder)) counts.set(holder, counts.get(holder)! + 1);
  const mine = counts.get(view.self)!;
  if (mine < share) return { action: 'claim' };
  // At its share already: leave the shard to a live worker below its share, if there is one.
  const someoneBelow = [...counts].some(([worker, count]) => worker !== view.self && count < share);
  if (someoneBelow) return { action: 'hand-back', delayMs: owner === null ? 10 : 50, reason: owner === null ? 'over-share' : 'owner-gone' };
  return { action: 'claim' };
}

// Sets the lease when it is free or held by `ARGV[2]` (a gone owner, '' for none): a claim never steals from a live one.
const CLAIM = `local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[2] or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return 1
end
return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface ShardAffinityOptions {
  redis: RedisClient;
  /** Key prefix of the leases and heartbeats (the worker's BullMQ prefix + `:affinity`). */
  prefix: string;
  workerId: string;
  now?: () => number;
}

export class ShardAffinity {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #self: string;
  readonly #now: () => number;
  /** Leases this worker holds, by key, with when it last ran the shard. */
  readonly #held = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ShardAffinityOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#self = options.workerId;
    this.#now = options.now ?? Date.now;
  }

  #ownerKey(shards: number, shard: number): string {
    return `${this.#prefix}:owner:${String(shards)}:${String(shard)}`;
  }

  get #liveKey(): string {
    return `${this.#prefix}:workers`;
  }

  async start(): Promise<void> {
    // Redis away at start is not fatal: the heartbeat retries every second (BullMQ waits for Redis anyway).
    await this.#beat().catch(() => undefined);
    this.#timer = setInterval(() => void this.#beat().catch(() => undefined), HEARTBEAT_MS);
    this.#timer.unref();
  }

  async #beat(): Promise<void> {
    const now = this.#now();
    await this.#redis.zadd(this.#liveKey, now, this.#self);
    await this.#redis.zremrangebyscore(this.#liveKey, '-inf', now - 10 * LIVE_MS);
    for (const [key, lastRun] of [...this.#held]) {
      if (now - lastRun > RELEASE_IDLE_MS) {
        this.#held.delete(key);
        await this.#redis.eval(RELEASE, 1, key, this.#self);
        continue;
      }
      const renewed = await this.#redis.eval(RENEW, 1, key, this.#self, String(LEASE_MS));
      if (renewed === 0) this.#held.delete(key);
    }
  }

  /** Whether this worker runs a job of `shard` of `shards` now (claiming it if free), or hands it back. */
  async admit(shard: number, shards: number): Promise<Admission> {
    const now = this.#now();
    const keys = Array.from({ length: shards }, (_, k) => this.#ownerKey(shards, k));
    const [owners, live] = await Promise.all([this.#redis.mget(...keys), this.#redis.zrangebyscore(this.#liveKey, now - LIVE_MS, '+inf')]);
    const decision = admit({ self: this.#self, shards, owners, live: new Set(live) }, shard);
    const key = keys[shard]!;
    if (decision.action === 'run') {
      this.#held.set(key, now);
      await this.#redis.eval(RENEW, 1, key, this.#self, String(LEASE_MS));
      return { run: true, claimed: false };
    }
    if (decision.action === 'hand-back') return { run: false, delayMs: decision.delayMs, reason: decision.reason };
    const claimed = await this.#redis.eval(CLAIM, 1, key, this.#self, owners[shard] ?? '', String(LEASE_MS));
    if (claimed !== 1) return { run: false, delayMs: 10, reason: 'lost-claim' };
    this.#held.set(key, now);
    return { run: true, claimed: true };
  }

  /** Stops the heartbeat and releases every lease, so the other workers take the shards at once. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const key of this.#held.keys()) await this.#redis.eval(RELEASE, 1, key, this.#self);
    this.#held.clear();
    await this.#redis.zrem(this.#liveKey, this.#self);
  }
}

/** Hand-overs a shard job has had (kept in its data, so its attempt count can leave them out). */
export const handoversOf = (job: Job<ShardJobData>): number => job.data.handovers ?? 0;

/**
 * Runs `work` if this worker should run the shard job now; otherwise puts the job back, delayed, and
 * throws BullMQ's DelayedError (the job is neither failed nor retried: it waits for its owner).
 */
export async function withShardAffinity<T>(affinity: ShardAffinity, job: Job<ShardJobData>, token: string | undefined, work: () => Promise<T>): Promise<T> {
  const handovers = handoversOf(job);
  if (handovers < MAX_HANDOVERS) {
    const admission = await affinity.admit(job.data.shard, job.data.shards);
    if (!admission.run) {
      await job.updateData({ ...job.data, handovers: handovers + 1 });
      await job.moveToDelayed(Date.now() + admission.delayMs, token);
      throw new DelayedError(`shard ${String(job.data.shard)} of ${String(job.data.shards)}: ${admission.reason}`);
    }
  }
  return work();
}
