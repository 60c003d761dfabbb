// A port for a server a test starts and that binds it later (a `qtc` process, a server restarted on the
// same port). findFreePort's ports come from the kernel's ephemeral range, which every outgoing
// connection of the suite draws its local port from too: a port free when chosen was, once in a while,
// some connection's port by the time the server bound it (seconds later, after creating a database
// cluster), and the server never came up (CI saw `qtc all` miss its 90 s for that). These ports come from
// below that range, where the kernel never assigns a port by itself, and each vitest worker draws from a
// block of its own, so two test files running at once never pick the same one.
import { readFileSync } from 'node:fs';
import { findFreePort, isPortFree } from '../../data/embedded/freePort.ts';

const FIRST = 20_000;
const BLOCK = 1_000;
const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range (Linux default 32768). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** A port free now, outside the ephemeral range, not handed out before in this worker. */
export async function serverPort(): Promise<number> {
  const blocks = Math.floor((ephemeralLow() - FIRST) / BLOCK);
  // A machine whose ephemeral range starts low leaves no room below it: the kernel's choice, as before.
  if (blocks < 1) return findFreePort();
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  const start = FIRST + (((Number.isInteger(worker) && worker > 0 ? worker : 1) - 1) % blocks) * BLOCK;
  for (let attempt = 0; attempt < BLOCK; attempt++) {
    const port = start + Math.floor(Math.random() * BLOCK);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port left in ${String(start)}-${String(start + BLOCK - 1)}`);
}
