import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { ApiKeyStore } from '../../../registry/keys/store.ts';
import { createLiveRegistry } from '../../../registry/live.ts';
import type { RegistryStore } from '../../../registry/store.ts';
import { AdminKeys } from '../../../server/auth/adminKeys.ts';
import { createAuthenticator } from '../../../server/auth/authenticate.ts';
import { buildHttpApp } from '../../../server/http/app.ts';
import { registerAdminRoutes } from '../../../server/http/routes/admin.ts';
import { registerTeamRoutes } from '../../../server/http/routes/team.ts';
import { createMetrics } from '../../../server/observability/metrics.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { silentLog } from '../../support/silentLog.ts';
import { makeTempDir } from '../../support/tempDir.ts';

export const ADMIN_KEY = 'admin-key-for-tests-0123456789abcdefghij';
export const GRACE_MS = 60 * 60 * 1000;

export function registryText(teams: Array<{ id: string; enabled?: boolean }>): string {
  const entries = teams
    .map((team) => `  - id: ${team.id}\n    name: Team ${team.id}\n    repo: https://git.example.org/${team.id}.git\n    enabled: ${team.enabled ?? true}\n`)
    .join('');
  return `competition:\n  name: Test Cup\n  universe: [SPY, QQQ]\nteams:\n${entries || '  []\n'}`;
}

export interface Harness {
  app: FastifyInstance;
  pool: PgPool;
  registry: RegistryStore;
  keys: ApiKeyStore;
  registryFile: string;
  clock: { now: Date; advance(ms: number): void };
  writeRegistry(text: string): void;
  close(): Promise<void>;
}

/** A real database, a registry file in a temp folder, and a Fastify app with the admin and team routes. */
export async function startHarness(options: { logger?: Logger; teams?: Array<{ id: string; enabled?: boolean }> } = {}): Promise<Harness> {
  const database = await createTestDatabase();
  const pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
  await migrateUp(pool);
  const temp = makeTempDir('qtc-auth-');
  const registryFile = path.join(temp.dir, 'team_registry.yaml');
  const writeRegistry = (text: string) => writeFileSync(registryFile, text);
  writeRegistry(registryText(options.teams ?? [{ id: 'alpha' }, { id: 'beta' }]));
  const clock = {
    now: new Date('2025-07-08T14:00:00Z'),
    advance(ms: number) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  const now = () => clock.now;
  const registry = createLiveRegistry({ file: registryFile, pool, log: silentLog, clock: now });
  await registry.load();
  const keys = new ApiKeyStore({ pool, graceMs: GRACE_MS, clock: now });
  const auth = createAuthenticator({ verifyTeamKey: (key) => keys.verify(key), adminKeys: new AdminKeys([ADMIN_KEY]) });
  const app = buildHttpApp({ logger: options.logger ?? silentLog, metrics: createMetrics(), probes: {} });
  registerAdminRoutes(app, { auth, registry, keys, pool, clock: now });
  registerTeamRoutes(app, { auth, registry });
  await app.ready();
  return {
    app,
    pool,
    registry,
    keys,
    registryFile,
    clock,
    writeRegistry,
    close: async () => {
      await app.close();
      await pool.end();
      await database.drop();
      temp.remove();
    },
  };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
