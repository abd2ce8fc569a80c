/**
 * Loopback port helpers for tests: find a free TCP/UDP port on 127.0.0.1, read a server's port,
 * wait until a TCP port answers.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';

/** The port a listening server or bound socket got (throws when it is not listening on IP). */
export function boundPort(server: { address(): net.AddressInfo | string | null }): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on an IP port');
  return address.port;
}

/** A port that was free on 127.0.0.1 for both TCP and UDP a moment ago. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 20; tries += 1) {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const port = boundPort(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const socket = dgram.createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (udpFree) return port;
  }
  throw new Error('no free port found');
}

/** Resolves once a TCP connection to 127.0.0.1:port succeeds; rejects after `timeoutMs`. */
export async function waitForTcpPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
