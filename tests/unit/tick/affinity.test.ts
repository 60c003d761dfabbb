import { describe, expect, it } from 'vitest';
import { admit } from '../../../server/tick/shardAffinity.ts';

const view = (self: string, owners: Array<string | null>, live: string[]) => ({ self, shards: owners.length, owners, live: new Set(live) });

describe('shard affinity: who runs a shard job', () => {
  it('runs its own shard and hands back one a live worker owns', () => {
    expect(admit(view('a', ['a', 'b'], ['a', 'b']), 0)).toEqual({ action: 'run' });
    expect(admit(view('a', ['a', 'b'], ['a', 'b']), 1)).toMatchObject({ action: 'hand-back', reason: 'owned-by-other' });
  });

  it('claims a free shard below its fair share, and leaves it to a worker below its share otherwise', () => {
    expect(admit(view('a', [null, null], ['a', 'b']), 0)).toEqual({ action: 'claim' });
    expect(admit(view('a', ['a', null], ['a', 'b']), 1)).toMatchObject({ action: 'hand-back', reason: 'over-share' });
    // Alone, a worker takes every shard.
    expect(admit(view('a', ['a', null], ['a']), 1)).toEqual({ action: 'claim' });
    // Three shards, two workers: a share is two.
    expect(admit(view('a', ['a', 'b', null], ['a', 'b']), 2)).toEqual({ action: 'claim' });
  });

  it('takes over the shards of a worker that stopped heartbeating', () => {
    expect(admit(view('b', ['a', 'b'], ['b']), 0)).toEqual({ action: 'claim' });
    // With a third live worker holding nothing, the gone worker's shard is left to it.
    expect(admit(view('b', ['a', 'b'], ['b', 'c']), 0)).toMatchObject({ action: 'hand-back', reason: 'owner-gone' });
    expect(admit(view('c', ['a', 'b'], ['b', 'c']), 0)).toEqual({ action: 'claim' });
  });
});
