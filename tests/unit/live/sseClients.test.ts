// The SSE client set over real loopback sockets: a client that stops reading is dropped once its
// unread output passes the cap (the others keep receiving), and a resume writes the missed events,
// then the ones that arrived meanwhile, none twice and in id order.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClients, type SseClient } from '../../../server/live/sseClients.ts';

interface Event {
  id: string;
  text: string;
}

const frames = (events: readonly Event[]): string => events.map((event) => `id: ${event.id}\ndata: ${event.text}\n\n`).join('');

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback HTTP server whose responses are handed to `accept` once their headers are written. */
async function listen(accept: (raw: ServerResponse) => void): Promise<number> {
  server = createServer((_request, raw) => {
    raw.writeHead(200, { 'content-type': 'text/event-stream' });
    raw.flushHeaders();
    accept(raw);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A raw client; `received` holds what it read while reading. */
function open(port: number): { socket: Socket; received: () => string } {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => {});
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  return { socket, received: () => text };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SseClients', () => {
  it('drops a client that stops reading once its unread output passes the cap; a reading client gets everything', async () => {
    const clients = new SseClients<Event, SseClient<Event>>({ frames, maxBufferedBytes: 64 * 1024, heartbeatMs: 60_000 });
    const responses: ServerResponse[] = [];
    const port = await listen((raw) => {
      responses.push(raw);
      void clients.add({ raw, lastId: '0-0', pending: null }, null);
    });
    const slow = open(port);
    await until(() => clients.size === 1, 'the slow client');
    slow.socket.pause();
    const fast = open(port);
    await until(() => clients.size === 2, 'the fast client');

    const payload = 'x'.repeat(16 * 1024);
    let sequence = 0;
    // Enough to fill the kernel's socket buffers of the paused client and then the cap.
    while (clients.dropped === 0 && sequence < 20_000) {
      sequence += 1;
      for (const client of clients) clients.write(client, [{ id: `${sequence}-0`, text: payload }]);
      // One round at a time, so the reading client's socket drains between rounds as a real one's would.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(clients.dropped).toBe(1);
    expect(clients.size).toBe(1);
    expect(responses[0]!.destroyed).toBe(true);
    await until(() => fast.received().includes(`id: ${sequence}-0\n`), 'the last event at the fast client');
    expect(fast.received().split('\ndata: ').length - 1).toBe(sequence);
    clients.close();
  });

  it('resumes with the missed events first, then those that arrived meanwhile, none twice', async () => {
    const clients = new SseClients<Event, SseClient<Event>>({ frames, heartbeatMs: 60_000 });
    let release: (events: Event[]) => void = () => {};
    const port = await listen((raw) => {
      const client: SseClient<Event> = { raw, lastId: '2-0', pending: [] };
      void clients.add(client, () => new Promise<Event[]>((resolve) => (release = resolve)));
    });
    const reader = open(port);
    await until(() => clients.size === 1, 'the resuming client');
    // Live events while the backlog is read: they wait, and the one the backlog also has is written once.
    for (const client of clients) client.pending!.push({ id: '4-0', text: 'd' }, { id: '5-0', text: 'e' });
    release([
      { id: '3-0', text: 'c' },
      { id: '4-0', text: 'd' },
    ]);
    await until(() => reader.received().includes('id: 5-0'), 'the live event after the backlog');
    const ids = [...reader.received().matchAll(/^id: (\S+)$/gm)].map((match) => match[1]);
    expect(ids).toEqual(['3-0', '4-0', '5-0']);
    clients.close();
  });
});
