import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { firstValueFrom } from 'rxjs';
import { listenForPeers } from '../../src/io/peer-listener.js';
import type { IncomingPeer, PeerListener } from '../../src/io/peer-listener.js';
import { encodeHandshake } from '../../src/wire/handshake.js';
import { toHex } from '../../src/metainfo/parse-metainfo.js';
import type { Connection } from '../../src/peer/connection.js';
import { expectWriteHighWaterMark } from '../support/high-water.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const known = new Uint8Array(20).fill(7);

async function start(route: (infoHash: string, peer: IncomingPeer) => boolean): Promise<PeerListener> {
  const listener = await listenForPeers({ host: '127.0.0.1', port: 0, route });
  cleanups.push(() => listener.close());
  return listener;
}

async function dial(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  cleanups.push(() => { socket.destroy(); });
  await once(socket, 'connect');
  return socket;
}

describe('listenForPeers', () => {
  it('routes a handshake by its info hash, with the bytes after it as head, on a socket that takes WRITE_HIGH_WATER_BYTES before drain', async () => {
    const routed: IncomingPeer[] = [];
    const listener = await start((infoHash, peer) => {
      if (infoHash !== toHex(known)) return false;
      routed.push(peer);
      return true;
    });
    const socket = await dial(listener.port);
    socket.write(Buffer.concat([encodeHandshake({ infoHash: known, peerId: new Uint8Array(20).fill(1) }), Buffer.from('after')]));
    while (routed.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const peer = routed[0]!;
    expect(toHex(peer.handshake.infoHash)).toBe(toHex(known));
    // The Connection lives while connection$ is subscribed: unsubscribing destroys the socket.
    let emitted: Connection | undefined;
    const subscription = peer.connection$.subscribe((c) => (emitted = c));
    cleanups.push(() => subscription.unsubscribe());
    if (emitted === undefined) throw new Error('connection$ emits at once');
    const connection = emitted;
    expect(Buffer.from(await firstValueFrom(connection.data$)).toString()).toBe('after');
    await expectWriteHighWaterMark(connection, socket);
  });

  it('closes a connection whose info hash no torrent has', async () => {
    const asked: string[] = [];
    const listener = await start((infoHash) => {
      asked.push(infoHash);
      return false;
    });
    const socket = await dial(listener.port);
    const closed = once(socket, 'close');
    const unknown = new Uint8Array(20).fill(9);
    socket.write(encodeHandshake({ infoHash: unknown, peerId: new Uint8Array(20).fill(1) }));
    await closed;
    expect(asked).toEqual([toHex(unknown)]);
  });
});
