import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { AuditEvent } from '../data/postgres/audit.ts';
import { describeRegistryErrors, parseRegistry, RegistryInvalidError, type RegistryError } from './load.ts';
import type { Registry } from './schema.ts';

export type RegistryLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export type ReloadTrigger = 'startup' | 'file-change' | 'poll' | 'notify' | 'manual';

export interface RegistryFailure {
  at: Date;
  /** Problems in the file have its line and column; a problem outside the file (unreadable, database) has line 0. */
  errors: RegistryError[];
}

/** What `GET /api/v1/admin/registry` shows. */
export interface RegistryStatus {
  file: string;
  /** When the registry now in force was loaded; null before the first good load. */
  loadedAt: Date | null;
  teams: number;
  lastError: RegistryFailure | null;
}

export type ReloadOutcome =
  | { result: 'loaded'; registry: Registry; activation: unknown }
  /** The file holds the registry already in force. */
  | { result: 'unchanged' }
  /** The file is unreadable or invalid, or activating it failed: the previous registry stays. */
  | { result: 'failed'; failure: RegistryFailure };

/** Where a store reads registry text from: the file (default), or e.g. the version in force in Postgres. */
export interface RegistrySource {
  /** Throws (an ENOENT-like `code` is shown) when there is nothing to read. */
  read(): Promise<string>;
}

export interface RegistryStoreOptions {
  /** The file, or (with `source`) a name for where the registry comes from, shown in status and logs. */
  file: string;
  /** Instead of reading `file`: API replicas and workers read the registry in force from Postgres. */
  source?: RegistrySource;
  log: RegistryLog;
  clock?: () => Date;
  /**
   * Runs before a valid registry comes into force (the team sync into Postgres); if it throws,
   * the previous registry stays and the next change or poll tries again. Its result is returned
   * in the `loaded` outcome and audited.
   */
  activate?: (registry: Registry, text: { text: string; hash: string }) => Promise<unknown>;
  /** Best effort: a failure to audit is logged and does not undo a reload. */
  audit?: (event: AuditEvent) => Promise<void>;
}

export type RegistryListener = (registry: Registry, previous: Registry | undefined) => void | Promise<void>;

function outsideFile(message: string): RegistryError {
  return { path: '', line: 0, column: 0, message };
}

/**
 * The team registry in force: the last good version of the file. Reloads never leave it
 * without a registry; a bad edit is recorded (`status.lastError`, log, audit) and the previous
 * registry keeps running until the file is fixed.
 */
export class RegistryStore {
  readonly file: string;
  private readonly log: RegistryLog;
  private readonly clock: () => Date;
  private readonly activate: (registry: Registry, text: { text: string; hash: string }) => Promise<unknown>;
  private readonly read: () => Promise<string>;
  private readonly audit: (event: AuditEvent) => Promise<void>;
  private readonly listeners = new Set<RegistryListener>();
  private registry: Registry | undefined;
  private goodHash: string | undefined;
  private loadedAt: Date | null = null;
  private lastError: RegistryFailure | null = null;
  /** The last failure's fingerprint: a repeat of the same failure (poll after poll) is not logged again. */
  private lastFailureKey: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: RegistryStoreOptions) {
    this.file = options.file;
    this.log = options.log;
    this.clock = options.clock ?? (() => new Date());
    this.activate = options.activate ?? (() => Promise.resolve(undefined));
    const source = options.source;
    this.read = source ? () => source.read() : () => readFile(options.file, 'utf8');
    this.audit = options.audit ?? (() => Promise.resolve());
  }

  /** The registry in force. Throws before the first good load. */
  current(): Registry {
    if (!this.registry) throw new Error(`the team registry ${this.file} has not been loaded yet`);
    return this.registry;
  }

  status(): RegistryStatus {
    return { file: this.file, loadedAt: this.loadedAt, teams: this.registry?.teams.length ?? 0, lastError: this.lastError };
  }

  /** Called after every good load that changed the registry. Returns an unsubscribe function. */
  subscribe(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The first load: there is no previous registry to fall back on, so any problem throws
   * (RegistryInvalidError for an invalid file).
   */
  async load(): Promise<Registry> {
    const outcome = await this.reload('startup');
    if (outcome.result === 'failed') {
      const inFile = outcome.failure.errors.every((error) => error.line > 0);
      if (inFile) throw new RegistryInvalidError(this.file, outcome.failure.errors);
      throw new Error(`cannot load the team registry ${this.file}: ${outcome.failure.errors.map((e) => e.message).join('; ')}`);
    }
    return this.current();
  }

  /** Reads the file and brings it into force if it is valid. Reloads run one at a time. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.reloadNow(trigger));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    let text: string;
    try {
      text = await this.read();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return this.fail(trigger, `read:${code}`, [outsideFile(`cannot read ${this.file}: ${code}`)]);
    }
    const hash = createHash('sha256').update(text).digest('hex');
    if (trigger !== 'manual' && hash === this.goodHash) {
      if (this.lastError) {
        this.log.info({ file: this.file }, 'team registry file is back to the registry in force');
        this.lastError = null;
        this.lastFailureKey = undefined;
        // Ends the rejection for every process that reads it from the audit trail (rejectedEdit.ts).
        await this.auditSafely({ actor: 'system', kind: 'registry.restored', subject: this.file, details: { trigger } });
      }
      return { result: 'unchanged' };
    }
    const parsed = parseRegistry(text);
    if (!parsed.ok) return this.fail(trigger, `invalid:${hash}`, parsed.errors);
    let activation: unknown;
    try {
      activation = await this.activate(parsed.registry, { text, hash });
    } catch (error) {
      const message = `the registry is valid but could not be brought into force: ${(error as Error).message}`;
      return this.fail(trigger, `activate:${hash}:${(error as Error).message}`, [outsideFile(message)]);
    }
    const previous = this.registry;
    this.registry = parsed.registry;
    this.goodHash = hash;
    this.loadedAt = this.clock();
    this.lastError = null;
    this.lastFailureKey = undefined;
    const teams = parsed.registry.teams.length;
    this.log.info({ file: this.file, trigger, teams, activation }, previous ? 'team registry reloaded' : 'team registry loaded');
    await this.auditSafely({ actor: 'system', kind: 'registry.loaded', subject: this.file, details: { trigger, teams, activation } });
    for (const listener of this.listeners) {
      try {
        await listener(parsed.registry, previous);
      } catch (error) {
        this.log.error({ err: error }, 'a listener of team registry changes failed');
      }
    }
    return { result: 'loaded', registry: parsed.registry, activation };
  }

  private async fail(trigger: ReloadTrigger, key: string, errors: RegistryError[]): Promise<ReloadOutcome> {
    const failure: RegistryFailure = { at: this.clock(), errors };
    const repeated = key === this.lastFailureKey;
    this.lastFailureKey = key;
    if (repeated && this.lastError) return { result: 'failed', failure: this.lastError };
    this.lastError = failure;
    this.log.error(
      { file: this.file, trigger, errors, keeping: this.registry ? 'the last good registry' : 'nothing (not loaded yet)' },
      `team registry ${this.file} rejected: ${describeRegistryErrors(errors)}`,
    );
    await this.auditSafely({ actor: 'system', kind: 'registry.rejected', subject: this.file, details: { trigger, errors } });
    return { result: 'failed', failure };
  }

  private async auditSafely(event: AuditEvent): Promise<void> {
    try {
      await this.audit(event);
    } catch (error) {
      this.log.warn({ err: error, kind: event.kind }, 'could not record an audit event');
    }
  }
}
