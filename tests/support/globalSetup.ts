import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedService } from '../../data/embedded/postgresCluster.ts';
import { startEmbeddedRedis } from '../../data/embedded/redisServer.ts';
import { silentLog } from './silentLog.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

/**
 * Real Postgres and Redis for the whole run: the ones named by TEST_DATABASE_URL / TEST_REDIS_URL,
 * or throwaway servers started the same way the product starts its embedded ones.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: EmbeddedService[] = [];
  let dataDir: string | undefined;
  const ensureDataDir = () => {
    if (!dataDir) {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-test-'));
      chmodSync(dataDir, 0o755);
    }
    return dataDir;
  };
  const [databaseUrl, redisUrl] = await Promise.all([
    process.env.TEST_DATABASE_URL ?? startEmbeddedPostgres({ dataDir: ensureDataDir(), log: silentLog }).then((service) => (started.push(service), service.url)),
    process.env.TEST_REDIS_URL ?? startEmbeddedRedis({ dataDir: ensureDataDir(), log: silentLog }).then((service) => (started.push(service), service.url)),
  ]);
  project.provide('databaseUrl', databaseUrl);
  project.provide('redisUrl', redisUrl);
  return async () => {
    await Promise.all(started.map((service) => service.stop()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
