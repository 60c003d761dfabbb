import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

/**
 * Every environment variable the server reads, validated once at start into one typed object.
 * A wrong value stops the program with the variable's name and what is expected.
 */

const projectRoot = path.resolve(import.meta.dirname, '../..');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const ALPACA_FEEDS = ['iex', 'sip'] as const;
export type AlpacaFeed = (typeof ALPACA_FEEDS)[number];

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a TCP port number (1-65535)` })
    .int(`${name} must be a TCP port number (1-65535)`)
    .min(1, `${name} must be a TCP port number (1-65535)`)
    .max(65535, `${name} must be a TCP port number (1-65535)`);

const positiveInt = (name: string, what: string) =>
  z.coerce
    .number({ error: `${name} must be ${what}` })
    .int(`${name} must be ${what}`)
    .positive(`${name} must be ${what}`);

const urlWithScheme = (name: string, schemes: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return schemes.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `${name} must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`,
    );

const EnvSchema = z.object({
  PORT: port('PORT').default(8000),
  HOST: z.string().trim().min(1, 'HOST must be a host name or IP address to listen on').default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  DATABASE_URL: urlWithScheme('DATABASE_URL', ['postgres:', 'postgresql:']).optional(),
  REDIS_URL: urlWithScheme('REDIS_URL', ['redis:', 'rediss:']).optional(),
  QTC_REGISTRY_FILE: z.string().trim().min(1, 'QTC_REGISTRY_FILE must be a file path').default(path.join(projectRoot, 'team_registry.yaml')),
  QTC_DATA_DIR: z.string().trim().min(1, 'QTC_DATA_DIR must be a folder path').default(path.join(projectRoot, '.qtc')),
  QTC_EMBEDDED_LISTEN: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((address) => address.trim())
        .filter((address) => address !== ''),
    )
    .pipe(
      z.array(
        z
          .string()
          .refine((address) => isIPv4(address) && address !== '127.0.0.1', 'QTC_EMBEDDED_LISTEN must list IPv4 addresses of this machine other than 127.0.0.1, comma-separated'),
      ),
    )
    .default([]),
  PG_POOL_MAX: positiveInt('PG_POOL_MAX', 'a positive integer (connections)').default(10),
  SERVICE_CONNECT_TIMEOUT_MS: positiveInt('SERVICE_CONNECT_TIMEOUT_MS', 'a positive integer (milliseconds)').default(10_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt('SHUTDOWN_TIMEOUT_MS', 'a positive integer (milliseconds)').default(10_000),
  QTC_ADMIN_KEYS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter((key) => key !== ''),
    )
    .refine(
      (keys) => keys.every((key) => key.length >= 32 && !/\s/.test(key)),
      'QTC_ADMIN_KEYS must be a comma-separated list of keys of at least 32 characters without spaces (e.g. from `openssl rand -base64 32`)',
    )
    .default([]),
  KEY_ROTATION_GRACE_MS: z.coerce
    .number({ error: 'KEY_ROTATION_GRACE_MS must be a whole number of milliseconds (0 or more)' })
    .int('KEY_ROTATION_GRACE_MS must be a whole number of milliseconds (0 or more)')
    .min(0, 'KEY_ROTATION_GRACE_MS must be a whole number of milliseconds (0 or more)')
    .default(86_400_000),
  GIT_POLL_INTERVAL_MS: z.coerce
    .number({ error: 'GIT_POLL_INTERVAL_MS must be a whole number of milliseconds (0 turns polling off)' })
    .int('GIT_POLL_INTERVAL_MS must be a whole number of milliseconds (0 turns polling off)')
    .min(0, 'GIT_POLL_INTERVAL_MS must be a whole number of milliseconds (0 turns polling off)')
    .default(60_000),
  GIT_ALLOWED_LOCAL_PATHS: z
    .string()
    .transform((value) =>
      value
        .split(path.delimiter)
        .map((folder) => folder.trim())
        .filter((folder) => folder !== ''),
    )
    .refine((folders) => folders.every((folder) => path.isAbsolute(folder)), `GIT_ALLOWED_LOCAL_PATHS must be absolute folder paths separated by "${path.delimiter}"`)
    .optional(),
  ALPACA_KEY_ID: z.string().trim().optional(),
  ALPACA_SECRET_KEY: z.string().trim().optional(),
  ALPACA_PAPER: z
    .enum(['true', 'false', '1', '0'], { error: 'ALPACA_PAPER must be true or false' })
    .transform((value) => value === 'true' || value === '1')
    .default(true),
  ALPACA_TRADING_URL: urlWithScheme('ALPACA_TRADING_URL', ['https:', 'http:']).optional(),
  ALPACA_DATA_URL: urlWithScheme('ALPACA_DATA_URL', ['https:', 'http:']).optional(),
  ALPACA_STREAM_URL: urlWithScheme('ALPACA_STREAM_URL', ['wss:', 'ws:']).optional(),
  ALPACA_FEED: z.enum(ALPACA_FEEDS, { error: `ALPACA_FEED must be one of ${ALPACA_FEEDS.join(', ')}` }).default('iex'),
  RATE_LIMIT_PUBLIC_PER_MINUTE: positiveInt('RATE_LIMIT_PUBLIC_PER_MINUTE', 'a positive integer (requests per minute per client address)').default(600),
  RATE_LIMIT_TEAM_PER_MINUTE: positiveInt('RATE_LIMIT_TEAM_PER_MINUTE', 'a positive integer (requests per minute per key)').default(300),
  SSE_MAX_CLIENTS: positiveInt('SSE_MAX_CLIENTS', 'a positive integer (open /activity/stream connections per process)').default(5_000),
  SSE_MAX_CLIENTS_PER_ADDRESS: positiveInt('SSE_MAX_CLIENTS_PER_ADDRESS', 'a positive integer (open /activity/stream connections per client address and process)').default(20),
  WS_MAX_CLIENTS: positiveInt('WS_MAX_CLIENTS', 'a positive integer (open /ws/leaderboard connections per process)').default(5_000),
  WS_MAX_CLIENTS_PER_ADDRESS: positiveInt('WS_MAX_CLIENTS_PER_ADDRESS', 'a positive integer (open /ws/leaderboard connections per client address and process)').default(20),
  AUTH_FAILURES_PER_MINUTE: positiveInt('AUTH_FAILURES_PER_MINUTE', 'a positive integer (failed authentications per minute that block a client address)').default(20),
  TRUST_PROXY: z
    .string()
    .trim()
    .refine(
      (value) => value === '' || value === 'false' || /^\d{1,2}$/.test(value) || value.split(',').every((part) => /^[0-9a-fA-F.:/]+$/.test(part.trim())),
      'TRUST_PROXY must be a number of proxy hops (1), or comma-separated proxy addresses or CIDR ranges (10.0.0.0/8,127.0.0.1)',
    )
    .default(''),
  SIM_MINUTE_MS: positiveInt('SIM_MINUTE_MS', 'a positive integer (real milliseconds per simulated market minute)').optional(),
  SIM_START: z
    .string()
    .trim()
    .refine(
      (value) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(value) && !Number.isNaN(Date.parse(value)),
      "SIM_START must be a date (YYYY-MM-DD: that day's opening bell) or an ISO time (2025-07-08T13:30:00Z)",
    )
    .optional(),
  REPLAY_FILE: z.string().trim().min(1, 'REPLAY_FILE must be the path of a CSV bars file').optional(),
  REPLAY_SPEED: z.coerce
    .number({ error: 'REPLAY_SPEED must be a positive number (1 = real time, 60 = one market minute per second)' })
    .positive('REPLAY_SPEED must be a positive number (1 = real time, 60 = one market minute per second)')
    .optional(),
  SEASON_START_AT: z
    .string()
    .trim()
    .refine((value) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)), 'SEASON_START_AT must be an ISO time (2026-12-03T18:00:00Z)')
    .optional(),
  SEASON_START_TIMEOUT_MS: z.coerce
    .number({ error: 'SEASON_START_TIMEOUT_MS must be a whole number of milliseconds (0 or more)' })
    .int('SEASON_START_TIMEOUT_MS must be a whole number of milliseconds (0 or more)')
    .min(0, 'SEASON_START_TIMEOUT_MS must be a whole number of milliseconds (0 or more)')
    .default(120_000),
  TICK_DELAY_MS: z.coerce
    .number({ error: 'TICK_DELAY_MS must be a whole number of milliseconds (0 or more)' })
    .int('TICK_DELAY_MS must be a whole number of milliseconds (0 or more)')
    .min(0, 'TICK_DELAY_MS must be a whole number of milliseconds (0 or more)')
    .default(5_000),
  TICK_SHARDS: positiveInt('TICK_SHARDS', 'a positive integer (shares of the teams per minute)').default(1),
  TICK_LOCK_MS: positiveInt('TICK_LOCK_MS', 'a positive integer (milliseconds)').default(30_000),
  WORKER_CONCURRENCY: positiveInt('WORKER_CONCURRENCY', 'a positive integer (jobs one worker runs at once)').default(1),
  SANDBOX_PROCESSES: positiveInt('SANDBOX_PROCESSES', 'a positive integer (sandbox child processes per pool)').optional(),
  SIM_SLIPPAGE_BPS: z.coerce
    .number({ error: 'SIM_SLIPPAGE_BPS must be a number of basis points from 0 to 1000' })
    .min(0, 'SIM_SLIPPAGE_BPS must be a number of basis points from 0 to 1000')
    .max(1000, 'SIM_SLIPPAGE_BPS must be a number of basis points from 0 to 1000')
    .default(0),
});

/** Secrets: never echoed in a configuration error, never enumerable on the config object (so never logged). */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['ALPACA_SECRET_KEY', 'QTC_ADMIN_KEYS']);

/**
 * The shared Alpaca account. Present only when both keys are set; otherwise the server runs on a simulated market.
 * `secretKey` is not enumerable: `JSON.stringify` and loggers do not see it.
 */
export type AlpacaConfig = Readonly<{
  keyId: string;
  secretKey: string;
  /** Paper trading (the default) or the live account. Chooses the default URLs below. */
  paper: boolean;
  tradingUrl: string;
  dataUrl: string;
  streamUrl: string;
  feed: AlpacaFeed;
}>;

export type Config = Readonly<{
  port: number;
  host: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Absent: the server runs its own Postgres cluster in `dataDir`. */
  databaseUrl: string | undefined;
  /** Absent: the server runs its own redis-server in `dataDir`. */
  redisUrl: string | undefined;
  dataDir: string;
  /**
   * Addresses the embedded Postgres and Redis listen on besides 127.0.0.1, so workers and API replicas
   * on other machines can reach them (password authentication; no TLS).
   */
  embeddedListen: string[];
  registryFile: string;
  pgPoolMax: number;
  serviceConnectTimeoutMs: number;
  shutdownTimeoutMs: number;
  projectRoot: string;
  /** QTC_ADMIN_KEYS: keys of the admin API. Serialises as "[redacted]", so logging the config never shows them. */
  adminKeys: readonly string[];
  /** How long a rotated team API key keeps working. */
  keyRotationGraceMs: number;
  /** How often every team's repository is checked for a new commit; 0: webhooks only. */
  gitPollIntervalMs: number;
  /** Folders local (non-URL) team repositories may live under; default `<dataDir>/local-repos`. */
  gitAllowedLocalPaths: readonly string[];
  /** Absent: no Alpaca keys, the competition trades on a simulated market. */
  alpaca: AlpacaConfig | undefined;
  /** Requests per minute to public routes per client address, counted in Redis across replicas. */
  rateLimitPublicPerMinute: number;
  /** Requests per minute to team routes per API key (or address), counted in Redis across replicas. */
  rateLimitTeamPerMinute: number;
  /** Open SSE connections one process serves; when full, a newcomer evicts from the address holding the most, or gets 503. */
  sseMaxClients: number;
  /** Open SSE connections one client address may hold per process; beyond it 429. */
  sseMaxClientsPerAddress: number;
  /** Open leaderboard WebSockets one process serves (same rule as SSE). */
  wsMaxClients: number;
  /** Open leaderboard WebSockets one client address may hold per process; beyond it 429. */
  wsMaxClientsPerAddress: number;
  /** Failed authentications per minute after which an address gets 429 on authenticated routes, counted in Redis. */
  authFailuresPerMinute: number;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (per-address limits and caps):
   * none by default; a hop count or addresses/CIDR ranges of the load balancers.
   */
  trustProxy: false | number | string[];
  /** The minute tick: its clock, sharding and the worker's BullMQ settings. */
  tick: TickConfig;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Secrets may come from files (Docker / Kubernetes secrets): `NAME_FILE=/run/secrets/x` reads NAME's
 * value from that file at start (one trailing newline dropped). Setting both NAME and NAME_FILE is an error.
 */
export const SECRET_FILE_VARIABLES = ['DATABASE_URL', 'REDIS_URL', 'ALPACA_KEY_ID', 'ALPACA_SECRET_KEY', 'QTC_ADMIN_KEYS'] as const;

function withSecretFiles(values: Record<string, string>): Record<string, string> {
  const out = { ...values };
  for (const name of SECRET_FILE_VARIABLES) {
    const file = out[`${name}_FILE`];
    if (file === undefined) continue;
    if (out[name] !== undefined) throw new ConfigError(`invalid configuration: set ${name} or ${name}_FILE, not both`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`invalid configuration: ${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const value = text.replace(/\r?\n$/, '');
    if (value.trim() === '') throw new ConfigError(`invalid configuration: ${name}_FILE: ${file} is empty`);
    out[name] = value;
  }
  return out;
}

