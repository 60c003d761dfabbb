import type { FastifyInstance, FastifyReply } from 'fastify';
import { FixedWindowLimiter } from '../../../loaders/git/rateLimit.ts';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../../loaders/git/webhookSignature.ts';
import { memoryDeliveryLog, redisDeliveryLog, type DeliveryLog } from '../webhookDeliveries.ts';
import { errorSchema } from './adminSchemas.ts';

/**
 * `POST /api/v1/hooks/git/:team`: a push notification from the team's Git host. The raw body
 * must be signed with the team's webhook secret (`X-Hub-Signature-256: sha256=<hex>`) and name its
 * delivery (`X-GitHub-Delivery` or `X-Gitea-Delivery`, as GitHub, Gitea and Forgejo send); the
 * answer is 202 and the sync runs in the background. Every authentication failure looks the same
 * (401), whether the team exists, has a secret, or sent a wrong or no signature. A delivery seen
 * before (same id or same signed body) is a replay: 409.
 */

export interface GitHookRouteDeps {
  /** The team's webhook secret; null when the team does not exist or has none. */
  secretFor(teamId: string): Promise<string | null>;
  /** Starts a sync of the team without waiting; false when the team is not an enabled team. */
  requestSync(teamId: string): boolean;
  /** Accepted hooks per team and window; default 30 a minute. */
  rateLimit?: { max: number; windowMs: number };
  /** Largest body accepted (413 beyond, before it is read); default 64 KiB. */
  bodyLimitBytes?: number;
  /** Deliveries seen; default in the HTTP layer's Redis (registerHttpPlugins), else in this process. */
  deliveries?: DeliveryLog;
  /** Clock of the rate limit; default Date.now. */
  now?: () => number;
}

const TEAM_ID = /^[a-z0-9][a-z0-9-]{1,31}$/;
const DELIVERY_HEADERS = ['x-github-delivery', 'x-gitea-delivery'] as const;
const DELIVERY_ID = /^[0-9A-Za-z-]{1,100}$/;
/** Push payloads list at most 20 commits; larger bodies are refused unread, and polling picks the push up. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

function unauthorized(reply: FastifyReply): FastifyReply {
  return reply.code(401).send({ error: 'unauthorized', message: 'webhook signature verification failed' });
}

function deliveryLogOf(app: FastifyInstance): DeliveryLog {
  const shared = app.hasDecorator('httpShared') ? app.httpShared : null;
  return shared?.redis ? redisDeliveryLog(shared.redis, `${shared.prefix}webhook-delivery:`) : memoryDeliveryLog();
}

const schema = {
  tags: ['hooks'],
  summary: 'Git push webhook (GitHub, Gitea, Forgejo): the team repository is synced now',
  params: { type: 'object', required: ['team'], properties: { team: { type: 'string' } } },
  headers: {
    type: 'object',
    properties: {
      [SIGNATURE_HEADER]: { type: 'string', description: 'sha256=<HMAC-SHA256 of the raw body under the team webhook secret>' },
      'x-github-delivery': { type: 'string', description: 'The delivery id (or X-Gitea-Delivery); each one is accepted once' },
      'x-gitea-delivery': { type: 'string' },
    },
  },
  response: {
    202: { type: 'object', required: ['accepted', 'team'], properties: { accepted: { type: 'boolean' }, team: { type: 'string' } } },
    400: { ...errorSchema, description: 'No delivery id header' },
    401: { ...errorSchema, description: 'Missing or wrong signature, or a team without a webhook secret' },
    409: { ...errorSchema, description: 'A delivery seen before (replay), or a disabled team' },
    429: errorSchema,
  },
} as const;

export function registerGitHookRoutes(app: FastifyInstance, deps: GitHookRouteDeps): void {
  const limiter = new FixedWindowLimiter(deps.rateLimit?.max ?? 30, deps.rateLimit?.windowMs ?? 60_000);
  const now = deps.now ?? Date.now;
  const bodyLimit = deps.bodyLimitBytes ?? WEBHOOK_BODY_LIMIT;
  const deliveries = deps.deliveries ?? deliveryLogOf(app);

  // An encapsulated scope: the raw-body parser applies to this route only.
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, parsed) => parsed(null, body));

    scope.post<{ Params: { team: string } }>('/api/v1/hooks/git/:team', { bodyLimit, schema }, async (request, reply) => {
      const teamId = request.params.team;
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers[SIGNATURE_HEADER];
      const signature = typeof header === 'string' ? header : undefined;
      const secret = TEAM_ID.test(teamId) ? await deps.secretFor(teamId) : null;
      // Unknown teams are checked against a throwaway secret, so timing does not tell them apart.
      const verified = verifyWebhookSignature(secret ?? 'no-such-team-secret-0000000000000000', body, signature);
      if (secret === null || !verified || signature === undefined) {
        request.log.info({ team: teamId }, 'git webhook rejected: bad or missing signature');
        return unauthorized(reply);
      }
      const deliveryId = DELIVERY_HEADERS.map((name) => request.headers[name]).find((value) => typeof value === 'string');
      if (deliveryId === undefined || !DELIVERY_ID.test(deliveryId)) {
        return reply.code(400).send({ error: 'delivery_id_required', message: 'an X-GitHub-Delivery or X-Gitea-Delivery header (the delivery id) is required' });
      }
      // Before the rate limit: a replayed request must not use up the team's budget.
      const marks = [`${teamId}:id:${deliveryId}`, `${teamId}:sig:${signature.trim().toLowerCase()}`];
      const fresh = await deliveries.firstSeen(marks).catch((error: unknown) => {
        request.log.warn({ err: error, team: teamId }, 'git webhook: deliveries not checked (Redis unavailable)');
        return true;
      });
      if (!fresh) return reply.code(409).send({ error: 'delivery_replayed', message: 'this delivery (its id or its signed body) was already accepted' });
      const limit = limiter.take(teamId, now());
      if (!limit.allowed) {
        void reply.header('retry-after', String(Math.ceil(limit.retryAfterMs / 1000)));
        return reply.code(429).send({ error: 'too_many_requests', message: 'too many webhook calls for this team; the repository is also polled regularly' });
      }
      if (!deps.requestSync(teamId)) return reply.code(409).send({ error: 'team_disabled', message: `team ${teamId} is disabled or no longer in the registry` });
      return reply.code(202).send({ accepted: true, team: teamId });
    });
    done();
  });
}
