import path from 'node:path';
import { z } from 'zod';

/**
 * Every environment variable the server reads, validated once at start into one typed object.
 * A wrong value stops the program with the variable's name and what is expected.
 */

const projectRoot = path.resolve(import.meta.dirname, '../..');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a TCP port number (1-65535)` })
    .int(`${name} must be a TCP port number (1-65535)`)
    .min(1, `${name} must be a TCP port number (1-65535)`)
    .max(65535, `${name} must be a TCP port number (1-65535)`);

const positiveInt = (name: string, what: string) =>
  z.coerce.number({ error: `${name} must be ${what}` }).int(`${name} must be ${what}`).positive(`${name} must be ${what}`);

const urlWithScheme = (name: string, schemes: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        return schemes.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `${name} must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`);

const EnvSchema = z.object({
  PORT: port('PORT').default(8000),
  HOST: z.string().trim().min(1, 'HOST must be a host name or IP address to listen on').default('127.0.0.1'),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  DATABASE_URL: urlWithScheme('DATABASE_URL', ['postgres:', 'postgresql:']).optional(),
  REDIS_URL: urlWithScheme('REDIS_URL', ['redis:', 'rediss:']).optional(),
  QTC_REGISTRY_FILE: z.string().trim().min(1, 'QTC_REGISTRY_FILE must be a file path').default(path.join(projectRoot, 'team_registry.yaml')),
  QTC_DATA_DIR: z.string().trim().min(1, 'QTC_DATA_DIR must be a folder path').default(path.join(projectRoot, '.qtc')),
  PG_POOL_MAX: positiveInt('PG_POOL_MAX', 'a positive integer (connections)').default(10),
  SERVICE_CONNECT_TIMEOUT_MS: positiveInt('SERVICE_CONNECT_TIMEOUT_MS', 'a positive integer (milliseconds)').default(10_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt('SHUTDOWN_TIMEOUT_MS', 'a positive integer (milliseconds)').default(10_000),
});

export type Config = Readonly<{
  port: number;
  host: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Absent: the server runs its own Postgres cluster in `dataDir`. */
  databaseUrl: string | undefined;
  /** Absent: the server runs its own redis-server in `dataDir`. */
  redisUrl: string | undefined;
  dataDir: string;
  registryFile: string;
  pgPoolMax: number;
  serviceConnectTimeoutMs: number;
  shutdownTimeoutMs: number;
  projectRoot: string;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Empty strings count as unset, so `DATABASE_URL= npm start` means "use the embedded default". */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      const got = env[name];
      return `${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(redactUrl(got))})`}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir: path.resolve(e.QTC_DATA_DIR),
    registryFile: path.resolve(e.QTC_REGISTRY_FILE),
    pgPoolMax: e.PG_POOL_MAX,
    serviceConnectTimeoutMs: e.SERVICE_CONNECT_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    projectRoot,
  });
}

/** URLs may carry passwords; anything printed or logged goes through this. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}
