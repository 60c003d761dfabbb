/**
 * Every text that leaves in a live event is bounded here, whoever built the event: a strategy's
 * error message, a commit message, a rejection reason or a log line reaches thousands of browsers,
 * so none may be larger than a line or two, and none may hold a NUL or a lone surrogate.
 */
import { safeText } from '../../sandbox/safeText.ts';
import type { ActivityEvent, FindingSummary, TeamMinuteEvent } from './events.ts';

export const CLIP = {
  /** Ids, symbols, kinds, codes, commit SHAs. */
  name: 64,
  /** Messages, reasons. */
  text: 500,
  /** A log line of a strategy (team stream only). */
  logLine: 1_000,
  /** Log lines of one minute (the sandbox keeps 50 per call). */
  logLines: 50,
  /** Findings an event carries; `findingsCount` has the total. */
  findings: 3,
  findingFile: 200,
} as const;

/** `value` as bounded, storable text ('' when it is not a string). */
export function clip(value: unknown, max: number): string {
  return typeof value === 'string' ? safeText(value, max) : '';
}

/** The first line of a text, clipped. */
export function firstLine(value: unknown, max: number = CLIP.text): string {
  return clip(typeof value === 'string' ? (value.split('\n', 1)[0] ?? '') : '', max);
}

export function clipFinding(finding: FindingSummary): FindingSummary {
  return {
    file: finding.file === null ? null : clip(finding.file, CLIP.findingFile),
    line: Number.isFinite(finding.line) ? finding.line : 0,
    column: Number.isFinite(finding.column) ? finding.column : 0,
    rule: clip(finding.rule, CLIP.name),
    message: clip(finding.message, CLIP.text),
  };
}

/** A copy of the event with every text bounded. */
export function clipEvent(event: ActivityEvent): ActivityEvent {
  switch (event.type) {
    case 'trade':
      return { ...event, teamId: clip(event.teamId, CLIP.name), symbol: clip(event.symbol, CLIP.name), clientOrderId: clip(event.clientOrderId, 128) };
    case 'order_rejected':
      return {
        ...event,
        teamId: clip(event.teamId, CLIP.name),
        symbol: clip(event.symbol, CLIP.name),
        code: clip(event.code, CLIP.name),
        message: clip(event.message, CLIP.text),
        ...(event.clientOrderId === undefined ? {} : { clientOrderId: clip(event.clientOrderId, 128) }),
      };
    case 'strategy_error':
      return { ...event, teamId: clip(event.teamId, CLIP.name), kind: clip(event.kind, CLIP.name), message: clip(event.message, CLIP.text) };
    case 'version_activated':
      return { ...event, teamId: clip(event.teamId, CLIP.name), commit: clip(event.commit, CLIP.name), message: firstLine(event.message) };
    case 'version_rejected':
      return {
        ...event,
        teamId: clip(event.teamId, CLIP.name),
        commit: clip(event.commit, CLIP.name),
        reason: firstLine(event.reason),
        ...(event.stage === undefined ? {} : { stage: clip(event.stage, CLIP.name) }),
        ...(event.findings === undefined ? {} : { findings: event.findings.slice(0, CLIP.findings).map(clipFinding) }),
      };
    case 'team_halted':
      return { ...event, teamId: clip(event.teamId, CLIP.name), reason: clip(event.reason, CLIP.text) };
    case 'team_resumed':
      return { ...event, teamId: clip(event.teamId, CLIP.name) };
    case 'competition_halted':
      return { ...event, reason: clip(event.reason, CLIP.text) };
    case 'leaderboard':
      return { ...event, top: event.top.slice(0, 10).map((entry) => ({ ...entry, teamId: clip(entry.teamId, CLIP.name) })) };
    case 'reconciliation': {
      const symbols = (list: string[]) => list.slice(0, 50).map((symbol) => clip(symbol, CLIP.name));
      return { ...event, broker: clip(event.broker, CLIP.name), symbols: symbols(event.symbols), alerts: symbols(event.alerts) };
    }
    case 'season_started':
      return { ...event, clock: clip(event.clock, CLIP.name), reason: clip(event.reason, CLIP.name), late: event.late.slice(0, 50).map((id) => clip(id, CLIP.name)) };
    case 'tick':
    case 'competition_resumed':
      return event;
  }
}

/** A minute of a team's stream with its error and log lines bounded. */
export function clipMinuteEvent(event: TeamMinuteEvent): TeamMinuteEvent {
  return {
    ...event,
    error: event.error && { kind: clip(event.error.kind, CLIP.name), message: clip(event.error.message, CLIP.text * 4) },
    logs: event.logs.slice(0, CLIP.logLines).map((line) => ({ level: clip(line.level, 16) || 'log', message: clip(line.message, CLIP.logLine) })),
  };
}
