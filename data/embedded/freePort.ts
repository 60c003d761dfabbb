import net from 'node:net';

/** True when nothing listens on 127.0.0.1:port (we bind it for a moment to find out). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel considers free right now on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

/** The port used last time if it is still free (stable URLs across runs), otherwise a new one. */
export async function preferredPort(previous: number | undefined): Promise<number> {
  if (previous !== undefined && (await isPortFree(previous))) return previous;
  return findFreePort();
}
