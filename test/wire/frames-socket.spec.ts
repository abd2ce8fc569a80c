import { describe, it, expect, afterEach } from 'vitest';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { once } from 'node:events';
import { firstValueFrom, Observable, toArray } from 'rxjs';
import { frames } from '../../src/operators/frames.js';
import { encodeMessage } from '../../src/wire/encode-message.js';
import { encodeHandshake, encodeReserved } from '../../src/wire/handshake.js';
import type { PeerMessage } from '../../src/wire/messages.js';
import { WireError } from '../../src/wire/wire-error.js';
import { concat } from './arbitraries.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A server on 127.0.0.1 that writes `bytes` to each client in chunks of cycling odd sizes. */
async function serve(bytes: Uint8Array, sizes: readonly number[]): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    void (async () => {
      let at = 0;
      for (let i = 0; at < bytes.length && !socket.destroyed; i++) {
        const size = sizes[i % sizes.length] ?? 1;
        socket.write(bytes.subarray(at, at + size));
        at += size;
        if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      socket.end();
    })();
  });
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    server.close();
    await once(server, 'close');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** A cold Observable of a client socket's chunks: subscribing connects, unsubscribing destroys. */
function chunks$(port: number, opened: Socket[]): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    const socket = connect(port, '127.0.0.1');
    opened.push(socket);
    socket.on('data', (d: Buffer) => subscriber.next(new Uint8Array(d.buffer, d.byteOffset, d.length)));
    socket.on('end', () => subscriber.complete());
    socket.on('error', (err) => subscriber.error(err));
    return () => socket.destroy();
  });
}

const infoHash = new Uint8Array(20).map((_, i) => i * 3);
const peerId = new TextEncoder().encode('-RX0001-socketsocket');

describe('frames() on a real TCP socket', () => {
  it('decodes a handshake and a long message stream written in odd chunk sizes', async () => {
    const messages: PeerMessage[] = [
      { type: 'bitfield', bits: new Uint8Array(125).fill(0xff) },
      { type: 'unchoke' },
      { type: 'extended', id: 0, payload: new TextEncoder().encode('d1:md6:ut_pexi1eee') },
    ];
    for (let i = 0; i < 64; i++) {
      const block = new Uint8Array(16384).map((_, j) => (i * 31 + j) & 0xff);
      messages.push({ type: 'piece', index: i >> 2, begin: (i & 3) * 16384, block }, { type: 'have', index: i });
    }
    messages.push({ type: 'keep-alive' }, { type: 'have-all' });
    const handshake = encodeHandshake({ infoHash, peerId, reserved: encodeReserved({ fast: true, extended: true }) });
    const port = await serve(concat([handshake, ...messages.map(encodeMessage)]), [1, 3, 7, 4093, 13, 16411, 2, 65537]);
    const opened: Socket[] = [];
    cleanups.push(() => opened.forEach((s) => s.destroy()));

    const events = await firstValueFrom(chunks$(port, opened).pipe(frames({ handshake: true }), toArray()));

    expect(events[0]).toEqual({
      type: 'handshake', infoHash, peerId,
      reserved: encodeReserved({ fast: true, extended: true }),
      extensions: { fast: true, extended: true, dht: false },
    });
    expect(events.slice(1)).toEqual(messages);
    expect(opened.every((s) => s.destroyed)).toBe(true);
  });

  it('errors with a WireError on an oversized frame and closes the socket', async () => {
    const port = await serve(concat([encodeMessage({ type: 'choke' }), new Uint8Array([0x10, 0, 0, 0, 7])]), [3]);
    const opened: Socket[] = [];
    cleanups.push(() => opened.forEach((s) => s.destroy()));
    const seen: string[] = [];
    const error = await new Promise<unknown>((resolve) => {
      chunks$(port, opened).pipe(frames()).subscribe({
        next: (e) => seen.push(e.type),
        error: resolve,
        complete: () => resolve(undefined),
      });
    });
    expect(seen).toEqual(['choke']);
    expect(error).toBeInstanceOf(WireError);
    expect(error instanceof WireError && error.detail.kind).toBe('frame-too-large');
    expect(opened.every((s) => s.destroyed)).toBe(true);
  });
});
