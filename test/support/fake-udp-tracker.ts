/**
 * A scriptable UDP tracker on 127.0.0.1 for tests (BEP 15 framing only): it records every request
 * and lets the test decide what, if anything, to send back and from which socket.
 */
import * as dgram from 'node:dgram';
import { boundPort } from './ports.js';

export interface UdpRequest {
  readonly action: number;
  readonly transactionId: number;
  readonly bytes: Buffer;
}

export type Reply = (bytes: Uint8Array, from?: 'tracker' | 'other') => void;

export interface FakeUdpTracker {
  readonly url: string;
  readonly requests: UdpRequest[];
  /** Replaces the reaction to requests (default: a well-behaved tracker). */
  handle(handler: (request: UdpRequest, reply: Reply) => void): void;
  close(): Promise<void>;
}

export const CONNECTION_ID = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);

/** The standard answer of a well-behaved tracker with the given compact peers. */
export function wellBehaved(peers: Uint8Array = Buffer.from([10, 0, 0, 1, 0x1a, 0xe1])) {
  return (request: UdpRequest, reply: Reply): void => {
    if (request.action === 0) reply(connectResponse(request.transactionId));
    else if (request.action === 1) reply(announceResponse(request.transactionId, peers));
  };
}

export function connectResponse(transactionId: number, connectionId: Uint8Array = CONNECTION_ID): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt32BE(0, 0);
  out.writeUInt32BE(transactionId, 4);
  Buffer.from(connectionId).copy(out, 8);
  return out;
}

export function announceResponse(transactionId: number, peers: Uint8Array, interval = 1800): Buffer {
  const head = Buffer.alloc(20);
  head.writeUInt32BE(1, 0);
  head.writeUInt32BE(transactionId, 4);
  head.writeUInt32BE(interval, 8);
  head.writeUInt32BE(2, 12); // leechers
  head.writeUInt32BE(3, 16); // seeders
  return Buffer.concat([head, Buffer.from(peers)]);
}

export function errorResponse(transactionId: number, message: string): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(3, 0);
  head.writeUInt32BE(transactionId, 4);
  return Buffer.concat([head, Buffer.from(message)]);
}

export async function startFakeUdpTracker(): Promise<FakeUdpTracker> {
  const socket = dgram.createSocket('udp4');
  const other = dgram.createSocket('udp4');
  await Promise.all(
    [socket, other].map((s) => new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()))),
  );
  const requests: UdpRequest[] = [];
  let handler: (request: UdpRequest, reply: Reply) => void = wellBehaved();
  socket.on('message', (bytes, remote) => {
    if (bytes.length < 16) return;
    const action = bytes.readUInt32BE(8);
    const request = { action, transactionId: bytes.readUInt32BE(12), bytes };
    requests.push(request);
    handler(request, (reply, from = 'tracker') => {
      (from === 'tracker' ? socket : other).send(reply, remote.port, remote.address);
    });
  });
  return {
    url: `udp://127.0.0.1:${boundPort(socket)}/announce`,
    requests,
    handle: (next) => {
      handler = next;
    },
    close: async () => {
      await Promise.all([socket, other].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
