import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { computeAndPublishLeaderboard } from '../../../server/leaderboard/publish.ts';
import type { LeaderboardView } from '../../../server/leaderboard/view.ts';
import { publishActivity } from '../../../server/live/activity.ts';
import type { ActivityEvent } from '../../../server/live/events.ts';
import { buildApiApp, openSse, type ApiApp } from './app.ts';
import { MINUTE, openApiWorld, type ApiWorld } from './support.ts';

let world: ApiWorld;
let replicas: ApiApp[];

const trade = (quantity: number): ActivityEvent => ({
  type: 'trade',
  at: MINUTE,
  teamId: 'alpha',
  symbol: 'SPY',
  side: 'buy',
  quantity,
  price: 100,
  clientOrderId: `c-${quantity}`,
});
const publish = (event: ActivityEvent) => publishActivity(world.redis, event, world.keys.activityStream);

beforeAll(async () => {
  world = await openApiWorld();
  await world.addTeam('alpha');
  await world.addTeam('beta');
  // Two API replicas on one Redis, as behind a load balancer.
  replicas = [await buildApiApp(world, { sseHeartbeatMs: 200 }), await buildApiApp(world, { sseHeartbeatMs: 200 })];
  await Promise.all(replicas.map((replica) => replica.listen()));
});
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
  await world.close();
});

describe('GET /activity/stream', () => {
  it('delivers published events on every replica, with stream ids as event ids, and heartbeats', async () => {
    const clients = await Promise.all(replicas.map((replica) => openSse(`${replica.url}/activity/stream`)));
    try {
      expect(clients.map((client) => client.status)).toEqual([200, 200]);
      const ids = [await publish(trade(1)), await publish(trade(2)), await publish({ type: 'competition_resumed', at: MINUTE })];
      for (const client of clients) {
        await expect.poll(() => client.events.length).toBe(3);
        expect(client.events.map((event) => event.id)).toEqual(ids);
        expect(client.events.map((event) => event.data.type)).toEqual(['trade', 'trade', 'competition_resumed']);
        expect(client.events[0]!.data).toMatchObject({ id: ids[0], message: 'alpha bought 1 SPY at $100.00', event: { quantity: 1 } });
        await expect.poll(() => client.comments.includes('heartbeat')).toBe(true);
      }
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('resumes after Last-Event-ID with what was missed, then continues live, nothing twice', async () => {
    const first = await publish(trade(10));
    const missed = [await publish(trade(11)), await publish(trade(12))];
    const client = await openSse(`${replicas[1]!.url}/activity/stream`, { 'last-event-id': first });
    try {
      await expect.poll(() => client.events.length).toBe(2);
      const live = await publish(trade(13));
      await expect.poll(() => client.events.length).toBe(3);
      expect(client.events.map((event) => event.id)).toEqual([...missed, live]);
    } finally {
      client.close();
    }
    const viaQuery = await openSse(`${replicas[0]!.url}/activity/stream?last_event_id=${missed[1]}`);
    try {
      await expect.poll(() => viaQuery.events.length).toBe(1);
      expect(viaQuery.events[0]!.data.event).toMatchObject({ quantity: 13 });
    } finally {
      viaQuery.close();
    }
  });

  it('refuses a Last-Event-ID that is not a stream id', async () => {
    const response = await replicas[0]!.app.inject({ url: '/activity/stream', headers: { 'last-event-id': 'yesterday' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'bad_request' });
  });

  // Past 2^64 - 1 Redis refuses the id: the resume read failed after the stream had been answered 200.
  it.each(['18446744073709551616-0', '0-99999999999999999999'])('refuses %s, a stream id Redis cannot hold, with 400', async (id) => {
    const response = await replicas[0]!.app.inject({ url: `/activity/stream?last_event_id=${id}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'bad_request' });
  });
});

describe('GET /ws/leaderboard', () => {
  it('sends the board on connect and pushes it after every computeAndPublishLeaderboard, on every replica', async () => {
    await world.snapshot(MINUTE);
    await computeAndPublishLeaderboard(world.pool, world.redis, MINUTE, { keys: world.keys });
    const sockets = replicas.map((replica) => new WebSocket(`${replica.url.replace('http', 'ws')}/ws/leaderboard`));
    const received: LeaderboardView[][] = sockets.map(() => []);
    sockets.forEach((socket, index) => socket.on('message', (data: Buffer) => received[index]!.push(JSON.parse(data.toString('utf8')) as LeaderboardView)));
    try {
      await expect.poll(() => received.map((messages) => messages.length)).toEqual([1, 1]);
      expect(received[0]![0]!.minute).toBe(new Date(MINUTE).toISOString());

      await world.trade('beta', 'buy', 'SPY', 10, 100, MINUTE + 60_000);
      await world.snapshot(MINUTE + 60_000, { SPY: 120 });
      const published = await computeAndPublishLeaderboard(world.pool, world.redis, MINUTE + 60_000, { keys: world.keys });
      await expect.poll(() => received.map((messages) => messages.length)).toEqual([2, 2]);
      for (const messages of received) {
        expect(messages[1]).toEqual(published.view);
        expect(messages[1]!.leaderboard[0]).toMatchObject({ team_id: 'beta', portfolio_value: 100_200 });
      }
    } finally {
      for (const socket of sockets) socket.close();
    }
  });
});
