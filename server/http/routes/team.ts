import type { FastifyInstance } from 'fastify';
import type { RegistryStore } from '../../../registry/store.ts';
import { effectiveTeam } from '../../../registry/teams.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { redactUrl } from '../../config/config.ts';
import { errorSchema, teamIdParams, teamViewSchema } from './adminSchemas.ts';
import { teamRateLimitKey } from './teamData.ts';

export interface TeamRouteDeps {
  auth: Authenticator;
  registry: RegistryStore;
  /** Requests per minute per key, as on the other team routes; default 300. */
  rateLimitPerMinute?: number;
}

/** `/api/v1/team/:id`: a team's own registry entry, for its key (or an admin key). */
export function registerTeamRoutes(app: FastifyInstance, deps: TeamRouteDeps): void {
  app.get<{ Params: { id: string } }>(
    '/api/v1/team/:id',
    {
      onRequest: deps.auth.requireTeam('id'),
      config: { rateLimit: { max: deps.rateLimitPerMinute ?? 300, timeWindow: 60_000, keyGenerator: teamRateLimitKey } },
      schema: {
        tags: ['team'],
        security: [{ bearer: [] }],
        summary: "The team's registry entry with its effective limits and risk rules",
        params: teamIdParams,
        response: { 200: teamViewSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema },
      },
    },
    async (request, reply) => {
      const registry = deps.registry.current();
      const team = registry.teams.find((candidate) => candidate.id === request.params.id);
      if (!team) return reply.code(404).send({ error: 'team_not_found', message: `no team "${request.params.id}" in the registry` });
      const view = effectiveTeam(registry, team);
      const { name, universe, startingCash } = registry.competition;
      // A repository URL may carry a token (https://user:token@host/…).
      return { team: { ...view, repo: redactUrl(view.repo) }, competition: { name, universe, startingCash } };
    },
  );
}
