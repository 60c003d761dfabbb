/**
 * team_registry.yaml for the admin routes of every process. Only the control process reads the file:
 * there its status and a reload are the registry store's own. Elsewhere (API replicas, `npm start`'s
 * API process) the status is the registry in force here with the file's last rejected edit as the
 * control process audited it, and a reload is asked of the control process over Redis, which answers
 * with what its reload found.
 */
import type { Logger } from 'pino';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { RedisClient } from '../../data/redis/client.ts';
import type { RegistryError } from '../../registry/load.ts';
import { readRejectedEdit, registryErrorsOf } from '../../registry/rejectedEdit.ts';
import type { RegistryFailure, RegistryStatus, RegistryStore } from '../../registry/store.ts';
import { REDIS_KEYS } from '../config/redisKeys.ts';
import { askControl, ControlUnavailableError, serveControlRequests } from './controlRelay.ts';

/** A registry failure as JSON (dates as ISO strings): what the admin routes answer and the relay carries. */
export type RegistryFailureJson = { at: string; errors: RegistryError[] };
/** `RegistryStatus` as JSON: the body of `GET /api/v1/admin/registry`. */
export type RegistryStatusJson = { file: string; loadedAt: string | null; teams: number; lastError: RegistryFailureJson | null };
export type FileReloadOutcome = { result: 'loaded' | 'unchanged' } | { result: 'failed'; failure: RegistryFailureJson };
export type FileReload = { outcome: FileReloadOutcome; status: RegistryStatusJson };

/** What the admin routes need of the registry file, in the control process or relayed to it. */
export interface RegistryFilePort {
  status(): Promise<RegistryStatusJson>;
  /** Reads the file now; throws ControlUnavailableError when no control process answers. */
  reload(): Promise<FileReload>;
}

const failureJson = (failure: RegistryFailure): RegistryFailureJson => ({ at: failure.at.toISOString(), errors: failure.errors });

export const registryStatusJson = (status: RegistryStatus): RegistryStatusJson => ({
  file: status.file,
  loadedAt: status.loadedAt?.toISOString() ?? null,
  teams: status.teams,
  lastError: status.lastError && failureJson(status.lastError),
});

/** In the process that reads the file. */
export function localRegistryFile(store: RegistryStore): RegistryFilePort {
  return {
    status: () => Promise.resolve(registryStatusJson(store.status())),
    async reload() {
      const outcome = await store.reload('manual');
      const status = registryStatusJson(store.status());
      return { outcome: outcome.result === 'failed' ? { result: 'failed', failure: failureJson(outcome.failure) } : { result: outcome.result }, status };
    },
  };
}

/** In the control process: reloads asked by the other processes. `subscriber` is a connection of its own. */
export function serveRegistryReloads(options: { store: RegistryStore; redis: RedisClient; subscriber: RedisClient; log: Logger; channel?: string }): Promise<() => Promise<void>> {
  const local = localRegistryFile(options.store);
  return serveControlRequests<Record<string, never>>({
    redis: options.redis,
    subscriber: options.subscriber,
    log: options.log,
    channel: options.channel ?? REDIS_KEYS.registryChannel,
    what: 'registry reload',
    parse: (fields) => (fields.reload === true ? {} : undefined),
    handle: async (_request, answered) => {
      const reload = await local.reload();
      return answered ? reload : undefined;
    },
  });
}

// An answer from Redis is data: checked field by field before the route sends it on.
function failureOf(value: unknown): RegistryFailureJson | null {
  if (typeof value !== 'object' || value === null) return null;
  const { at, errors } = value as Record<string, unknown>;
  return typeof at === 'string' && Array.isArray(errors) ? { at, errors: registryErrorsOf(errors) } : null;
}

function statusOf(value: unknown): RegistryStatusJson | null {
  if (typeof value !== 'object' || value === null) return null;
  const { file, loadedAt, teams, lastError } = value as Record<string, unknown>;
  if (typeof file !== 'string' || typeof teams !== 'number' || (loadedAt !== null && typeof loadedAt !== 'string')) return null;
  return { file, loadedAt, teams, lastError: failureOf(lastError) };
}

function reloadOf(value: unknown): FileReload | null {
  if (typeof value !== 'object' || value === null) return null;
  const { outcome, status } = value as { outcome?: { result?: unknown; failure?: unknown } | null; status?: unknown };
  const parsedStatus = statusOf(status);
  if (parsedStatus === null || typeof outcome !== 'object' || outcome === null) return null;
  if (outcome.result === 'loaded' || outcome.result === 'unchanged') return { outcome: { result: outcome.result }, status: parsedStatus };
  const failure = outcome.result === 'failed' ? failureOf(outcome.failure) : null;
  return failure === null ? null : { outcome: { result: 'failed', failure }, status: parsedStatus };
}

/** In a process that follows the registry in Postgres. */
export function relayedRegistryFile(options: {
  /** The registry this process follows. */
  store: RegistryStore;
  pool: PgPool;
  redis: RedisClient;
  openSubscriber: () => RedisClient;
  answerTimeoutMs?: number;
  channel?: string;
}): RegistryFilePort {
  return {
    async status() {
      const here = options.store.status();
      // The file's own rejection, as the control process audited it; this process's (e.g. an
      // unreadable published version) when there is none or the audit trail cannot be read.
      const rejected = await readRejectedEdit(options.pool).catch(() => null);
      return registryStatusJson({ ...here, lastError: rejected ?? here.lastError });
    },
    async reload() {
      const answer = await askControl({
        redis: options.redis,
        openSubscriber: options.openSubscriber,
        channel: options.channel ?? REDIS_KEYS.registryChannel,
        fields: { reload: true },
        timeoutMs: options.answerTimeoutMs ?? 30_000,
        who: 'team_registry.yaml',
      });
      const reload = reloadOf(answer);
      if (reload === null) throw new ControlUnavailableError('the control process answered something that is not a registry reload');
      return reload;
    },
  };
}
