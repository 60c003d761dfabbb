import type { FastifyInstance, FastifyReply } from 'fastify';
import { recordAuditEvent } from '../../../data/postgres/audit.ts';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { issueWebhookSecret } from '../../../loaders/git/webhookSecrets.ts';
import type { ApiKeyInfo, ApiKeyStore } from '../../../registry/keys/store.ts';
import { describeRegistryErrors } from '../../../registry/load.ts';
import type { RegistryStore } from '../../../registry/store.ts';
import { listTeams, requireLiveTeam } from '../../../registry/teams.ts';
import { actorOf, type Authenticator } from '../../auth/authenticate.ts';
import { ControlUnavailableError } from '../../control/controlRelay.ts';
import { localRegistryFile, type RegistryFilePort } from '../../control/registryRelay.ts';
import { HttpError } from '../plugins/httpError.ts';
import {
  errorSchema,
  issuedKeySchema,
  keyInfoSchema,
  keyIdParams,
  keyListSchema,
  registryStatusSchema,
  reloadFailedSchema,
  reloadResultSchema,
  rotatedKeySchema,
  teamIdParams,
  teamListSchema,
  webhookSecretSchema,
} from './adminSchemas.ts';

export interface AdminRouteDeps {
  auth: Authenticator;
  registry: RegistryStore;
  /** team_registry.yaml's status and reload: where the file is read (default), or relayed to the control process. */
  registryFile?: RegistryFilePort;
  keys: ApiKeyStore;
  pool: PgPool;
  clock?: () => Date;
}

const refusals = { 401: errorSchema, 403: errorSchema } as const;
/** Grouped with the other admin routes in /docs, which sends the key given under "Authorize". */
const documented = (summary: string) => ({ tags: ['admin'], security: [{ bearer: [] }], summary });
const SHOWN_ONCE = 'This key is shown once and cannot be recovered: only its hash is stored. Send it as "Authorization: Bearer <key>".';

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function keyJson(info: ApiKeyInfo) {
  return {
    ...info,
    createdAt: info.createdAt.toISOString(),
    expiresAt: iso(info.expiresAt),
    revokedAt: iso(info.revokedAt),
    lastUsedAt: iso(info.lastUsedAt),
  };
}

/** Secrets in a response must not linger in caches or proxies. */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

