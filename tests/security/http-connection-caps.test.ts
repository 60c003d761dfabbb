import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildFullApiApp, openSse, type FullApiApp, type FullApiOptions, type SseConnection } from '../integration/api/app.ts';
import { openApiWorld, type ApiWorld } from '../integration/api/support.ts';

/**
 * Long-lived connections (SSE and the leaderboard WebSocket) are capped per client address and per
 * process, and a full process makes room for a new address by evicting from the address holding the
 * most. Client addresses are loopback aliases (127.0.0.x), so each is a real, different peer.
 */

let world: ApiWorld;
const apps: FullApiApp[] = [];
const opened: Array<{ close(): void }> = [];

beforeAll(async () => {
  world = await openApiWorld();
  await world.addTeam('alpha');
});
afterAll(async () => {
  for (const connection of opened) connection.close();
  await Promise.all(apps.map((app) => app.close()));
  await world.close();
});

async function serve(live: FullApiOptions['live']): Promise<string> {
  const api = await buildFullApiApp(world, { live: { sseHeartbeatMs: 60_000, ...live } });
  apps.push(api);
  return api.listen();
}

async function sse(url: string, from: string): Promise<SseConnection> {
  const connection = await openSse(`${url}/activity/stream`, {}, from);
  opened.push(connection);
  return connection;
}

interface WsOutcome {
  /** 101 when upgraded, else the HTTP status of the refusal. */
  status: number;
  body: string;
  socket: WebSocket;
  closed: Promise<number>;
}

function ws(url: string, from: string): Promise<WsOutcome> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws/leaderboard`, { localAddress: from });
  opened.push({ close: () => socket.terminate() });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    socket.on('open', () => resolve({ status: 101, body: '', socket, closed }));
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, socket, closed }));
    });
    socket.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe('SSE /activity/stream', () => {
  it('caps the streams of one client address (429 JSON) without affecting other addresses, and frees a slot on close', async () => {
    const url = await serve({ sseMaxClients: 100, sseMaxClientsPerAddress: 3 });
    const mine = [await sse(url, '127.0.0.2'), await sse(url, '127.0.0.2'), await sse(url, '127.0.0.2')];
    expect(mine.map((connection) => connection.status)).toEqual([200, 200, 200]);
    const refused = await sse(url, '127.0.0.2');
    expect(refused.status).toBe(429);
    await expect.poll(() => refused.ended).toBe(true);
    expect(JSON.parse(refused.body)).toEqual({ error: 'too_many_requests', message: expect.stringContaining('per client address') as unknown });
    expect((await sse(url, '127.0.0.3')).status).toBe(200);

    mine[0]!.close();
    await expect
      .poll(async () => {
        const again = await sse(url, '127.0.0.2');
        again.close();
        return again.status;
      })
      .toBe(200);
  });

  it('when full, a new address evicts the oldest stream of the address holding the most; 503 once shares are even', async () => {
    const url = await serve({ sseMaxClients: 4, sseMaxClientsPerAddress: 4 });
    const hog: SseConnection[] = [];
    for (let i = 0; i < 4; i += 1) hog.push(await sse(url, '127.0.0.4'));
    expect(hog.map((connection) => connection.status)).toEqual([200, 200, 200, 200]);

    const first = await sse(url, '127.0.0.5');
    expect(first.status).toBe(200);
    await expect.poll(() => hog.map((connection) => connection.ended)).toEqual([true, false, false, false]);
    const second = await sse(url, '127.0.0.5');
    expect(second.status).toBe(200);
    await expect.poll(() => hog.map((connection) => connection.ended)).toEqual([true, true, false, false]);

    // 2 and 2: taking another slot would only move the imbalance to the other side.
    const third = await sse(url, '127.0.0.5');
    expect(third.status).toBe(503);
    await expect.poll(() => third.ended).toBe(true);
    expect(JSON.parse(third.body)).toMatchObject({ error: 'unavailable' });
    expect([first.ended, second.ended, hog[2]!.ended, hog[3]!.ended]).toEqual([false, false, false, false]);
  });
});

describe('WebSocket /ws/leaderboard', () => {
  it('caps the sockets of one client address with a 429 JSON answer before the upgrade', async () => {
    const url = await serve({ wsMaxClients: 100, wsMaxClientsPerAddress: 2 });
    expect((await ws(url, '127.0.0.6')).status).toBe(101);
    expect((await ws(url, '127.0.0.6')).status).toBe(101);
    const refused = await ws(url, '127.0.0.6');
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toEqual({ error: 'too_many_requests', message: expect.stringContaining('per client address') as unknown });
    expect((await ws(url, '127.0.0.7')).status).toBe(101);
  });

  it('when full, evicts the oldest socket of the heaviest address (close code 1013), then answers 503 JSON', async () => {
    const url = await serve({ wsMaxClients: 2, wsMaxClientsPerAddress: 2 });
    const hog = [await ws(url, '127.0.0.8'), await ws(url, '127.0.0.8')];
    expect(hog.map((outcome) => outcome.status)).toEqual([101, 101]);

    const newcomer = await ws(url, '127.0.0.9');
    expect(newcomer.status).toBe(101);
    expect(await hog[0]!.closed).toBe(1013);
    expect(hog[1]!.socket.readyState).toBe(WebSocket.OPEN);

    const late = await ws(url, '127.0.0.10');
    expect(late.status).toBe(503);
    expect(JSON.parse(late.body)).toMatchObject({ error: 'unavailable' });
  });
});
