import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createRedis } from '../../../data/redis/client.ts';
import { ApiKeyStore, type KeyVerification } from '../../../registry/keys/store.ts';
import { createLiveRegistry } from '../../../registry/live.ts';
import { AdminKeys } from '../../../server/auth/adminKeys.ts';
import { createAuthenticator } from '../../../server/auth/authenticate.ts';
import { buildHttpApp } from '../../../server/http/app.ts';
import type { HttpPluginOptions } from '../../../server/http/plugins/index.ts';
import { registerAdminRoutes } from '../../../server/http/routes/admin.ts';
import { registerGitHookRoutes, type GitHookRouteDeps } from '../../../server/http/routes/hooks.ts';
import { registerLiveApi, type LiveApiDeps } from '../../../server/http/routes/liveApi.ts';
import { registerTeamRoutes } from '../../../server/http/routes/team.ts';
import { createMetrics } from '../../../server/observability/metrics.ts';
import { silentLog } from '../../support/silentLog.ts';
import { makeTempDir } from '../../support/tempDir.ts';
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

export interface FullApiApp extends ApiApp {
  /** Team keys looked up so far (to prove a refusal came before any lookup). */
  lookups: () => number;
}

export interface FullApiOptions {
  /** Teams of the registry file; they must exist in the world (`addTeam`) already. */
  teams?: string[];
  plugins?: Partial<HttpPluginOptions>;
  live?: Partial<LiveApiDeps>;
  hooks?: Partial<GitHookRouteDeps>;
  /** Limit of `GET /api/v1/team/{id}` (compose leaves the default, 300). */
  teamRateLimitPerMinute?: number;
  logger?: Logger;
}

/**
 * Every route `qtc all` serves, wired as `startHttp` in server/compose.ts wires them: admin, team,
 * Git webhook and live routes on one app with the plugins counting in Redis (under this test's prefix).
 */
export async function buildFullApiApp(world: ApiWorld, options: FullApiOptions = {}): Promise<FullApiApp> {
  const temp = makeTempDir('qtc-api-');
  const registryFile = path.join(temp.dir, 'team_registry.yaml');
  const teams = (options.teams ?? ['alpha']).map((id) => `  - id: ${id}\n    name: Team ${id}\n    repo: https://git.example.org/${id}.git\n`).join('');
  writeFileSync(registryFile, `competition:\n  name: Test Cup\n  universe: [SPY]\nteams:\n${teams}`);
  const registry = createLiveRegistry({ file: registryFile, pool: world.pool, log: silentLog });
  await registry.load();
  const keys = new ApiKeyStore({ pool: world.pool, graceMs: 0 });
  let lookups = 0;
  const verifyTeamKey = (key: string): Promise<KeyVerification> => {
    lookups += 1;
    return keys.verify(key);
  };
  const auth = createAuthenticator({ verifyTeamKey, adminKeys: new AdminKeys([ADMIN_KEY]) });
  const app = buildHttpApp({
    logger: options.logger ?? silentLog,
    metrics: createMetrics(),
    probes: {},
    plugins: { rateLimitRedis: world.redis, rateLimitPrefix: `${world.keys.activityStream}:http:`, ...options.plugins },
  });
  void app.register((scope, _options, done) => {
    registerAdminRoutes(scope, { auth, registry, keys, pool: world.pool });
    registerTeamRoutes(scope, { auth, registry, ...(options.teamRateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: options.teamRateLimitPerMinute }) });
    done();
  });
  registerGitHookRoutes(app, { secretFor: () => Promise.resolve(null), requestSync: () => true, ...options.hooks });
  registerLiveApi(app, { pg: world.pool, redis: world.redis, openRedis: () => createRedis(world.redisUrl), auth, keys: world.keys, ...options.live });
  await app.ready();
  const result: FullApiApp = {
    app,
    keys,
    url: '',
    lookups: () => lookups,
    async listen() {
      result.url = await app.listen({ port: 0, host: '127.0.0.1' });
      return result.url;
    },
    async close() {
      await app.close();
      temp.remove();
    },
  };
  return result;
}

export interface SseConnection {
  /** Parsed `data:` payloads with their ids, in order. */
  events: Array<{ id: string; data: { id: string; type: string; message: string; event: Record<string, unknown> } }>;
  comments: string[];
  status: number;
  /** Everything received, raw (a refusal's JSON body, or the stream). */
  body: string;
  /** The server closed the connection (or it was closed). */
  ended: boolean;
  close(): void;
}

/** A raw SSE client (no EventSource in Node): parses frames as they arrive. `localAddress` (127.0.0.x) makes it another client address. */
export function openSse(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, ...(localAddress ? { localAddress } : {}) }, (response) => {
      const connection: SseConnection = { events: [], comments: [], status: response.statusCode ?? 0, body: '', ended: false, close: () => request.destroy() };
      response.on('close', () => (connection.ended = true));
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        connection.body += chunk;
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
