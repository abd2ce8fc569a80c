import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { once } from 'node:events';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import type { Subscription } from 'rxjs';
import { acceptTcp, connectTcp } from '../../src/io/tcp-connection.js';
import type { Connection } from '../../src/peer/connection.js';
import { ConnectionError } from '../../src/peer/connection-error.js';
import { expectWriteHighWaterMark } from '../support/high-water.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

interface Listening {
  readonly server: Server;
  readonly port: number;
  readonly accepted: Socket[];
  next(): Promise<Socket>;
}

async function listen(): Promise<Listening> {
  const accepted: Socket[] = [];
  const waiting: ((s: Socket) => void)[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    accepted.push(socket);
    waiting.shift()?.(socket);
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
  return {
    server,
    port: address.port,
    accepted,
    next: () => new Promise((resolve) => {
      const ready = accepted[accepted.length - 1];
      if (ready !== undefined && waiting.length === 0 && accepted.length > 0 && !ready.destroyed) resolve(ready);
      else waiting.push(resolve);
    }),
  };
}

function open(port: number, reuseReadBuffer = false): Promise<{ connection: Connection; subscription: Subscription }> {
  return new Promise((resolve, reject) => {
    const subscription = connectTcp({ host: '127.0.0.1', port }, { reuseReadBuffer }).subscribe({
      next: (connection) => resolve({ connection, subscription }),
      error: reject,
    });
    cleanups.push(() => subscription.unsubscribe());
  });
}

const text = (chunks: Uint8Array[]): string => Buffer.concat(chunks).toString();

describe('connectTcp', () => {
  it('connects, writes chunks in order, reads, and destroys the socket on unsubscribe', async () => {
    const l = await listen();
    const accepted = l.next();
    const { connection, subscription } = await open(l.port);
    const server = await accepted;
    expect(connection.remoteAddress).toEqual({ host: '127.0.0.1', port: l.port });
    const received: Buffer[] = [];
    server.on('data', (d: Buffer) => received.push(d));
    expect(connection.write([Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')])).toBe(true);
    const chunk = firstValueFrom(connection.data$);
    server.write('hello');
    expect(Buffer.from(await chunk).toString()).toBe('hello');
    while (text(received).length < 6) await once(server, 'data');
    expect(text(received)).toBe('abcdef');
    const closed = once(server, 'close');
    subscription.unsubscribe();
    await closed;
    expect(connection.write([Buffer.from('x')])).toBe(false);
  });

  it('keeps the order of small and large chunks, over many turns and more small bytes than one slab holds', async () => {
    const l = await listen();
    const accepted = l.next();
    const { connection } = await open(l.port);
    const server = await accepted;
    const received: Buffer[] = [];
    server.on('data', (d: Buffer) => received.push(d));
    // Small chunks (gathered into slabs) between large ones (written as they are), in 5 turns:
    // 5 × 1,500 × 17 bytes is several 16 KiB slabs, so a reused slab would garble the stream.
    const sent: Uint8Array[] = [];
    let n = 0;
    for (let turn = 0; turn < 5; turn++) {
      for (let i = 0; i < 1_500; i++) {
        const chunks = [new Uint8Array(17).fill(n++ % 251)];
        if (i % 500 === 0) chunks.push(new Uint8Array(20_000).fill(n++ % 251));
        sent.push(...chunks);
        connection.write(chunks);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const expected = Buffer.concat(sent);
    while (Buffer.concat(received).length < expected.length) await once(server, 'data');
    expect(Buffer.concat(received).equals(expected)).toBe(true);
  });

  it('takes WRITE_HIGH_WATER_BYTES of blocks in one turn before asking for drain, and drains once they left', async () => {
    const l = await listen();
    const accepted = l.next();
    const { connection } = await open(l.port);
    await expectWriteHighWaterMark(connection, await accepted);
  });

  it('completes data$ when the peer ends the stream', async () => {
    const l = await listen();
    const accepted = l.next();
    const { connection } = await open(l.port);
    const all = lastValueFrom(connection.data$.pipe(toArray()));
    (await accepted).end('bye');
    expect(text(await all)).toBe('bye');
  });

  it('fails with connect-refused when nobody listens', async () => {
    const l = await listen();
    const port = l.port;
    l.server.close();
    await once(l.server, 'close');
    const error: unknown = await firstValueFrom(connectTcp({ host: '127.0.0.1', port })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error instanceof ConnectionError ? error.detail : undefined).toEqual({ kind: 'connect-refused' });
  });

});

describe('connectTcp with reuseReadBuffer', () => {
  it('delivers every byte in order, in views of one reused buffer, including bytes sent before anyone reads', async () => {
    const l = await listen();
    const accepted = l.next();
    const { connection } = await open(l.port, true);
    expect(connection.reusesChunks).toBe(true);
    const server = await accepted;
    // Sent before data$ has a subscriber: kept (copied) and delivered first.
    await new Promise<void>((resolve) => server.write('early:', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const payload = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 1) payload[i] = (i * 7 + (i >> 11)) & 0xff;
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let ended = false;
    const sub = connection.data$.subscribe({
      next: (chunk) => {
        buffers.add(chunk.buffer);
        copies.push(Buffer.from(chunk)); // valid only now: copy
      },
      error: () => undefined,
      complete: () => { ended = true; },
    });
    cleanups.push(() => sub.unsubscribe());
    server.end(payload);
    while (!ended) await new Promise((resolve) => setTimeout(resolve, 10));
    const all = Buffer.concat(copies);
    expect(all.subarray(0, 6).toString()).toBe('early:');
    expect(all.subarray(6).equals(payload)).toBe(true);
    // Many reads, few buffers: the early copy plus the one read buffer.
    expect(copies.length).toBeGreaterThan(10);
    expect(buffers.size).toBeLessThanOrEqual(2);
  });

  for (const reuse of [false, true]) {
    it(`does not read while paused, and delivers the bytes after resume (reuseReadBuffer: ${reuse})`, async () => {
      const l = await listen();
      const accepted = l.next();
      const { connection } = await open(l.port, reuse);
      connection.pause();
      const received: Uint8Array[] = [];
      const sub = connection.data$.subscribe({ next: (c) => received.push(c.slice()), error: () => undefined });
      cleanups.push(() => sub.unsubscribe());
      const server = await accepted;
      await new Promise<void>((resolve) => server.write('paused', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(received).toEqual([]);
      connection.resume();
      while (text(received).length < 6) await new Promise((resolve) => setImmediate(resolve));
      expect(text(received)).toBe('paused');
    });
  }
});

describe('acceptTcp', () => {
  it('delivers the head bytes first and destroys the socket on unsubscribe', async () => {
    const l = await listen();
    const client = (await import('node:net')).connect(l.port, '127.0.0.1');
    client.on('error', () => undefined);
    cleanups.push(() => { client.destroy(); });
    const socket = await l.next();
    let connection: Connection | undefined;
    const subscription = acceptTcp(socket, { head: [Buffer.from('head-')] }).subscribe({
      next: (c) => { connection = c; },
      error: () => undefined,
    });
    if (connection === undefined) throw new Error('acceptTcp emits at once');
    const all = lastValueFrom(connection.data$.pipe(toArray()));
    client.end('tail');
    expect(text(await all)).toBe('head-tail');
    subscription.unsubscribe();
    expect(socket.destroyed).toBe(true);
  });
});
