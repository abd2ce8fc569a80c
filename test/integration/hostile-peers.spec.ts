/**
 * Hostile peers on 127.0.0.1 ("nothing crashes, nothing is lost, nothing escapes").
 *
 * Each misbehaviour of `test/support/hostile-peer.ts` is checked twice where it matters:
 * - at session level, a real `peerSession` dials the hostile peer with `connectTcp` and must end
 *   with the exact typed `closed` reason (the stream never errors, the socket is closed);
 * - at client level, a leecher (`createClient`) downloads a multi-file torrent from two honest
 *   rxtorrent seeders plus the hostile peer, and must finish with identical bytes.
 * The flood and 4 GiB cases also check that the process's memory stays bounded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncScheduler, lastValueFrom, Subject, toArray } from 'rxjs';
import type { Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client-types.js';
import { createClient } from '../../src/client/create-client.js';
import type { TorrentEvent } from '../../src/client/torrent-events.js';
import { createTorrent } from '../../src/io/create-torrent.js';
import { connectTcp } from '../../src/io/tcp-connection.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import type { CloseReason, PeerCommand, PeerEvent } from '../../src/peer/peer-events.js';
import { peerSession } from '../../src/peer/peer-session.js';
import type { PeerSessionOptions } from '../../src/peer/peer-session-options.js';
import { startHostilePeer } from '../support/hostile-peer.js';
import type { HostileBehaviour, HostilePeer } from '../support/hostile-peer.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface TorrentId {
  readonly infoHash: Uint8Array;
  readonly pieceCount: number;
}

async function hostilePeer(behaviour: HostileBehaviour, torrent: TorrentId = SESSION_TORRENT, content?: { data: Uint8Array; pieceLength: number }): Promise<HostilePeer> {
  const peer = await startHostilePeer({ infoHash: torrent.infoHash, pieceCount: torrent.pieceCount, behaviour, ...(content ? { content } : {}) });
  cleanups.push(() => peer.close());
  return peer;
}

const MiB = 1024 * 1024;
const BLOCK = 16 * 1024;

// ---------------------------------------------------------------------------------------------
// Session level: one peerSession against one hostile peer.

const SESSION_TORRENT: TorrentId = { infoHash: new Uint8Array(20).fill(0x42), pieceCount: 20 };
const BLOCKS_PER_PIECE = 4;
const OUR_ID = new TextEncoder().encode('-RX0001-victimvictim');

/** The bytes the hostile peer serves for a block when it has no content (see `blockOf`). */
function expectedBlock(index: number, begin: number, length: number): Uint8Array {
  return new Uint8Array(length).fill((index * 31 + begin) & 0xff);
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

interface Run {
  readonly events: PeerEvent[];
  readonly reason: CloseReason;
  readonly commands: Subject<PeerCommand>;
}

/**
 * Dials `hostile` with a real session and plays a simple leecher: interested on a bitfield,
 * requests for every `want`, and `onEvent` for anything else. Resolves with every event once the
 * session ends; rejects if the stream errors (it must never).
 */
function runSession(hostile: HostilePeer, options: PeerSessionOptions = {}, onEvent?: (event: PeerEvent, commands: Subject<PeerCommand>) => void): Promise<Run> {
  const todo: { index: number; begin: number; length: number }[] = [];
  for (let index = 0; index < SESSION_TORRENT.pieceCount; index++) {
    for (let b = 0; b < BLOCKS_PER_PIECE; b++) todo.push({ index, begin: b * BLOCK, length: BLOCK });
  }
  const commands = new Subject<PeerCommand>();
  const events: PeerEvent[] = [];
  return new Promise<Run>((resolve, reject) => {
    const subscription: Subscription = peerSession({
      peer: { kind: 'dial', address: hostile.address },
      ...SESSION_TORRENT,
      ourPeerId: OUR_ID,
      ourBitfield: new Uint8Array(Math.ceil(SESSION_TORRENT.pieceCount / 8)),
      commands$: commands,
      options: { connectTimeout: 5_000, ...options },
    }, { scheduler: asyncScheduler, connect: (address) => connectTcp(address, { connectTimeout: 5_000 }) }).subscribe({
      next: (event) => {
        events.push(event);
        if (event.type === 'bitfield') commands.next({ type: 'interested' });
        if (event.type === 'want') for (const r of todo.splice(0, event.count)) commands.next({ type: 'request', ...r });
        onEvent?.(event, commands);
      },
      error: (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
      complete: () => {
        const last = events.at(-1);
        if (last?.type !== 'closed') reject(new Error(`the session ended without closed: ${events.map((e) => e.type).join(' ')}`));
        else resolve({ events, reason: last.reason, commands });
      },
    });
    cleanups.push(() => subscription.unsubscribe());
  });
}

const ofType = <T extends PeerEvent['type']>(events: readonly PeerEvent[], type: T): Extract<PeerEvent, { type: T }>[] =>
  events.filter((e): e is Extract<PeerEvent, { type: T }> => e.type === type);

/**
 * Growth of this isolate's heap and buffers across `work`: where a peer's bytes would pile up.
 * (RSS would also count the hash workers each client starts, which have nothing to do with it.)
 */
async function heldGrowth(work: () => Promise<void>): Promise<number> {
  const held = (): number => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  const before = held();
  await work();
  return held() - before;
}

describe('hostile peers: the session closes with a typed reason', () => {
  it('1. drops the connection after half the blocks it was asked for', async () => {
    const hostile = await hostilePeer({ kind: 'drop-mid-piece' });
    const run = await runSession(hostile);
    expect(run.reason).toEqual({ kind: 'remote-closed' });
    const blocks = ofType(run.events, 'block');
    const requested = hostile.received.filter((line) => line.startsWith('request'));
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.length).toBeLessThan(requested.length);
    for (const b of blocks) expect(sameBytes(b.data, expectedBlock(b.index, b.begin, b.data.length))).toBe(true);
    await hostile.closedConnections(1);
  });

  it('1b. drops the connection in the middle of a block', async () => {
    const hostile = await hostilePeer({ kind: 'drop-mid-piece', midBlock: true });
    const run = await runSession(hostile);
    expect(run.reason).toMatchObject({ kind: 'wire', error: { kind: 'truncated', expected: 4 + 9 + BLOCK } });
    await hostile.closedConnections(1);
  });

  it('2. stalls after unchoking: requests time out (cancel sent), then the session closes as stalled', async () => {
    const hostile = await hostilePeer({ kind: 'stall' });
    const run = await runSession(hostile, { requestTimeout: 150, stallTimeout: 500 });
    expect(run.reason).toEqual({ kind: 'stalled', ms: 500 });
    const timedOut = ofType(run.events, 'request-timeout').map((e) => `cancel ${e.request.index}:${e.request.begin}:${e.request.length}`);
    expect(timedOut.length).toBeGreaterThanOrEqual(5);
    await hostile.closedConnections(1);
    // Every timed-out request was withdrawn on the wire, so the supervisor can hand it to another peer.
    expect(hostile.received).toEqual(expect.arrayContaining(timedOut));
    expect(ofType(run.events, 'block')).toEqual([]);
  });

  it('2b. stalls but sends keep-alives: not idle, still stalled', async () => {
    const hostile = await hostilePeer({ kind: 'stall', keepAliveMs: 50 });
    // idleTimeout is shorter than stallTimeout: only the stall rule can close this session.
    const run = await runSession(hostile, { requestTimeout: 150, stallTimeout: 600, idleTimeout: 300 });
    expect(run.reason).toEqual({ kind: 'stalled', ms: 600 });
    expect(ofType(run.events, 'request-timeout').length).toBeGreaterThanOrEqual(5);
    await hostile.closedConnections(1);
  });

  it('3. drips one byte at a time (slow loris): closed as stalled', async () => {
    const hostile = await hostilePeer({ kind: 'slow-loris', intervalMs: 20 });
    const run = await runSession(hostile, { requestTimeout: 200, stallTimeout: 800 });
    expect(run.reason).toEqual({ kind: 'stalled', ms: 800 });
    expect(ofType(run.events, 'block')).toEqual([]);
    expect(ofType(run.events, 'request-timeout').length).toBeGreaterThanOrEqual(5);
    expect(hostile.bytesWritten).toBeGreaterThan(68 + 10); // it did drip
    await hostile.closedConnections(1);
  });

  it('3b. a slow loris is idle too: bytes that finish no message are not activity', async () => {
    const hostile = await hostilePeer({ kind: 'slow-loris', intervalMs: 20 });
    const run = await runSession(hostile, { requestTimeout: 200, stallTimeout: 800, idleTimeout: 300 });
    expect(run.reason).toEqual({ kind: 'idle-timeout', ms: 300 });
    await hostile.closedConnections(1);
  });

  it('4. sends corrupt blocks: the session cannot tell, hands them on, and closes when told', async () => {
    const hostile = await hostilePeer({ kind: 'corrupt-blocks' });
    let blocks = 0;
    const run = await runSession(hostile, {}, (event, commands) => {
      if (event.type === 'block' && ++blocks === 8) commands.next({ type: 'close' });
    });
    expect(run.reason).toEqual({ kind: 'local-close' });
    const received = ofType(run.events, 'block');
    expect(received).toHaveLength(8);
    for (const b of received) {
      expect(b.data.length).toBe(BLOCK);
      expect(sameBytes(b.data, expectedBlock(b.index, b.begin, b.data.length))).toBe(false);
    }
    await hostile.closedConnections(1);
  });

  it('5. sends a length prefix near 4 GiB: closed before any of it is buffered, memory bounded', async () => {
    const hostile = await hostilePeer({ kind: 'huge-length', junkBytes: 512 * MiB });
    let run: Run | undefined;
    const growth = await heldGrowth(async () => {
      run = await runSession(hostile);
      await hostile.closedConnections(1);
    });
    expect(run?.reason).toMatchObject({ kind: 'wire', error: { kind: 'frame-too-large', length: 2 ** 32 - 16 } });
    expect(hostile.bytesWritten).toBeLessThan(512 * MiB); // it gave up because we hung up
    expect(growth).toBeLessThan(64 * MiB);
  });

  it('6a. sends have with an out-of-range index', async () => {
    const hostile = await hostilePeer({ kind: 'have-out-of-range' });
    const run = await runSession(hostile);
    expect(run.reason).toEqual({ kind: 'have-out-of-range', index: 27, pieceCount: 20 });
    await hostile.closedConnections(1);
  });

  it('6b. sends a request with an out-of-range index', async () => {
    const hostile = await hostilePeer({ kind: 'request-out-of-range' });
    const run = await runSession(hostile);
    expect(run.reason).toEqual({ kind: 'bad-request', index: 20, begin: 0, length: BLOCK });
    await hostile.closedConnections(1);
  });

  it('7a. sends a bitfield one byte too long: the decoder refuses it by its length', async () => {
    const hostile = await hostilePeer({ kind: 'bitfield-wrong-size', delta: 1 });
    const run = await runSession(hostile);
    expect(run.reason).toEqual({ kind: 'wire', error: { kind: 'bad-length', id: 5, length: 4, min: 1, max: 3 } });
    await hostile.closedConnections(1);
  });

  it('7b. sends a bitfield one byte too short', async () => {
    const hostile = await hostilePeer({ kind: 'bitfield-wrong-size', delta: -1 });
    const run = await runSession(hostile);
    expect(run.reason).toEqual({ kind: 'bad-bitfield', error: { kind: 'bad-bitfield-length', length: 2, expected: 3 } });
    await hostile.closedConnections(1);
  });

  it('7c. sends a bitfield with spare bits set', async () => {
    const hostile = await hostilePeer({ kind: 'bitfield-spare-bits' });
    const run = await runSession(hostile);
    expect(run.reason).toEqual({ kind: 'bad-bitfield', error: { kind: 'spare-bits-set', pieceCount: 20 } });
    await hostile.closedConnections(1);
  });

  it('8. sends a block never requested', async () => {
    const hostile = await hostilePeer({ kind: 'unrequested-block' });
    // A leecher that asks for nothing: whatever block arrives was not requested.
    const run = await runSession(hostile, { minPipeline: 0 }, () => undefined);
    expect(run.reason).toEqual({ kind: 'unrequested-block', index: 0, begin: 0, length: BLOCK });
    await hostile.closedConnections(1);
  });

  it('9. answers with a wrong info hash', async () => {
    const hostile = await hostilePeer({ kind: 'wrong-info-hash' });
    const run = await runSession(hostile);
    expect(run.reason).toMatchObject({ kind: 'wrong-info-hash' });
    expect(run.reason.kind === 'wrong-info-hash' && [...run.reason.infoHash]).toEqual(new Array(20).fill(0x42 ^ 0xff));
    expect(ofType(run.events, 'handshake')).toEqual([]);
    await hostile.closedConnections(1);
  });

  it('10. sends random bytes instead of a handshake', async () => {
    const hostile = await hostilePeer({ kind: 'garbage-handshake' });
    const run = await runSession(hostile);
    expect(run.reason).toMatchObject({ kind: 'wire', error: { kind: 'bad-protocol', pstrlen: 'G'.charCodeAt(0) } });
    await hostile.closedConnections(1);
  });

  it('11. floods 100,000 keep-alives: closed as a flood after the limit, memory bounded', async () => {
    const hostile = await hostilePeer({ kind: 'keepalive-flood', count: 100_000 });
    let run: Run | undefined;
    const growth = await heldGrowth(async () => {
      run = await runSession(hostile);
      await hostile.closedConnections(1);
    });
    expect(run?.reason).toEqual({ kind: 'keepalive-flood', max: 30, windowMs: 60_000 });
    expect(growth).toBeLessThan(64 * MiB);
  });

  it('12. never sends anything after connecting', async () => {
    const hostile = await hostilePeer({ kind: 'silent' });
    const run = await runSession(hostile, { handshakeTimeout: 300 });
    expect(run.reason).toEqual({ kind: 'handshake-timeout', ms: 300 });
    expect(run.events.map((e) => e.type)).toEqual(['connected', 'closed']);
    await hostile.closedConnections(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Client level: honest seeders plus one hostile peer; the download must still be exact.

describe('hostile peers: the whole client still downloads every byte', () => {
  let work: string;
  const clients: Client[] = [];

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'rxt-hostile-'));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await rm(work, { recursive: true, force: true });
  });

  const FILES = { 'h/a.bin': 300_001, 'h/sub/b.bin': 700_000, 'h/c.txt': 77 };

  function client(): Client {
    const c = createClient({ port: 0, host: '127.0.0.1', progressInterval: 200 });
    clients.push(c);
    return c;
  }

  /** Content, torrent, two seeders, and the torrent's bytes for the hostile peer to serve. */
  async function setUp(): Promise<{ meta: Metainfo; seedDir: string; ports: number[]; seeding: Subscription[]; data: Uint8Array }> {
    const seedDir = join(work, 'seed');
    for (const [path, size] of Object.entries(FILES)) {
      await mkdir(join(seedDir, path, '..'), { recursive: true });
      await writeFile(join(seedDir, path), randomBytes(size));
    }
    const made = await lastValueFrom(createTorrent(join(seedDir, 'h'), { pieceLength: 32 * 1024 }).pipe(toArray()));
    const last = made.at(-1);
    if (last?.type !== 'done') throw new Error('no torrent');
    const meta = last.metainfo;
    const data = new Uint8Array(meta.totalLength);
    for (const file of meta.files) {
      if (!file.pad) data.set(await readFile(join(seedDir, meta.name, ...file.path)), file.offset);
    }
    const seeding: Subscription[] = [];
    const seeders = [client(), client()];
    await Promise.all(seeders.map((seeder) => new Promise<void>((resolve, reject) => {
      seeding.push(seeder.add(meta, { dir: seedDir, seed: true }).subscribe({
        next: (event) => {
          if (event.type === 'state' && event.state === 'seeding') resolve();
          if (event.type === 'error') reject(new Error(event.message));
        },
        error: reject,
      }));
    })));
    cleanups.push(() => seeding.forEach((s) => s.unsubscribe()));
    return { meta, seedDir, ports: await Promise.all(seeders.map((s) => s.listening)), seeding, data };
  }

  async function sha(path: string): Promise<string> {
    return createHash('sha1').update(await readFile(path)).digest('hex');
  }

  /** Downloads with the two seeders and `behaviour`'s hostile peer; checks every byte. */
  async function downloadDespite(behaviour: HostileBehaviour): Promise<{ events: TorrentEvent[]; hostile: HostilePeer }> {
    const { meta, seedDir, ports, data } = await setUp();
    const hostile = await hostilePeer(behaviour, meta, { data, pieceLength: meta.pieceLength });
    const leechDir = join(work, 'leech');
    const events = await lastValueFrom(client().add(meta, {
      dir: leechDir,
      // The hostile peer first, so it is dialled before the honest ones.
      peers: [hostile.address, ...ports.map((port) => ({ host: '127.0.0.1', port }))],
      noTrackers: true,
    }).pipe(toArray()));
    expect(events.at(-1)?.type).toBe('done');
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    for (const path of Object.keys(FILES)) expect(await sha(join(leechDir, path)), path).toBe(await sha(join(seedDir, path)));
    expect(hostile.connections).toBeGreaterThan(0);
    // The leecher completed and let go of every connection, the hostile one included.
    await hostile.closedConnections(hostile.connections);
    return { events, hostile };
  }

  it('1. a peer that drops mid-piece', async () => {
    const { hostile } = await downloadDespite({ kind: 'drop-mid-piece' });
    expect(hostile.received.some((line) => line.startsWith('request'))).toBe(true);
  });

  it('2. a peer that stalls after unchoking', async () => {
    const { hostile } = await downloadDespite({ kind: 'stall' });
    expect(hostile.received.some((line) => line.startsWith('request'))).toBe(true);
  });

  it('4. a peer that sends corrupt blocks: the pieces fail their hash and are fetched again', async () => {
    const { events, hostile } = await downloadDespite({ kind: 'corrupt-blocks' });
    expect(hostile.received.some((line) => line.startsWith('request'))).toBe(true);
    const done = events.find((e): e is Extract<TorrentEvent, { type: 'done' }> => e.type === 'done');
    // Some pieces took corrupt blocks, failed their hash, and were fetched again.
    expect(done?.failed).toBeGreaterThan(0);
    // The liar, and only the liar, was banned: the honest seeders that shared its pieces were not.
    const bans = events.filter((e) => e.type === 'warning' && e.message.startsWith('banned peer'));
    expect(bans.length).toBeGreaterThan(0);
    expect(bans.every((e) => e.type === 'warning' && e.message.startsWith(`banned peer ${keyOf(hostile)}:`))).toBe(true);
  });

  it('5. a peer that sends a length prefix near 4 GiB', async () => {
    let hostile: HostilePeer | undefined;
    let events: TorrentEvent[] = [];
    const growth = await heldGrowth(async () => {
      ({ hostile, events } = await downloadDespite({ kind: 'huge-length', junkBytes: 512 * MiB }));
    });
    expect(hostile?.bytesWritten).toBeLessThan(512 * MiB);
    expect(growth).toBeLessThan(64 * MiB);
    expect(closedReasons(events, hostile)).toEqual(['wire']);
  });

  it.each<[string, HostileBehaviour, string | undefined]>([
    ['3. drips one byte at a time', { kind: 'slow-loris', intervalMs: 200 }, undefined],
    ['6a. a have with an out-of-range index', { kind: 'have-out-of-range' }, 'have-out-of-range'],
    ['6b. a request with an out-of-range index', { kind: 'request-out-of-range' }, 'bad-request'],
    ['7b. a bitfield one byte too short', { kind: 'bitfield-wrong-size', delta: -1 }, 'bad-bitfield'],
    ['7c. a bitfield with spare bits set', { kind: 'bitfield-spare-bits' }, 'bad-bitfield'],
    ['8. a block never requested', { kind: 'unrequested-block' }, 'unrequested-block'],
    ['9. a wrong info hash', { kind: 'wrong-info-hash' }, undefined],
    ['10. random bytes instead of a handshake', { kind: 'garbage-handshake' }, undefined],
    ['12. silence after connecting', { kind: 'silent' }, undefined],
  ])('%s: the download completes from the honest peers', async (_name, behaviour, reason) => {
    const { events, hostile } = await downloadDespite(behaviour);
    // A peer that got past the handshake is closed with its typed reason.
    if (reason !== undefined) expect(closedReasons(events, hostile)).toEqual([reason]);
  });

  it('11. a peer that floods keep-alives', async () => {
    let hostile: HostilePeer | undefined;
    let events: TorrentEvent[] = [];
    const growth = await heldGrowth(async () => {
      ({ hostile, events } = await downloadDespite({ kind: 'keepalive-flood', count: 100_000 }));
    });
    expect(hostile?.connections).toBeGreaterThan(0);
    expect(growth).toBeLessThan(64 * MiB);
    expect(closedReasons(events, hostile)).toEqual(['keepalive-flood']);
  });
});

function keyOf(peer: HostilePeer): string {
  return `${peer.address.host}:${peer.address.port}`;
}

/** The typed reasons the leecher gave for closing `peer` (once each, in order). */
function closedReasons(events: readonly TorrentEvent[], peer: HostilePeer | undefined): string[] {
  if (peer === undefined) return [];
  return events.flatMap((e) => (e.type === 'peer-closed' && e.peer === keyOf(peer) ? [e.reason] : []));
}