/** Empty strings count as unset, so `DATABASE_URL= npm start` means "use the embedded default". */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const values = withSecretFiles(withoutEmpty(env));
  const parsed = EnvSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      const got = SECRET_VARIABLES.has(name) ? undefined : values[name];
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
    embeddedListen: e.QTC_EMBEDDED_LISTEN,
    registryFile: path.resolve(e.QTC_REGISTRY_FILE),
    pgPoolMax: e.PG_POOL_MAX,
    serviceConnectTimeoutMs: e.SERVICE_CONNECT_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    projectRoot,
    adminKeys: redactedList(e.QTC_ADMIN_KEYS),
    keyRotationGraceMs: e.KEY_ROTATION_GRACE_MS,
    gitPollIntervalMs: e.GIT_POLL_INTERVAL_MS,
    gitAllowedLocalPaths: (e.GIT_ALLOWED_LOCAL_PATHS ?? [path.join(path.resolve(e.QTC_DATA_DIR), 'local-repos')]).map((folder) => path.resolve(folder)),
    alpaca: alpacaConfig(e),
    rateLimitPublicPerMinute: e.RATE_LIMIT_PUBLIC_PER_MINUTE,
    rateLimitTeamPerMinute: e.RATE_LIMIT_TEAM_PER_MINUTE,
    sseMaxClients: e.SSE_MAX_CLIENTS,
    sseMaxClientsPerAddress: e.SSE_MAX_CLIENTS_PER_ADDRESS,
    wsMaxClients: e.WS_MAX_CLIENTS,
    wsMaxClientsPerAddress: e.WS_MAX_CLIENTS_PER_ADDRESS,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    tick: tickConfig(e),
  });
}

