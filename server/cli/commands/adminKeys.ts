// `qtc admin keys …`, loaded only when used.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import pino from 'pino';
import { recordAuditEvent } from '../../../data/postgres/audit.ts';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { issueWebhookSecret } from '../../../loaders/git/webhookSecrets.ts';
import { ApiKeyStore, type ApiKeyInfo } from '../../../registry/keys/store.ts';
import { tryControlLeadership } from '../../../registry/leader.ts';
import { parseRegistry, RegistryInvalidError } from '../../../registry/load.ts';
import { publishRegistry, readRegistryInForce } from '../../../registry/versions.ts';
import { requireLiveTeam } from '../../../registry/teams.ts';
import { loadConfig, type Config } from '../../config/config.ts';
import { withAdminDatabase } from './adminDatabase.ts';

const SHOWN_ONCE = 'Shown once: only its hash is stored. Send it as "Authorization: Bearer <key>".';

function actor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/**
 * Brings the registry in force in line with the registry file first, as the control process does on
 * every good edit, so a team just added with `qtc admin teams add` can get its key before the server
 * runs. Only under the control leader lock, like every registry write: while a control process runs,
 * it publishes the file itself (within a second of an edit) and this command only reads Postgres.
 */
async function syncRegistry(config: Config, pool: PgPool): Promise<void> {
  const log = pino({ level: 'warn', base: null }, pino.destination(2));
  const attempt = await tryControlLeadership({ pool, log, signal: new AbortController().signal });
  if ('holder' in attempt) return waitForControlToPublish(config.registryFile, pool);
  try {
    const text = await readRegistryText(config.registryFile);
    const parsed = parseRegistry(text);
    if (!parsed.ok) throw new RegistryInvalidError(config.registryFile, parsed.errors);
    const source = { text, hash: createHash('sha256').update(text).digest('hex'), file: config.registryFile };
    const summary = await publishRegistry(pool, parsed.registry, source, (client) => attempt.leadership.assertHeld(client));
    const changed = summary.added.length + summary.updated.length + summary.restored.length + summary.removed.length > 0;
    if (changed) {
      await recordAuditEvent(pool, {
        actor: actor(),
        kind: 'registry.loaded',
        subject: config.registryFile,
        details: { trigger: 'cli', teams: parsed.registry.teams.length, activation: summary },
      });
    }
  } finally {
    await attempt.leadership.release();
  }
}

/** Gives the running control process a few seconds to publish a file edited just before this command. */
async function waitForControlToPublish(file: string, pool: PgPool): Promise<void> {
  let hash: string;
  try {
    hash = createHash('sha256')
      .update(await readFile(file, 'utf8'))
      .digest('hex');
  } catch {
    return; // no file on this machine: the registry in force is the control host's
  }
  const deadline = Date.now() + CONTROL_PUBLISH_WAIT_MS;
  while (Date.now() < deadline) {
    if ((await readRegistryInForce(pool))?.hash === hash) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
const CONTROL_PUBLISH_WAIT_MS = 10_000;

async function readRegistryText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the team registry ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

function withKeys<T>(work: (keys: ApiKeyStore, pool: PgPool, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  return withAdminDatabase(config, (pool) => work(new ApiKeyStore({ pool, graceMs: config.keyRotationGraceMs }), pool, config));
}

export async function issueKeyCommand(team: string, options: { json?: boolean }): Promise<void> {
  const issued = await withKeys(async (keys, pool, config) => {
    await syncRegistry(config, pool);
    return keys.issue(team, actor());
  });
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ key: issued.key, keyId: issued.info.keyId, teamId: issued.info.teamId })}\n`);
    return;
  }
  process.stdout.write(`API key ${issued.info.keyId} for team ${team}:\n\n  ${issued.key}\n\n${SHOWN_ONCE}\n`);
}

export async function rotateKeyCommand(keyId: string, options: { json?: boolean }): Promise<void> {
  const rotated = await withKeys((keys) => keys.rotate(keyId, actor()));
  const until = rotated.previous.expiresAt?.toISOString() ?? 'now';
  if (options.json === true) {
    const previous = { keyId: rotated.previous.keyId, expiresAt: rotated.previous.expiresAt?.toISOString() ?? null };
    process.stdout.write(`${JSON.stringify({ key: rotated.key, keyId: rotated.info.keyId, teamId: rotated.info.teamId, previous })}\n`);
    return;
  }
  process.stdout.write(
    `API key ${rotated.info.keyId} for team ${rotated.info.teamId} replaces ${keyId}, which keeps working until ${until}:\n\n  ${rotated.key}\n\n${SHOWN_ONCE}\n`,
  );
}

export async function revokeKeyCommand(keyId: string): Promise<void> {
  const info = await withKeys((keys) => keys.revoke(keyId, actor()));
  process.stdout.write(`API key ${keyId} of team ${info.teamId} is revoked (since ${info.revokedAt?.toISOString() ?? 'now'})\n`);
}

function keyJson(info: ApiKeyInfo) {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    keyId: info.keyId,
    teamId: info.teamId,
    status: info.status,
    createdAt: info.createdAt.toISOString(),
    createdBy: info.createdBy,
    expiresAt: iso(info.expiresAt),
    revokedAt: iso(info.revokedAt),
    replacedBy: info.replacedBy,
    lastUsedAt: iso(info.lastUsedAt),
  };
}

export async function listKeysCommand(team: string | undefined, options: { json?: boolean }): Promise<void> {
  const keys = await withKeys((store) => store.list(team));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(keys.map(keyJson))}\n`);
    return;
  }
  if (keys.length === 0) {
    process.stdout.write(team === undefined ? 'no API keys yet (issue one: qtc admin keys issue <team>)\n' : `no API keys for team ${team}\n`);
    return;
  }
  for (const key of keys.map(keyJson)) {
    const until = key.status === 'grace' ? ` until ${key.expiresAt}` : '';
    process.stdout.write(`${key.keyId}  ${key.teamId}  ${key.status}${until}  created ${key.createdAt} by ${key.createdBy}  last used ${key.lastUsedAt ?? 'never'}\n`);
  }
}

export async function webhookSecretCommand(team: string): Promise<void> {
  const secret = await withKeys(async (_keys, pool, config) => {
    await syncRegistry(config, pool);
    await requireLiveTeam(pool, team);
    return issueWebhookSecret(pool, team, actor());
  });
  process.stdout.write(
    `Webhook secret for team ${team} (it replaces any previous one):\n\n  ${secret}\n\nIn the repository's webhook settings: payload URL <server>/api/v1/hooks/git/${team}, content type application/json, this secret.\n`,
  );
}
