/**
 * The client's one listening port. Each incoming connection must send a valid BitTorrent
 * handshake within `handshakeTimeout`; its info hash picks the torrent (`route`). A connection
 * for an unknown torrent, with a bad handshake, or over `maxPending` waiting handshakes is closed.
 */
import * as net from 'node:net';
import { toHex } from '../metainfo/parse-metainfo.js';
import type { AcceptedPeer } from '../peer/peer-session.js';
import type { PeerAddress } from '../peer/connection.js';
import { HANDSHAKE_LENGTH, decodeHandshake, handshakePrefixMismatch } from '../wire/handshake.js';
import { WRITE_HIGH_WATER_BYTES, acceptTcp } from './tcp-connection.js';

export type IncomingPeer = AcceptedPeer & { readonly address: PeerAddress };

export interface PeerListenerOptions {
  readonly host?: string;
  /** The port to try first; 0 for any. */
  readonly port: number;
  /** How many ports above `port` to try when it is taken; default 20 (0 when port is 0). */
  readonly portRange?: number;
  readonly handshakeTimeout?: number;
  readonly maxPending?: number;
  /** Hands a routed peer to its torrent; false when no torrent has that info hash. */
  readonly route: (infoHashHex: string, peer: IncomingPeer) => boolean;
}

export interface PeerListener {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export async function listenForPeers(options: PeerListenerOptions): Promise<PeerListener> {
  const host = options.host ?? '0.0.0.0';
  const handshakeTimeout = options.handshakeTimeout ?? 10_000;
  const maxPending = options.maxPending ?? 64;
  const sockets = new Set<net.Socket>();
  let pending = 0;

  // The accepted sockets buffer as much as the ones we dial before asking for `drain`.
  const server = net.createServer({ pauseOnConnect: false, noDelay: true, highWaterMark: WRITE_HIGH_WATER_BYTES }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (pending >= maxPending) {
      socket.destroy();
      return;
    }
    pending += 1;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const timer = setTimeout(() => finish(false), handshakeTimeout);
    const finish = (keep: boolean): void => {
      if (settled) return;
      settled = true;
      pending -= 1;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      if (!keep) socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
      const all = Buffer.concat(chunks, received);
      if (handshakePrefixMismatch(all.subarray(0, Math.min(all.length, 20))) !== undefined) {
        finish(false);
        return;
      }
      if (received < HANDSHAKE_LENGTH) return;
      finish(true);
      let handshake;
      try {
        handshake = decodeHandshake(all.subarray(0, HANDSHAKE_LENGTH));
      } catch {
        socket.destroy();
        return;
      }
      const head = received > HANDSHAKE_LENGTH ? [all.subarray(HANDSHAKE_LENGTH)] : [];
      const address = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      const peer: IncomingPeer = { kind: 'accepted', connection$: acceptTcp(socket, { head }), handshake, address };
      if (!options.route(toHex(handshake.infoHash), peer)) socket.destroy();
    };
    socket.on('data', onData);
  });
  server.on('error', () => undefined);

  const range = options.port === 0 ? 0 : (options.portRange ?? 20);
  let port = options.port;
  for (let attempt = 0; ; attempt += 1) {
    try {
      port = await listen(server, host, options.port === 0 ? 0 : options.port + attempt);
      break;
    } catch (error) {
      if (attempt >= range || !isAddressInUse(error)) throw error;
    }
  }

  return {
    port,
    host,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function isAddressInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EADDRINUSE';
}