function alpacaConfig(e: z.infer<typeof EnvSchema>): AlpacaConfig | undefined {
  const keyId = e.ALPACA_KEY_ID;
  const secretKey = e.ALPACA_SECRET_KEY;
  if (keyId === undefined && secretKey === undefined) return undefined;
  if (keyId === undefined || secretKey === undefined) {
    throw new ConfigError(
      `invalid configuration: ALPACA_KEY_ID and ALPACA_SECRET_KEY must be set together (${keyId === undefined ? 'ALPACA_KEY_ID' : 'ALPACA_SECRET_KEY'} is missing)`,
    );
  }
  const tradingHost = e.ALPACA_PAPER ? 'paper-api.alpaca.markets' : 'api.alpaca.markets';
  const config = {
    keyId,
    paper: e.ALPACA_PAPER,
    tradingUrl: e.ALPACA_TRADING_URL ?? `https://${tradingHost}`,
    dataUrl: e.ALPACA_DATA_URL ?? 'https://data.alpaca.markets',
    streamUrl: e.ALPACA_STREAM_URL ?? `wss://${tradingHost}/stream`,
    feed: e.ALPACA_FEED,
  };
  Object.defineProperty(config, 'secretKey', { value: secretKey, enumerable: false });
  return Object.freeze(config as typeof config & { secretKey: string });
}

