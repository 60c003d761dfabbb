import { execFile } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedPostgresUrl, startEmbeddedPostgres, type EmbeddedService } from '../../data/embedded/postgresCluster.ts';
import { embeddedRedisUrl, startEmbeddedRedis } from '../../data/embedded/redisServer.ts';
import { silentLog } from '../support/silentLog.ts';
import { makeTempDir } from '../support/tempDir.ts';

/**
 * QTC_EMBEDDED_LISTEN: the embedded Postgres and Redis of `qtc all` also listen on the addresses it
 * names (here 127.0.0.2, an address of this machine that is not 127.0.0.1, standing in for the address
 * other machines reach), with the same passwords, and `qtc admin urls --host` prints the URLs to use there.
 */

const projectRoot = path.resolve(import.meta.dirname, '../..');

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one === 1;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

describe('embedded Postgres and Redis reachable from other machines (QTC_EMBEDDED_LISTEN)', { timeout: 120_000 }, () => {
  const temp = makeTempDir('qtc-embedded-listen-');
  const services: EmbeddedService[] = [];
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    temp.remove();
  });

  it('listen on 127.0.0.1 and the named address, with the password, and nowhere else; qtc admin urls prints the remote URLs', async () => {
    services.push(await startEmbeddedPostgres({ dataDir: temp.dir, log: silentLog, listen: ['127.0.0.2'] }));
    services.push(await startEmbeddedRedis({ dataDir: temp.dir, log: silentLog, listen: ['127.0.0.2'] }));
    const remotePostgres = embeddedPostgresUrl(temp.dir, '127.0.0.2')!;
    const remoteRedis = embeddedRedisUrl(temp.dir, '127.0.0.2')!;
    expect(remotePostgres).toContain('@127.0.0.2:');
    expect(await postgresAnswers(remotePostgres)).toBe(true);
    expect(await redisAnswers(remoteRedis)).toBe(true);
    expect(await postgresAnswers(services[0]!.url)).toBe(true);
    // Not on an address it was not asked for, and not without the password.
    expect(await postgresAnswers(embeddedPostgresUrl(temp.dir, '127.0.0.3')!)).toBe(false);
    expect(await redisAnswers(embeddedRedisUrl(temp.dir, '127.0.0.3')!)).toBe(false);
    expect(await postgresAnswers(remotePostgres.replace(/:[^:@/]+@/, ':wrong-password@'))).toBe(false);
    expect(await redisAnswers(remoteRedis.replace(/:[^:@/]+@/, ':wrong-password@'))).toBe(false);

    const printed = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--no-node-snapshot', 'bin/qtc.js', 'admin', 'urls', '--host', '127.0.0.2'],
        { cwd: projectRoot, env: { ...process.env, QTC_DATA_DIR: temp.dir, QTC_EMBEDDED_LISTEN: '127.0.0.2' } },
        (error, stdout, stderr) => (error ? reject(new Error(`qtc admin urls failed: ${stderr}`, { cause: error })) : resolve({ stdout, stderr })),
      ),
    );
    expect(printed.stderr).toBe('');
    expect(printed.stdout).toBe(`export DATABASE_URL='${remotePostgres}'\nexport REDIS_URL='${remoteRedis}'\n`);
  });
});