/** `/api/v1/admin/*`: the registry in force, teams and their API keys. Admin keys only. */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const clock = deps.clock ?? (() => new Date());
  const onRequest = deps.auth.requireAdmin;
  const registryFile = deps.registryFile ?? localRegistryFile(deps.registry);

  // The team registry in force and the last rejected edit, if any.
  app.get(
    '/api/v1/admin/registry',
    {
      onRequest,
      schema: { ...documented('The team registry in force and its last rejected edit (errors with line and column)'), response: { 200: registryStatusSchema, ...refusals } },
    },
    async (_request, reply) => reply.send(await registryFile.status()),
  );

  // Reloads team_registry.yaml now; an invalid file is refused (422) and the registry in force stays.
  app.post(
    '/api/v1/admin/registry/reload',
    {
      onRequest,
      schema: {
        ...documented(
          'Reloads team_registry.yaml now (in the control process, which reads it: 503 when it is not running); an invalid file is refused (422) and the registry in force stays',
        ),
        response: { 200: reloadResultSchema, 422: reloadFailedSchema, 503: errorSchema, ...refusals },
      },
    },
    async (request, reply) => {
      const { outcome, status: registry } = await registryFile.reload().catch((error: unknown) => {
        throw error instanceof ControlUnavailableError ? new HttpError(503, 'registry_unavailable', error.message) : error;
      });
      // The reload itself is audited by the registry (as the system); this says which admin asked.
      await recordAuditEvent(deps.pool, { actor: actorOf(request), kind: 'registry.reload-requested', subject: registry.file, details: { outcome: outcome.result } });
      if (outcome.result === 'failed') {
        return reply.code(422).send({ error: 'registry_rejected', message: `the registry in force stays: ${describeRegistryErrors(outcome.failure.errors)}`, registry });
      }
      return { outcome: outcome.result, registry };
    },
  );

  // Every team in the database, removed ones included, with its number of working keys.
  app.get(
    '/api/v1/admin/teams',
    { onRequest, schema: { ...documented('Every team in the database, removed ones included, with its number of working keys'), response: { 200: teamListSchema, ...refusals } } },
    async () => {
      const inRegistry = new Set(deps.registry.current().teams.map((team) => team.id));
      const teams = await listTeams(deps.pool, clock());
      return {
        teams: teams.map((team) => ({ ...team, removedAt: iso(team.removedAt), updatedAt: team.updatedAt.toISOString(), inRegistry: inRegistry.has(team.id) })),
      };
    },
  );

  // API keys (never their secrets); of one team with ?team=.
  app.get<{ Querystring: { team?: string } }>(
    '/api/v1/admin/keys',
    {
      onRequest,
      schema: {
        ...documented('API keys (never their secrets), of one team with ?team='),
        querystring: { type: 'object', properties: { team: teamIdParams.properties.id } },
        response: { 200: keyListSchema, ...refusals },
      },
    },
    async (request) => ({ keys: (await deps.keys.list(request.query.team)).map(keyJson) }),
  );

  // Issues an API key for the team; the key is in this answer only.
  app.post<{ Params: { id: string } }>(
    '/api/v1/admin/teams/:id/keys',
    {
      onRequest,
      schema: {
        ...documented('Issues an API key for the team; the key is in this answer only'),
        params: teamIdParams,
        response: { 201: issuedKeySchema, 404: errorSchema, ...refusals },
      },
    },
    async (request, reply) => {
      const issued = await deps.keys.issue(request.params.id, actorOf(request));
      return noStore(reply)
        .code(201)
        .send({ key: issued.key, info: keyJson(issued.info), notice: SHOWN_ONCE });
    },
  );

  // Replaces a key with a new one; the old key keeps working for the grace period (KEY_ROTATION_GRACE_MS).
  app.post<{ Params: { keyId: string } }>(
    '/api/v1/admin/keys/:keyId/rotate',
    {
      onRequest,
      schema: {
        ...documented('Replaces a key with a new one (in this answer only); the old key works for KEY_ROTATION_GRACE_MS'),
        params: keyIdParams,
        response: { 201: rotatedKeySchema, 404: errorSchema, 409: errorSchema, ...refusals },
      },
    },
    async (request, reply) => {
      const rotated = await deps.keys.rotate(request.params.keyId, actorOf(request));
      const until = rotated.previous.expiresAt?.toISOString() ?? 'now';
      return noStore(reply)
        .code(201)
        .send({ key: rotated.key, info: keyJson(rotated.info), previous: keyJson(rotated.previous), notice: `${SHOWN_ONCE} The old key works until ${until}.` });
    },
  );

  // Revokes a key at once.
  app.delete<{ Params: { keyId: string } }>(
    '/api/v1/admin/keys/:keyId',
    {
      onRequest,
      schema: {
        ...documented('Revokes a key at once'),
        params: keyIdParams,
        response: { 200: { type: 'object', required: ['key'], properties: { key: keyInfoSchema } }, 404: errorSchema, ...refusals },
      },
    },
    async (request) => ({ key: keyJson(await deps.keys.revoke(request.params.keyId, actorOf(request))) }),
  );

  // Creates or replaces the secret of the team's Git webhook (HMAC-SHA256, X-Hub-Signature-256).
  app.post<{ Params: { id: string } }>(
    '/api/v1/admin/teams/:id/webhook-secret',
    {
      onRequest,
      schema: {
        ...documented("Creates or replaces the secret of the team's Git webhook (in this answer only)"),
        params: teamIdParams,
        response: { 201: webhookSecretSchema, 404: errorSchema, ...refusals },
      },
    },
    async (request, reply) => {
      await requireLiveTeam(deps.pool, request.params.id);
      const secret = await issueWebhookSecret(deps.pool, request.params.id, actorOf(request));
      return noStore(reply).code(201).send({
        teamId: request.params.id,
        secret,
        notice: "Paste it into the webhook settings of the team's repository (content type application/json); it replaces any previous secret.",
      });
    },
  );
}
