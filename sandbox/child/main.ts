// Entry of a sandbox child process (forked by the pool with --no-node-snapshot). Hosts one
// isolate per team and runs the operations the parent sends, one at a time, answering each
// team's result as soon as it is known so the parent can tell which team was running if this
// process dies.
import { readFileSync } from 'node:fs';
import { MinuteHistory } from '../history.ts';
import type { ChildMessage, LoadSpec, ParentMessage, RunTeam, RuntimeLimits } from '../protocol.ts';
import type { TeamRunResult } from '../types.ts';
import { TeamIsolate, type PreludeSource } from './teamIsolate.ts';

interface HostedTeam {
  spec: LoadSpec;
  isolate: TeamIsolate | null;
  /** Last minute seq the isolate has been given. */
  seenSeq: number;
  /** Last good team.memory, restored into a rebuilt isolate. */
  memory: unknown;
}

const prelude: PreludeSource = {
  code: readFileSync(new URL('../runtime/prelude.js', import.meta.url), 'utf8'),
  cachedData: undefined,
};
const teams = new Map<string, HostedTeam>();
let limits: RuntimeLimits | null = null;
let history = new MinuteHistory(1);

function send(message: ChildMessage): Promise<void> {
  // Waiting for the write keeps results flowing in order and on the wire before the next team runs.
  return new Promise((resolve) => {
    if (process.send === undefined) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

function requireLimits(): RuntimeLimits {
  if (limits === null) throw new Error('sandbox child used before init');
  return limits;
}

function buildIsolate(team: HostedTeam): { ok: true } | { ok: false; result: TeamRunResult } {
  const built = TeamIsolate.create(team.spec, requireLimits(), history.lastMinute, team.memory, prelude);
  if (built.team === null) {
    const error = built.result.ok ? { kind: 'load' as const, message: 'the strategy failed to load' } : built.result.error;
    return { ok: false, result: { signals: [], error, logs: built.result.logs, memory: team.memory, cpuMs: 0, wallMs: 0 } };
  }
  team.isolate = built.team;
  team.seenSeq = 0;
  return { ok: true };
}

function load(opId: number, spec: LoadSpec): ChildMessage {
  teams.get(spec.teamId)?.isolate?.dispose();
  teams.delete(spec.teamId);
  const team: HostedTeam = { spec, isolate: null, seenSeq: 0, memory: spec.memory ?? {} };
  const built = buildIsolate(team);
  if (!built.ok) return { type: 'loaded', opId, teamId: spec.teamId, error: built.result.error, logs: built.result.logs };
  teams.set(spec.teamId, team);
  return { type: 'loaded', opId, teamId: spec.teamId, error: null, logs: [] };
}

function runTeam(state: RunTeam, minuteJsonFor: (seenSeq: number) => string): TeamRunResult {
  const team = teams.get(state.teamId);
  if (team === undefined) {
    return { signals: [], error: { kind: 'load', message: 'the strategy is not loaded in its sandbox process' }, logs: [], memory: {}, cpuMs: 0, wallMs: 0 };
  }
  if (team.isolate === null || team.isolate.lost) {
    const built = buildIsolate(team);
    if (!built.ok) return built.result;
  }
  const isolate = team.isolate;
  if (isolate === null) throw new Error('unreachable: isolate missing after rebuild');
  const teamJson = JSON.stringify({ cash: state.cash, equity: state.equity, positions: state.positions });
  const outcome = isolate.call(minuteJsonFor(team.seenSeq), teamJson);
  team.seenSeq = history.lastSeq;
  if (outcome.isolateLost) {
    isolate.dispose();
    team.isolate = null;
  }
  if (outcome.ok) {
    team.memory = outcome.memory;
    return { signals: outcome.signals, error: null, logs: outcome.logs, memory: outcome.memory, cpuMs: outcome.cpuMs, wallMs: outcome.wallMs };
  }
  return { signals: [], error: outcome.error, logs: outcome.logs, memory: team.memory, cpuMs: outcome.cpuMs, wallMs: outcome.wallMs };
}

async function run(opId: number, minute: number, prices: Record<string, number>, states: RunTeam[]): Promise<void> {
  const pricesJson = JSON.stringify(prices);
  const cache = new Map<number, string>();
  const minuteJsonFor = (seenSeq: number): string => {
    let json = cache.get(seenSeq);
    if (json === undefined) {
      json = `{"m":${minute},"p":${pricesJson},"e":${JSON.stringify(history.since(seenSeq))}}`;
      cache.set(seenSeq, json);
    }
    return json;
  };
  for (const state of states) {
    await send({ type: 'result', opId, teamId: state.teamId, result: runTeam(state, minuteJsonFor) });
  }
  await send({ type: 'done', opId });
}

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'init':
      limits = message.limits;
      history = new MinuteHistory(message.limits.windowBars);
      for (const entry of message.history) history.append(entry);
      return send({ type: 'ready' });
    case 'load':
      for (const entry of message.entries) history.append(entry);
      return send(load(message.opId, message.spec));
    case 'unload':
      teams.get(message.teamId)?.isolate?.dispose();
      teams.delete(message.teamId);
      return send({ type: 'unloaded', opId: message.opId });
    case 'run':
      for (const entry of message.entries) history.append(entry);
      return run(message.opId, message.minute, message.prices, message.teams);
    case 'stats': {
      const usage = process.memoryUsage();
      return send({ type: 'stats', opId: message.opId, stats: { rss: usage.rss, heapUsed: usage.heapUsed, teams: teams.size } });
    }
  }
}

// Operations are handled strictly one after another.
let queue = Promise.resolve();
process.on('message', (message: ParentMessage) => {
  queue = queue
    .then(() => handle(message))
    .catch((error: unknown) => {
      // A bug here leaves the process in an unknown state: die loudly and let the supervisor restart it.
      process.stderr.write(`sandbox child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(70);
    });
});
// Without the parent there is nobody to answer to.
process.on('disconnect', () => process.exit(0));
