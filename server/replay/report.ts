/** The replay's verdict as text (one line per team, the first divergence spelled out) or one JSON document. Pure. */
import type { TeamVerdict } from './compare.ts';

export interface ReplayReport {
  /** The season replayed: its first and last minute. */
  season: { from: string | null; to: string | null };
  minutes: number;
  durationMs: number;
  minutesPerSecond: number;
  identical: boolean;
  teams: TeamVerdict[];
  /** Minutes replayed with an assumed input (recorded before tick_conditions existed). */
  assumedMinutes: number;
  /** Minutes whose stored bars do not match their stored hash. */
  alteredBars: string[];
  /** Minutes that traded at a broker (Alpaca): their fills cannot be reproduced. */
  brokerMinutes: number;
}

const iso = (minute: number): string => new Date(minute).toISOString().replace('.000Z', 'Z');
const shown = (value: unknown): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

export function replayText(report: ReplayReport): string {
  const lines = [
    `replayed ${String(report.minutes)} minutes (${report.season.from ?? '-'} to ${report.season.to ?? '-'}) in ${(report.durationMs / 1000).toFixed(1)} s, ${report.minutesPerSecond.toFixed(1)} minutes/s`,
  ];
  if (report.assumedMinutes > 0)
    lines.push(`note: ${String(report.assumedMinutes)} minute(s) were recorded before their conditions were kept; registry by time, no halts, loads inferred`);
  if (report.brokerMinutes > 0)
    lines.push(
      `note: ${String(report.brokerMinutes)} minute(s) traded at a broker; the replay fills them with the simulated venue, so only the runs up to their first fill can match`,
    );
  if (report.alteredBars.length > 0)
    lines.push(`warning: stored bars do not match their hash at ${report.alteredBars.slice(0, 5).join(', ')}${report.alteredBars.length > 5 ? ', …' : ''}`);
  const width = Math.max(4, ...report.teams.map((team) => team.teamId.length));
  for (const team of report.teams) {
    const counts = `${String(team.compared.runs)} runs, ${String(team.compared.fills)} fills, ${String(team.compared.snapshots)} snapshots${team.compared.metrics ? ', metrics' : ''}`;
    if (team.divergence === null) {
      lines.push(`${team.teamId.padEnd(width)}  identical (${counts})`);
      continue;
    }
    const d = team.divergence;
    lines.push(`${team.teamId.padEnd(width)}  DIVERGES at ${iso(d.minute)}: ${d.what}: recorded ${shown(d.recorded)}, replayed ${shown(d.replayed)}`);
    lines.push(`${' '.repeat(width)}  likely cause: ${d.cause}`);
  }
  lines.push(report.identical ? 'every team identical' : `${String(report.teams.filter((team) => !team.identical).length)} of ${String(report.teams.length)} team(s) diverge`);
  return `${lines.join('\n')}\n`;
}
