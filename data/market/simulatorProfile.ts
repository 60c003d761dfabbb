import { z } from 'zod';
import { SYMBOL_PATTERN } from './bar.ts';
import type { MarketCalendar } from './calendar.ts';
import { SeededRandom } from './simulatorRandom.ts';

/** How one simulated stock behaves; anything left out is drawn from the seed and the symbol. */
export interface SimulatedSymbolProfile {
  symbol: string;
  /** Symbols of one sector move together beyond the market (see `sectorCorrelation`). */
  sector?: string;
  /** Price at the anchor session's opening bell. Default: log-uniform in [20, 500). */
  startPrice?: number;
  /** Expected annual return (arithmetic). Default: uniform in [−0.05, 0.15). */
  annualDrift?: number;
  /** Annualised volatility of log returns, overnight gaps included. Default: uniform in [0.15, 0.50). */
  annualVolatility?: number;
  /** Shares traded on an average full session. Default: log-uniform in [300,000, 30,000,000). */
  averageDailyVolume?: number;
}

export interface MarketSimulatorOptions {
  /** Same seed, same market: every bar is a function of (seed, symbol profile, session, minute). */
  seed: number | string;
  /** Profiles of some symbols; any other valid ticker is simulated with defaults drawn from the seed. */
  profiles?: readonly SimulatedSymbolProfile[];
  /** Correlation of any two symbols' minute log returns through the common market factor. Default 0.3. */
  marketCorrelation?: number;
  /** Additional correlation of two symbols of the same sector. Default 0.2. */
  sectorCorrelation?: number;
  /** Share of a day's return variance that falls overnight (the gap at the open). Default 0.2. */
  overnightVarianceShare?: number;
  /** The first simulated session (New York date); prices equal `startPrice` at its open. Default 2024-01-02. */
  anchorDate?: string;
  calendar?: MarketCalendar;
  /** Sessions whose generated paths stay in memory (about 16 KB per symbol and session). Default 4. */
  cachedSessions?: number;
}

const fraction = (name: string) => z.number().min(0, `${name} must be between 0 and 1`).max(1, `${name} must be between 0 and 1`);
const positive = (name: string) => z.number().positive(`${name} must be a positive number`).finite(`${name} must be finite`);

const ProfileSchema = z.object({
  symbol: z.string().regex(SYMBOL_PATTERN, 'symbol must be an upper-case ticker (A-Z, 0-9, ".")'),
  sector: z.string().min(1, 'sector must not be empty').optional(),
  startPrice: positive('startPrice').optional(),
  annualDrift: z.number().min(-1, 'annualDrift must be between -1 and 1').max(1, 'annualDrift must be between -1 and 1').optional(),
  annualVolatility: z.number().min(0, 'annualVolatility must be between 0 and 3').max(3, 'annualVolatility must be between 0 and 3').optional(),
  averageDailyVolume: positive('averageDailyVolume').optional(),
});

const OptionsSchema = z
  .object({
    seed: z.union([z.number().finite('seed must be finite'), z.string()]),
    profiles: z.array(ProfileSchema).default([]),
    marketCorrelation: fraction('marketCorrelation').default(0.3),
    sectorCorrelation: fraction('sectorCorrelation').default(0.2),
    overnightVarianceShare: z.number().min(0).max(0.9, 'overnightVarianceShare must be between 0 and 0.9').default(0.2),
    anchorDate: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'anchorDate must be a date like 2024-01-02')
      .default('2024-01-02'),
    cachedSessions: z.number().int().min(1, 'cachedSessions must be at least 1').default(4),
  })
  .refine((o) => o.marketCorrelation + o.sectorCorrelation <= 1, {
    message: 'marketCorrelation + sectorCorrelation must not exceed 1 (they are shares of each return variance)',
  })
  .refine((o) => new Set(o.profiles.map((p) => p.symbol)).size === o.profiles.length, { message: 'profiles name a symbol twice' });

export type ResolvedSimulatorOptions = z.output<typeof OptionsSchema>;

export class SimulatorConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SimulatorConfigError';
  }
}

