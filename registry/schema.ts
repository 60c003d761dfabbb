import { z } from 'zod';

/**
 * The schema of team_registry.yaml: the competition's settings and its teams.
 * Documented for admins in registry/README.md; keep the two in step.
 */

const symbol = z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, 'a ticker symbol in capitals, e.g. SPY');

const limits = z
  .object({
    cpuMs: z.number().int().min(1).max(10_000).describe('CPU time per call of generateSignal, milliseconds'),
    memoryMb: z.number().int().min(8).max(1024).describe('heap limit of the team isolate, MB'),
  })
  .strict();

const risk = z
  .object({
    maxPositionPct: z.number().gt(0).max(1).describe('largest position in one symbol, as a fraction of equity'),
    maxOrderNotional: z.number().positive().describe('largest single order, in dollars'),
    maxOrdersPerMinute: z.number().int().positive().describe('orders a team may send in one minute'),
    maxTradesPerDay: z.number().int().positive().describe('orders a team may send in one New York trading day'),
    maxDailyLossPct: z.number().gt(0).max(1).describe('loss below the start-of-day equity, as a fraction, that halts a team for the day'),
  })
  .strict();

// Defaults only at the competition level: a team's partial override must not re-impose them.
const competitionRisk = risk.extend({
  maxTradesPerDay: risk.shape.maxTradesPerDay.default(500),
  maxDailyLossPct: risk.shape.maxDailyLossPct.default(0.1),
});

const CompetitionSchema = z
  .object({
    name: z.string().min(1),
    universe: z
      .array(symbol)
      .min(1, 'the universe needs at least one symbol')
      .refine((symbols) => new Set(symbols).size === symbols.length, 'symbols in the universe must be unique'),
    startingCash: z.number().positive().default(100_000),
    marketData: z
      .object({
        source: z.enum(['simulator', 'replay', 'alpaca']),
        replayFile: z.string().min(1).optional(),
        seed: z.number().int().optional(),
      })
      .strict()
      .refine((m) => m.source !== 'replay' || m.replayFile !== undefined, { message: 'replayFile is required when source is replay', path: ['replayFile'] })
      .default({ source: 'simulator' }),
    broker: z
      .object({ kind: z.enum(['simulated', 'alpaca']), paper: z.boolean().default(true) })
      .strict()
      .default({ kind: 'simulated', paper: true }),
    /** How the teams' orders reach the venue: netted per minute and symbol, or one order per team (see executionMode). */
    execution: z.enum(['netted', 'per-team']).optional(),
    limits: limits.default({ cpuMs: 200, memoryMb: 64 }),
    risk: competitionRisk.default({ maxPositionPct: 0.5, maxOrderNotional: 50_000, maxOrdersPerMinute: 10, maxTradesPerDay: 500, maxDailyLossPct: 0.1 }),
  })
  .strict();

const TeamSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,31}$/, 'a slug of 2-32 characters: lower-case letters, digits and dashes'),
    name: z.string().min(1).max(80),
    repo: z.string().min(1).describe('Git URL (https or ssh) or an allow-listed local path'),
    branch: z.string().min(1).default('main'),
    path: z.string().min(1).default('.').describe('the strategy folder inside the repository'),
    entry: z.string().min(1).optional().describe('entry file; default strategy.ts or strategy.js'),
    params: z.record(z.string(), z.unknown()).default({}),
    enabled: z.boolean().default(true),
    limits: limits.partial().optional(),
    risk: risk.partial().optional(),
  })
  .strict();

export const RegistrySchema = z
  .object({
    competition: CompetitionSchema,
    teams: z.array(TeamSchema).default([]),
  })
  .strict()
  .superRefine((registry, ctx) => {
    const seen = new Map<string, number>();
    registry.teams.forEach((team, index) => {
      const first = seen.get(team.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['teams', index, 'id'], message: `team id "${team.id}" is already used by teams[${first}]` });
      } else seen.set(team.id, index);
    });
  });

export type Registry = z.infer<typeof RegistrySchema>;
export type TeamEntry = Registry['teams'][number];
