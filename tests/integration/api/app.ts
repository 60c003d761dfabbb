import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { createRedis } from '../../../data/redis/client.ts';
import { ApiKeyStore } from '../../../registry/keys/store.ts';
import { AdminKeys } from '../../../server/auth/adminKeys.ts';
import { createAuthenticator } from '../../../server/auth/authenticate.ts';
import { buildHttpApp } from '../../../server/http/app.ts';
import { registerLiveApi, type LiveApiDeps } from '../../../server/http/routes/liveApi.ts';
import { createMetrics } from '../../../server/observability/metrics.ts';
import { silentLog } from '../../support/silentLog.ts';
import type { ApiWorld } from './support.ts';

export const ADMIN_KEY = 'admin-key-for-tests-0123456789abcdef0123';

export interface ApiApp {
  app: FastifyInstance;
  keys: ApiKeyStore;
  /** http://127.0.0.1:<port> once `listen()` was called. */
  url: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The API as `qtc all` builds it (plugins, authentication, every live route) on the world's database and Redis keys. */
export async function buildApiApp(world: ApiWorld, overrides: Partial<LiveApiDeps> = {}, rateLimitPrefix = `${world.keys.activityStream}:rl:`): Promise<ApiApp> {
  const keys = new ApiKeyStore({ pool: world.pool, graceMs: 0 });
  const auth = createAuthenticator({ verifyTeamKey: (key) => keys.verify(key), adminKeys: new AdminKeys([ADMIN_KEY]) });
  const app = buildHttpApp({
    logger: silentLog,
    metrics: createMetrics(),
    probes: {},
    plugins: { rateLimitRedis: world.redis, rateLimitPrefix },
  });
  registerLiveApi(app, { pg: world.pool, redis: world.redis, openRedis: () => createRedis(world.redisUrl), auth, keys: world.keys, ...overrides });
  await app.ready();
  const result: ApiApp = {
    app,
    keys,
    url: '',
    async listen() {
      result.url = await app.listen({ port: 0, host: '127.0.0.1' });
      return result.url;
    },
    close: () => app.close(),
  };
  return result;
}

export interface SseConnection {
  /** Parsed `data:` payloads with their ids, in order. */
  events: Array<{ id: string; data: { id: string; type: string; message: string; event: Record<string, unknown> } }>;
  comments: string[];
  status: number;
  close(): void;
}

/** A raw SSE client (no EventSource in Node): parses frames as they arrive. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      const connection: SseConnection = { events: [], comments: [], status: response.statusCode ?? 0, close: () => request.destroy() };
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id = '';
          let data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) connection.comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data !== '') connection.events.push({ id, data: JSON.parse(data) as SseConnection['events'][number]['data'] });
        }
      });
      response.on('error', () => undefined);
      resolve(connection);
    });
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
  });
}
