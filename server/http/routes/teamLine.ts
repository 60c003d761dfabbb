/**
 * The original API's routes that take the team key in the path: `/line/{team_key}` (JSON) and
 * `/{team_key}` (one line of text, for curl).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { looksLikeTeamKey } from '../../../registry/keys/format.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { countTrades, latestSnapshot } from '../../control/teamQueries.ts';
import { errorSchema } from './adminSchemas.ts';
import { lineSchema, teamKeyParams } from './liveSchemas.ts';
import { teamRefusals as refusals, type TeamRouteDeps } from './teamRouteCommon.ts';

const usd = (value: number): string => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The team a key in the path belongs to; answers 404 for what is not a key at all (any other one-segment path). */
async function teamOfPathKey(auth: Authenticator, teamKey: string, reply: FastifyReply): Promise<string | null> {
  if (!looksLikeTeamKey(teamKey)) {
    await reply.code(404).send({ error: 'not_found', message: `no route for GET /${teamKey.slice(0, 40)}` });
    return null;
  }
  const result = await auth.authenticateKey(teamKey);
  if (!result.ok) {
    await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: result.message });
    return null;
  }
  if (result.principal.kind !== 'team') {
    await reply.code(403).send({ error: 'forbidden', message: 'this route takes a team key' });
    return null;
  }
  return result.principal.teamId;
}

async function lineOf(pg: PgPool, teamId: string) {
  const [snapshot, trades] = await Promise.all([latestSnapshot(pg, teamId), countTrades(pg, teamId)]);
  return {
    team_id: teamId,
    snapshot: snapshot && {
      timestamp: snapshot.minute.toISOString(),
      cash: snapshot.cash,
      market_value: snapshot.equity,
      positions: Object.fromEntries(
        Object.entries(snapshot.positions).map(([symbol, position]) => [
          symbol,
          { quantity: position.quantity, value: position.value, price: position.price, cost_basis: position.costBasis },
        ]),
      ),
    },
    metrics: { total_trades: trades },
  };
}

function lineText(line: Awaited<ReturnType<typeof lineOf>>): string {
  const positions = Object.entries(line.snapshot?.positions ?? {}).map(([symbol, position]) => `["${symbol}", ${usd(position.value)}, ${position.quantity}]`);
  const text = line.snapshot
    ? `${line.team_id} | Cash: ${usd(line.snapshot.cash)} | Portfolio Value: ${usd(line.snapshot.market_value)} | Positions: [${positions.join(', ')}]`
    : `${line.team_id} | no snapshot yet: the first one is taken at the next market minute`;
  return `${text}\n`;
}

export function registerTeamLineRoutes(app: FastifyInstance, deps: TeamRouteDeps): void {
  const { rateLimit } = deps;

  app.get<{ Params: { teamKey: string } }>(
    '/line/:teamKey',
    {
      config: { rateLimit },
      schema: {
        tags: ['team'],
        summary: "The team's latest book (cash, value, positions) by the key in the path (original API)",
        params: teamKeyParams,
        response: { 200: lineSchema, 404: errorSchema, ...refusals },
      },
    },
    async (request, reply) => {
      const teamId = await teamOfPathKey(deps.auth, request.params.teamKey, reply);
      if (teamId === null) return reply;
      return lineOf(deps.pg, teamId);
    },
  );

  // Static routes (/health, /leaderboard, /status, …) win over this parametric one in Fastify's router.
  app.get<{ Params: { teamKey: string } }>(
    '/:teamKey',
    {
      config: { rateLimit },
      schema: {
        tags: ['team'],
        summary: 'One line of text about the team, by the key in the path (original API; for curl)',
        params: teamKeyParams,
        response: { 200: { type: 'string' }, 404: errorSchema, ...refusals },
      },
    },
    async (request, reply) => {
      const teamId = await teamOfPathKey(deps.auth, request.params.teamKey, reply);
      if (teamId === null) return reply;
      return reply.type('text/plain; charset=utf-8').send(lineText(await lineOf(deps.pg, teamId)));
    },
  );
}
