import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { UnknownTeamError, type GitSync } from '../../../loaders/git/gitSync.ts';
import type { TeamSyncResult } from '../../../loaders/git/syncTeam.ts';
import { parseRegistry } from '../../../registry/load.ts';
import { GitSyncUnavailableError, relayedGitSync, serveGitSyncRequests } from '../../../server/control/gitSyncRelay.ts';

/**
 * Git sync requests from an API replica reach the one process that runs the Git sync, over a real
 * Redis: webhooks (fire and forget) and "sync now" (answered). The Git sync itself is a recording
 * stand-in of our own GitSync port; its real behaviour is tested in this folder's other files.
 */

const parsed = parseRegistry(`competition:
  name: Relay Cup
  universe: [ SPY ]
teams:
  - { id: alpha, name: Alpha, repo: https://git.example.org/alpha.git }
  - { id: beta, name: Beta, repo: https://git.example.org/beta.git, enabled: false }
`);
if (!parsed.ok) throw new Error('bad test registry');
const registry = parsed.registry;
const log = pino({ level: 'silent' });
// Channels of this file alone: other test files run servers on the same Redis.
const channel = `test-relay-${randomBytes(6).toString('hex')}:git-sync`;

function recordingSync(): GitSync & { requested: string[]; asked: Array<string | undefined> } {
  const requested: string[] = [];
  const asked: Array<string | undefined> = [];
  return {
    requested,
    asked,
    requestSync: (team) => (requested.push(team), true),
    syncNow: (team) => {
      asked.push(team);
      if (team === 'nobody') return Promise.reject(new UnknownTeamError('no team "nobody" in the registry'));
      return Promise.resolve([{ teamId: team ?? 'alpha', outcome: 'unchanged', sha: 'a'.repeat(40) } as unknown as TeamSyncResult]);
    },
    stop: () => Promise.resolve(),
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Git sync relayed from API replicas to the control process over Redis', { timeout: 60_000 }, () => {
  const clients: RedisClient[] = [];
  const open = () => {
    const client = createRedis(inject('redisUrl'));
    clients.push(client);
    return client;
  };
  let redis: RedisClient;
  beforeAll(async () => {
    redis = open();
    await connectRedis(redis, 10_000);
  });
  afterAll(() => {
    for (const client of clients) client.disconnect();
  });

  it('without a control process: a webhook is still accepted (polling picks it up), sync now is 503-unavailable', async () => {
    const replica = relayedGitSync({ redis, openSubscriber: open, registry: () => registry, log, channel });
    expect(replica.requestSync('alpha')).toBe(true);
    expect(replica.requestSync('beta')).toBe(false); // disabled: refused as the control process would
    expect(replica.requestSync('nobody')).toBe(false);
    await expect(replica.syncNow('alpha')).rejects.toBeInstanceOf(GitSyncUnavailableError);
  });

  it('with one: webhooks reach it, sync now returns its results and its unknown-team refusal; malformed messages are ignored', async () => {
    const control = recordingSync();
    const stop = await serveGitSyncRequests({ gitSync: control, redis, subscriber: open(), log, channel });
    try {
      const replica = relayedGitSync({ redis, openSubscriber: open, registry: () => registry, log, channel });
      expect(replica.requestSync('alpha')).toBe(true);
      await until('the webhook to arrive', () => control.requested.length === 1);
      expect(control.requested).toEqual(['alpha']);

      await expect(replica.syncNow('alpha')).resolves.toEqual([{ teamId: 'alpha', outcome: 'unchanged', sha: 'a'.repeat(40) }]);
      await expect(replica.syncNow()).resolves.toHaveLength(1);
      await expect(replica.syncNow('nobody')).rejects.toBeInstanceOf(UnknownTeamError);
      expect(control.asked).toEqual(['alpha', undefined, 'nobody']);

      // Anything else on the channel is data: ignored, and the relay keeps serving.
      for (const junk of ['not json', '{"team":"Robert\'); DROP TABLE teams;--"}', '{"id":"x","team":"alpha"}', 'null', '[1,2]']) {
        await redis.publish(`${channel}:requests`, junk);
      }
      await expect(replica.syncNow('alpha')).resolves.toHaveLength(1);
      expect(control.requested).toEqual(['alpha']);
      expect(control.asked).toEqual(['alpha', undefined, 'nobody', 'alpha']);
    } finally {
      await stop();
    }
  });

  it('a request whose handling throws is logged, and the control process goes on serving', async () => {
    const control = {
      ...recordingSync(),
      requestSync: (): boolean => {
        throw new Error('sync queue broken');
      },
    };
    const stop = await serveGitSyncRequests({ gitSync: control, redis, subscriber: open(), log, channel });
    try {
      const replica = relayedGitSync({ redis, openSubscriber: open, registry: () => registry, log, channel });
      expect(replica.requestSync('alpha')).toBe(true);
      await expect(replica.syncNow('alpha')).resolves.toHaveLength(1);
      expect(control.asked).toEqual(['alpha']);
    } finally {
      await stop();
    }
  });

  it('a control process that does not answer in time is reported as unavailable', async () => {
    const silent = { ...recordingSync(), syncNow: () => new Promise<TeamSyncResult[]>(() => undefined) };
    const stop = await serveGitSyncRequests({ gitSync: silent, redis, subscriber: open(), log, channel });
    try {
      const replica = relayedGitSync({ redis, openSubscriber: open, registry: () => registry, log, answerTimeoutMs: 300, channel });
      await expect(replica.syncNow('alpha')).rejects.toThrow(/did not answer within 0.3 s/);
    } finally {
      await stop();
    }
  });
});