export function resolveSimulatorOptions(options: MarketSimulatorOptions): ResolvedSimulatorOptions {
  const { calendar: _calendar, ...plain } = options;
  const parsed = OptionsSchema.safeParse(plain);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
    throw new SimulatorConfigError(`invalid market simulator options: ${details.join('; ')}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** A profile with every field decided, plus the factor loadings its returns are built from. */
export interface ResolvedSymbolProfile {
  symbol: string;
  sector: string | null;
  startPrice: number;
  annualDrift: number;
  annualVolatility: number;
  averageDailyVolume: number;
  /** Weights of the unit market, sector and idiosyncratic shocks; their squares sum to 1. */
  marketLoading: number;
  sectorLoading: number;
  idiosyncraticLoading: number;
}

export function resolveSymbolProfile(options: ResolvedSimulatorOptions, symbol: string): ResolvedSymbolProfile {
  const given = options.profiles.find((profile) => profile.symbol === symbol);
  // Defaults are drawn in a fixed order from a stream of their own, whether or not some are given.
  const draw = new SeededRandom(options.seed, 'profile', symbol);
  const startPrice = Math.exp(draw.between(Math.log(20), Math.log(500)));
  const annualDrift = draw.between(-0.05, 0.15);
  const annualVolatility = draw.between(0.15, 0.5);
  const averageDailyVolume = Math.exp(draw.between(Math.log(3e5), Math.log(3e7)));
  const sector = given?.sector ?? null;
  const sectorShare = sector === null ? 0 : options.sectorCorrelation;
  return {
    symbol,
    sector,
    startPrice: given?.startPrice ?? startPrice,
    annualDrift: given?.annualDrift ?? annualDrift,
    annualVolatility: given?.annualVolatility ?? annualVolatility,
    averageDailyVolume: given?.averageDailyVolume ?? averageDailyVolume,
    marketLoading: Math.sqrt(options.marketCorrelation),
    sectorLoading: Math.sqrt(sectorShare),
    idiosyncraticLoading: Math.sqrt(Math.max(0, 1 - options.marketCorrelation - sectorShare)),
  };
}

/**
 * Intraday shapes as functions of the position in the session, u in [0, 1] (so a half day has the
 * same U, compressed). Volatility per minute: about 2.5× the midday level at the open and 1.6× at
 * the close; volume: about 5× at the open and 4× into the close — the well-documented U shapes of
 * US equities (e.g. Admati & Pfleiderer 1988; Andersen & Bollerslev 1997).
 */
export function volatilityShape(u: number): number {
  return 0.8 + 1.2 * Math.exp(-u / 0.05) + 0.5 * Math.exp(-(1 - u) / 0.05);
}

export function volumeShape(u: number): number {
  return 0.6 + 2.4 * Math.exp(-u / 0.06) + 1.8 * Math.exp(-(1 - u) / 0.04);
}

export interface IntradayShape {
  /** Share of the session's return variance in each minute; sums to 1. */
  varianceWeights: Float64Array;
  /** Volume multiplier per minute, averaging 1 over a full 390-minute session. */
  volumeMultipliers: Float64Array;
}

const FULL_SESSION_MINUTES = 390;
const shapes = new Map<number, IntradayShape>();

function averageVolumeShape(minutes: number): number {
  let sum = 0;
  for (let j = 0; j < minutes; j++) sum += volumeShape((j + 0.5) / minutes);
  return sum / minutes;
}

export function intradayShape(minutes: number): IntradayShape {
  let shape = shapes.get(minutes);
  if (shape === undefined) {
    const varianceWeights = new Float64Array(minutes);
    const volumeMultipliers = new Float64Array(minutes);
    const volumeNorm = averageVolumeShape(FULL_SESSION_MINUTES);
    let total = 0;
    for (let j = 0; j < minutes; j++) {
      const u = (j + 0.5) / minutes;
      varianceWeights[j] = volatilityShape(u) ** 2;
      total += varianceWeights[j] ?? 0;
      volumeMultipliers[j] = volumeShape(u) / volumeNorm;
    }
    for (let j = 0; j < minutes; j++) varianceWeights[j] = (varianceWeights[j] ?? 0) / total;
    shape = { varianceWeights, volumeMultipliers };
    shapes.set(minutes, shape);
  }
  return shape;
}