function redactedList(values: string[]): readonly string[] {
  Object.defineProperty(values, 'toJSON', { value: () => `[redacted: ${values.length}]`, enumerable: false });
  return Object.freeze(values);
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

/**
 * Whose clock produces the minutes: `replay` (REPLAY_FILE set), `simulated` (SIM_MINUTE_MS set) or
 * `live` (the wall clock: each regular-session minute once it has closed, plus TICK_DELAY_MS).
 */
export type TickClockMode = 'live' | 'simulated' | 'replay';

export type TickConfig = Readonly<{
  clock: TickClockMode;
  /** Real milliseconds per simulated market minute. */
  simMinuteMs: number | undefined;
  /** SIM_START as epoch ms (a bare date is its midnight UTC: the clock starts at that day's opening bell). */
  simStart: number | undefined;
  replayFile: string | undefined;
  /** Market minutes per real minute; absent: as fast as the ticks complete. */
  replaySpeed: number | undefined;
  /** SEASON_START_AT as epoch ms: a fresh simulated or replayed season starts then, whatever the teams' state. */
  seasonStartAt: number | undefined;
  /** Without seasonStartAt: how long a fresh simulated or replayed season waits for every enabled team's strategy; 0 = no wait. */
  seasonStartTimeoutMs: number;
  /** Live clock: how long after a minute closes its tick starts (the feed settles). */
  delayMs: number;
  shards: number;
  /** BullMQ lock of a running job: a worker silent this long is presumed dead and its job retried. */
  lockMs: number;
  workerConcurrency: number;
  sandboxProcesses: number | undefined;
  simSlippageBps: number;
}>;

function tickConfig(e: z.infer<typeof EnvSchema>): TickConfig {
  const start = e.SIM_START;
  return Object.freeze({
    clock: e.REPLAY_FILE !== undefined ? 'replay' : e.SIM_MINUTE_MS !== undefined ? 'simulated' : 'live',
    simMinuteMs: e.SIM_MINUTE_MS,
    simStart: start === undefined ? undefined : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(start) ? `${start}T00:00:00Z` : start),
    replayFile: e.REPLAY_FILE === undefined ? undefined : path.resolve(e.REPLAY_FILE),
    replaySpeed: e.REPLAY_SPEED,
    seasonStartAt: e.SEASON_START_AT === undefined ? undefined : Date.parse(e.SEASON_START_AT),
    seasonStartTimeoutMs: e.SEASON_START_TIMEOUT_MS,
    delayMs: e.TICK_DELAY_MS,
    shards: e.TICK_SHARDS,
    lockMs: e.TICK_LOCK_MS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    sandboxProcesses: e.SANDBOX_PROCESSES,
    simSlippageBps: e.SIM_SLIPPAGE_BPS,
  });
}

function parseTrustProxy(value: string): false | number | string[] {
  if (value === '' || value === 'false') return false;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  return value.split(',').map((part) => part.trim());
}
