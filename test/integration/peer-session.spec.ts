/**
 * Two rxtorrent peer sessions over real sockets on 127.0.0.1: a seeder behind a `node:net`
 * listener (which reads the handshake, as the client's listener will) and a leecher dialling
 * with `connectTcp`. They exchange handshakes, pieces, interest, unchoke and 64 blocks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { once } from 'node:events';
import { asyncScheduler, Subject } from 'rxjs';
import type { Subscription } from 'rxjs';
import { acceptTcp, connectTcp } from '../../src/io/tcp-connection.js';
import type { BlockRequest, PeerCommand, PeerEvent } from '../../src/peer/peer-events.js';
import { peerSession } from '../../src/peer/peer-session.js';
import { decodeHandshake, HANDSHAKE_LENGTH } from '../../src/wire/handshake.js';
import type { Handshake } from '../../src/wire/handshake.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const INFO_HASH = new Uint8Array(20).fill(0x5a);
const SEEDER_ID = new TextEncoder().encode('-RX0001-seederseeder');
const LEECHER_ID = new TextEncoder().encode('-RX0001-leecherleech');
const PIECE_COUNT = 4;
const BLOCK = 16 * 1024;
const BLOCKS_PER_PIECE = 16;

/** Block content that differs by piece, offset and byte position. */
function blockData(index: number, begin: number): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = (index * 131 + begin / BLOCK * 17 + i * 7) & 0xff;
  return out;
}

/** Reads a peer's 68-byte handshake off an accepted socket; returns it and any bytes after it. */
function readHandshake(socket: Socket): Promise<{ handshake: Handshake; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (all.length < HANDSHAKE_LENGTH) return;
      socket.off('data', onData);
      socket.pause();
      try {
        resolve({ handshake: decodeHandshake(all.subarray(0, HANDSHAKE_LENGTH)), rest: all.subarray(HANDSHAKE_LENGTH) });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    socket.on('data', onData);
  });
}

describe('peer session over TCP', () => {
  it('exchanges handshake, bitfield, interest and 64 blocks, then closes both sockets', async () => {
    const seederEvents: PeerEvent[] = [];
    const accepted: Socket[] = [];
    const subscriptions: Subscription[] = [];
    const server: Server = createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => undefined);
      void readHandshake(socket).then(({ handshake, rest }) => {
        const commands = new Subject<PeerCommand>();
        subscriptions.push(peerSession({
          peer: { kind: 'accepted', connection$: acceptTcp(socket, { head: rest.length > 0 ? [rest] : [] }), handshake },
          infoHash: INFO_HASH,
          ourPeerId: SEEDER_ID,
          pieceCount: PIECE_COUNT,
          ourBitfield: new Uint8Array([0xf0]),
          commands$: commands,
        }, { scheduler: asyncScheduler, connect: () => { throw new Error('the seeder never dials'); } }).subscribe({
          next: (event) => {
            seederEvents.push(event);
            if (event.type === 'interested') commands.next({ type: 'unchoke' });
            if (event.type === 'request') {
              const { index, begin } = event.request;
              commands.next({ type: 'piece', index, begin, data: blockData(index, begin) });
            }
          },
          error: (err: unknown) => { throw err; },
        }));
      }, () => socket.destroy());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(async () => {
      for (const s of accepted) s.destroy();
      server.close();
      await once(server, 'close');
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');

    const todo: BlockRequest[] = [];
    for (let index = 0; index < PIECE_COUNT; index++) {
      for (let b = 0; b < BLOCKS_PER_PIECE; b++) todo.push({ index, begin: b * BLOCK, length: BLOCK });
    }
    const leecherEvents: PeerEvent[] = [];
    const commands = new Subject<PeerCommand>();
    let good = 0;
    let bad = 0;
    const done = new Promise<void>((resolve, reject) => {
      const requestMore = (count: number): void => {
        for (const r of todo.splice(0, count)) commands.next({ type: 'request', ...r });
      };
      subscriptions.push(peerSession({
        peer: { kind: 'dial', address: { host: '127.0.0.1', port: address.port } },
        infoHash: INFO_HASH,
        ourPeerId: LEECHER_ID,
        pieceCount: PIECE_COUNT,
        ourBitfield: new Uint8Array([0x00]),
        commands$: commands,
      }, { scheduler: asyncScheduler, connect: (a) => connectTcp(a, { connectTimeout: 5000 }) }).subscribe({
        next: (event) => {
          leecherEvents.push(event);
          switch (event.type) {
            case 'bitfield':
              if (event.pieces.count === PIECE_COUNT) commands.next({ type: 'interested' });
              return;
            case 'want':
              return requestMore(event.count);
            case 'block':
              if (Buffer.compare(event.data, blockData(event.index, event.begin)) === 0) good++;
              else bad++;
              if (good + bad === PIECE_COUNT * BLOCKS_PER_PIECE) resolve();
              return;
            case 'closed':
              reject(new Error(`leecher closed: ${JSON.stringify(event.reason)}`));
              return;
            default:
              return;
          }
        },
        error: reject,
      }));
    });
    cleanups.push(() => { for (const s of subscriptions) s.unsubscribe(); });

    await done;
    expect({ good, bad }).toEqual({ good: 64, bad: 0 });
    const types = leecherEvents.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['connected', 'handshake', 'bitfield']);
    expect(types).toContain('unchoked');
    expect(types).toContain('extended-handshake');
    expect(seederEvents.filter((e) => e.type === 'request')).toHaveLength(64);
    expect(seederEvents.map((e) => e.type)).toContain('interested');
    expect(seederEvents.some((e) => e.type === 'closed')).toBe(false);

    for (const s of subscriptions) s.unsubscribe();
    for (const s of accepted) {
      if (!s.destroyed) await once(s, 'close');
      expect(s.destroyed).toBe(true);
    }
    while (await new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))) > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
});
