import type { FastifyReply, FastifyRequest } from 'fastify';
import { looksLikeTeamKey } from '../../registry/keys/format.ts';
import { INVALID_KEY_MESSAGE, type KeyVerification } from '../../registry/keys/store.ts';
import type { AdminKeys } from './adminKeys.ts';

export type Principal = { kind: 'admin'; actor: string } | { kind: 'team'; teamId: string; keyId: string };

export type AuthResult = { ok: true; principal: Principal } | { ok: false; status: 401; error: 'unauthorized'; message: string };

export interface AuthDeps {
  /** Checks a team key (ApiKeyStore.verify). */
  verifyTeamKey: (key: string) => Promise<KeyVerification>;
  adminKeys: AdminKeys;
}

/**
 * A request hook. Use it as `onRequest` (preferred: it runs before the body is parsed and
 * validated, so a request without a valid key learns nothing about the route's input) or as `preHandler`.
 */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface Authenticator {
  /** Who the request's key belongs to, or why it is refused. */
  authenticate(request: FastifyRequest): Promise<AuthResult>;
  /** Checks a key given some other way (e.g. in the path of the original `/line/<key>` route). */
  authenticateKey(key: string): Promise<AuthResult>;
  /** Admin keys only (401 without a valid key, 403 with a team key). */
  requireAdmin: AuthHook;
  /**
   * A team key of the team named by the route parameter `param` (default `id`),
   * or an admin key. Another team's key gets 403.
   */
  requireTeam(param?: string): AuthHook;
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** The principal a `requireAdmin` / `requireTeam` hook let through. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/** The actor recorded in audit events for this request. */
export function actorOf(request: FastifyRequest): string {
  const principal = principals.get(request);
  if (!principal) return 'anonymous';
  return principal.kind === 'admin' ? principal.actor : `team:${principal.teamId}:${principal.keyId}`;
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (preferred), or `?key=<key>` for
 * clients of the original API. Read from the raw URL, so route query schemas cannot strip it.
 */
export function presentedKey(request: FastifyRequest): string | undefined | { malformed: string } {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return match ? match[1] : { malformed: 'the Authorization header must be "Bearer <key>"' };
  }
  const url = request.url;
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return undefined;
  const key = new URLSearchParams(url.slice(queryStart + 1)).get('key');
  return key === null || key === '' ? undefined : key;
}

function refuse(message: string): AuthResult {
  return { ok: false, status: 401, error: 'unauthorized', message };
}

/** Answers early; the hook must return the reply so Fastify runs nothing after it. */
function sendRefusal(reply: FastifyReply, status: 401 | 403, message: string): FastifyReply {
  if (status === 401) void reply.header('www-authenticate', 'Bearer');
  return reply.code(status).send({ error: status === 401 ? 'unauthorized' : 'forbidden', message });
}

export function createAuthenticator(deps: AuthDeps): Authenticator {
  const authenticateKey = async (key: string): Promise<AuthResult> => {
    if (looksLikeTeamKey(key)) {
      const verified = await deps.verifyTeamKey(key);
      return verified.ok ? { ok: true, principal: { kind: 'team', teamId: verified.teamId, keyId: verified.keyId } } : refuse(verified.message);
    }
    const admin = deps.adminKeys.match(key);
    return admin ? { ok: true, principal: { kind: 'admin', actor: admin.actor } } : refuse(INVALID_KEY_MESSAGE);
  };

  const authenticate = async (request: FastifyRequest): Promise<AuthResult> => {
    const key = presentedKey(request);
    if (key === undefined) return refuse('an API key is required: send it as "Authorization: Bearer <key>"');
    if (typeof key === 'object') return refuse(key.malformed);
    return authenticateKey(key);
  };

  const requireAdmin: AuthHook = async (request, reply) => {
    const result = await authenticate(request);
    if (!result.ok) return sendRefusal(reply, 401, result.message);
    if (result.principal.kind !== 'admin') return sendRefusal(reply, 403, 'this route needs an admin key (QTC_ADMIN_KEYS); a team key cannot use it');
    principals.set(request, result.principal);
  };

  const requireTeam =
    (param = 'id'): AuthHook =>
    async (request, reply) => {
      const result = await authenticate(request);
      if (!result.ok) return sendRefusal(reply, 401, result.message);
      const teamId = (request.params as Record<string, string | undefined>)[param];
      if (result.principal.kind === 'team' && result.principal.teamId !== teamId) {
        return sendRefusal(reply, 403, `this key belongs to team "${result.principal.teamId}"; it cannot access team "${teamId ?? ''}"`);
      }
      principals.set(request, result.principal);
    };

  return { authenticate, authenticateKey, requireAdmin, requireTeam };
}
