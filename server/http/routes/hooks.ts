import type { FastifyInstance, FastifyReply } from 'fastify';
import { FixedWindowLimiter } from '../../../loaders/git/rateLimit.ts';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../../loaders/git/webhookSignature.ts';

/**
 * `POST /api/v1/hooks/git/:team`: a push notification from the team's Git host. The raw body
 * must be signed with the team's webhook secret (`X-Hub-Signature-256: sha256=<hex>`); the
 * answer is 202 and the sync runs in the background. Every authentication failure looks the same
 * (401), whether the team exists, has a secret, or sent a wrong or no signature.
 */

export interface GitHookRouteDeps {
  /** The team's webhook secret; null when the team does not exist or has none. */
  secretFor(teamId: string): Promise<string | null>;
  /** Starts a sync of the team without waiting; false when the team is not an enabled team. */
  requestSync(teamId: string): boolean;
  /** Accepted hooks per team and window; default 30 a minute. */
  rateLimit?: { max: number; windowMs: number };
  /** Largest body accepted; default 4 MiB (GitHub push payloads are usually far smaller). */
  bodyLimitBytes?: number;
  /** Clock of the rate limit; default Date.now. */
  now?: () => number;
}

const TEAM_ID = /^[a-z0-9][a-z0-9-]{1,31}$/;

function unauthorized(reply: FastifyReply): FastifyReply {
  return reply.code(401).send({ error: 'unauthorized', message: 'webhook signature verification failed' });
}

export function registerGitHookRoutes(app: FastifyInstance, deps: GitHookRouteDeps): void {
  const limiter = new FixedWindowLimiter(deps.rateLimit?.max ?? 30, deps.rateLimit?.windowMs ?? 60_000);
  const now = deps.now ?? Date.now;
  const bodyLimit = deps.bodyLimitBytes ?? 4 * 1024 * 1024;

  // An encapsulated scope: the raw-body parser applies to this route only.
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, parsed) => parsed(null, body));

    scope.post<{ Params: { team: string } }>('/api/v1/hooks/git/:team', { bodyLimit }, async (request, reply) => {
      const teamId = request.params.team;
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers[SIGNATURE_HEADER];
      const secret = TEAM_ID.test(teamId) ? await deps.secretFor(teamId) : null;
      // Unknown teams are checked against a throwaway secret, so timing does not tell them apart.
      const verified = verifyWebhookSignature(secret ?? 'no-such-team-secret-0000000000000000', body, typeof header === 'string' ? header : undefined);
      if (secret === null || !verified) {
        request.log.info({ team: teamId }, 'git webhook rejected: bad or missing signature');
        return unauthorized(reply);
      }
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
