// Entry of a sandbox child process (forked by the pool with --no-node-snapshot). Hosts one
// isolate per team (TeamHost) and runs the operations the parent sends, one at a time. A run
// answers with one message for all its teams; which team is running at any moment is written to
// the progress file (argv[2]) before it starts, so the parent can blame the right team if this
// process dies or hangs, without a message per team.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ChildMessage, ParentMessage } from '../protocol.ts';
import { PROGRESS_BYTES, removeProgressFile } from '../progress.ts';
import { TeamHost } from './teamHost.ts';

const progressPath = process.argv[2];
if (progressPath === undefined) throw new Error('sandbox child: the progress file path is missing');
const progressFd = openSync(progressPath, 'r+');
const progress = new Int32Array(PROGRESS_BYTES / 4);

/** Records, synchronously (it must be in the file before the team runs), that operation `opId` is at team `index`. */
function markProgress(opId: number, index: number): void {
  progress[0] = opId;
  progress[1] = index;
  writeSync(progressFd, progress, 0, PROGRESS_BYTES, 0);
}

let host: TeamHost | null = null;

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

function requireHost(): TeamHost {
  if (host === null) throw new Error('sandbox child used before init');
  return host;
}

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'init':
      host = new TeamHost(message.limits);
      host.append(message.entries, message.order);
      return send({ type: 'ready' });
    case 'load': {
      const teams = requireHost();
      teams.append(message.entries, message.order);
      const { error, logs } = teams.load(message.spec);
      return send({ type: 'loaded', opId: message.opId, teamId: message.spec.teamId, error, logs });
    }
    case 'unload':
      requireHost().unload(message.teamId);
      return send({ type: 'unloaded', opId: message.opId });
    case 'run': {
      const teams = requireHost();
      teams.append(message.entries, message.order);
      const results = teams.runBatch(message.minute, message.prices, message.teams, (index) => markProgress(message.opId, index));
      return send({ type: 'results', opId: message.opId, results });
    }
    case 'stats':
      return send({ type: 'stats', opId: message.opId, stats: requireHost().stats() });
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
// Without the parent there is nobody to answer to. The parent removes the progress file once it has
// seen this process close; a parent that died first (killed, crashed) never will, so this process
// removes it (the file, then its folder if empty: nothing else). A parent still there reads it
// through the descriptor it holds, and its own removal finds nothing left to do.
process.on('disconnect', () => {
  closeSync(progressFd);
  removeProgressFile(progressPath);
  process.exit(0);
});
