// `qtc admin urls`: what a worker or API replica on another machine sets to reach this machine's
// embedded Postgres and Redis (started by `qtc all` with QTC_EMBEDDED_LISTEN). Loaded only when used.
import { embeddedPostgresUrl } from '../../../data/embedded/postgresCluster.ts';
import { embeddedRedisUrl } from '../../../data/embedded/redisServer.ts';
import { loadConfig } from '../../config/config.ts';

/** Shell-quoted, so `eval "$(npx qtc admin urls --host …)"` works whatever the password holds. */
const quoted = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

export function urlsCommand(options: { host: string }): void {
  const config = loadConfig();
  const postgres = embeddedPostgresUrl(config.dataDir, options.host);
  const redis = embeddedRedisUrl(config.dataDir, options.host);
  if (postgres === undefined || redis === undefined) {
    throw new Error(`no embedded Postgres and Redis in ${config.dataDir} yet: start qtc all (npm start) here first`);
  }
  if (!config.embeddedListen.includes(options.host)) {
    process.stderr.write(`qtc: note: the embedded servers answer at ${options.host} only if qtc all was started with QTC_EMBEDDED_LISTEN=${options.host}\n`);
  }
  process.stdout.write(`export DATABASE_URL=${quoted(postgres)}\nexport REDIS_URL=${quoted(redis)}\n`);
}
