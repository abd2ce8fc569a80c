/**
 * Proves the real-client harnesses (test/support/transmission.ts, aria2.ts, swarm-data.ts) with
 * third-party programs only: opentracker tracks, transmission-create/-edit/-show make and read
 * the torrents, transmission-daemon and aria2c swap the bytes. No rxtorrent code runs here, so a
 * failure is in the harness or the machine, never in rxtorrent.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aria2Available, runAria2 } from '../support/aria2.js';
import type { RunningAria2 } from '../support/aria2.js';
import { opentrackerAvailable, startOpentracker } from '../support/opentracker.js';
import type { RunningOpentracker } from '../support/opentracker.js';
import { run } from '../support/run-cli.js';
import { differingPaths, hashTree, makeSwarmData, sameBytes } from '../support/swarm-data.js';
import { startTransmission, transmissionAvailable } from '../support/transmission.js';
import type { RunningTransmission, TransmissionPeer } from '../support/transmission.js';

const available = opentrackerAvailable() && transmissionAvailable() && aria2Available();

/** ~8 MiB in three files; with 256 KiB pieces the last piece is short and pieces span files. */
const FILES = [
  { path: 'a.bin', size: 5_000_001 },
  { path: 'sub/b.bin', size: 3_333_333 },
  { path: 'sub/c.txt', size: 7 },
] as const;
const PATHS = FILES.map((file) => file.path);
const TOTAL = FILES.reduce((sum, file) => sum + file.size, 0);

interface Swarm {
  /** Folder holding the torrent's top folder `name`. */
  readonly dataDir: string;
  readonly name: string;
  readonly torrent: string;
  readonly infoHash: string;
}

async function makeSwarm(root: string, name: string, seed: string): Promise<Swarm> {
  const dataDir = join(root, `${name}-data`);
  await makeSwarmData(join(dataDir, name), { files: FILES, seed });
  const torrent = join(root, `${name}.torrent`);
  await run('transmission-create', ['-s', '256', '-o', torrent, join(dataDir, name)]);
  const shown = await run('transmission-show', [torrent]);
  const infoHash = /^\s*Hash: ([0-9a-f]{40})$/m.exec(shown)?.[1];
  if (infoHash === undefined) throw new Error(`no hash in transmission-show output:\n${shown}`);
  return { dataDir, name, torrent, infoHash };
}

/** Sends a plain BitTorrent handshake and resolves with the first 68 bytes of the answer. */
function plainHandshake(port: number, infoHash: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no handshake answer, got ${received.length} bytes`));
    }, 10_000);
    socket.on('connect', () => {
      const protocol = Buffer.from('BitTorrent protocol');
      socket.write(Buffer.concat([Buffer.from([protocol.length]), protocol, Buffer.alloc(8), infoHash,
        Buffer.from('-XX0000-'), randomBytes(12)]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 68) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received.subarray(0, 68));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`closed after ${received.length} bytes`));
    });
  });
}

describe('swarm data', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rxtorrent-swarm-data-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is the same for the same seed and differs for another, and the comparisons see one byte', async () => {
    const files = [{ path: 'x/one.bin', size: 3 * 1024 * 1024 + 5 }, { path: 'two.bin', size: 0 }];
    await makeSwarmData(join(root, 'a'), { files, seed: 7 });
    await makeSwarmData(join(root, 'b'), { files, seed: 7 });
    await makeSwarmData(join(root, 'c'), { files, seed: 8 });
    const tree = await hashTree(join(root, 'a'));
    expect(Object.keys(tree)).toEqual(['two.bin', 'x/one.bin']);
    expect(await hashTree(join(root, 'b'))).toEqual(tree);
    expect((await hashTree(join(root, 'c')))['x/one.bin']).not.toBe(tree['x/one.bin']);
    expect(await sameBytes(join(root, 'a'), join(root, 'b'), ['x/one.bin', 'two.bin'])).toBe(true);

    const handle = await open(join(root, 'b', 'x', 'one.bin'), 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, 2_000_000);
      await handle.write(Buffer.from([byte[0]! ^ 1]), 0, 1, 2_000_000);
    } finally {
      await handle.close();
    }
    expect(await differingPaths(join(root, 'a'), join(root, 'b'), ['x/one.bin', 'two.bin', 'gone'])).toEqual([
      'x/one.bin',
      'gone',
    ]);
  });
});

describe.skipIf(!available)('transmission-daemon and aria2c through opentracker on 127.0.0.1', () => {
  let root: string;
  let tracker: RunningOpentracker | undefined;
  let transmission: RunningTransmission | undefined;
  const aria2s: RunningAria2[] = [];
  /** transmission seeds it, aria2 downloads it. */
  let forward: Swarm;
  /** aria2 seeds it, transmission downloads it. */
  let reverse: Swarm;
  let forwardId: number;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'rxtorrent-harness-'));
    forward = await makeSwarm(root, 'forward', 'forward-seed');
    reverse = await makeSwarm(root, 'reverse', 'reverse-seed');
    tracker = await startOpentracker([forward.infoHash, reverse.infoHash]);
    // The announce URL lies outside the info dictionary: adding it keeps the info hash.
    for (const swarm of [forward, reverse]) await run('transmission-edit', ['-a', tracker.httpUrl, swarm.torrent]);
    transmission = await startTransmission({ dir: join(root, 'transmission') });
    forwardId = await transmission.seed(forward.torrent, forward.dataDir);
  });

  afterAll(async () => {
    await Promise.all(aria2s.map((aria2) => aria2.kill()));
    await transmission?.stop();
    await tracker?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('keeps the info hash when transmission-edit adds the tracker', async () => {
    const shown = await run('transmission-show', [forward.torrent]);
    expect(shown).toContain(`Hash: ${forward.infoHash}`);
    expect(shown).toContain(tracker!.httpUrl);
  });

  it('transmission seeds what it verified and answers a plain (unencrypted) BitTorrent handshake', async () => {
    // Before any loopback peer completes this torrent: after that transmission refuses 127.0.0.1.
    const info = await transmission!.torrentInfo(forwardId);
    expect(info.hashString).toBe(forward.infoHash);
    expect(info.leftUntilDone).toBe(0);
    const answer = await plainHandshake(transmission!.peerPort, Buffer.from(forward.infoHash, 'hex'));
    expect(answer[0]).toBe(19);
    expect(answer.subarray(1, 20).toString()).toBe('BitTorrent protocol');
    expect(answer.subarray(28, 48).toString('hex')).toBe(forward.infoHash);
  });

  it.concurrent('transmission seeds to aria2, which finds it through the tracker', async () => {
    const daemon = transmission!;
    await daemon.waitAnnounced(forwardId);
    const target = join(root, 'aria2-leech');
    const aria2 = await runAria2({ torrent: forward.torrent, dir: target });
    aria2s.push(aria2);
    await aria2.done;
    expect(await differingPaths(join(forward.dataDir, forward.name), join(target, forward.name), PATHS)).toEqual([]);
    expect(await hashTree(join(target, forward.name))).toEqual(await hashTree(join(forward.dataDir, forward.name)));
    const after = await daemon.torrentInfo(forwardId);
    expect(after.uploadedEver).toBeGreaterThanOrEqual(TOTAL);
  });

  it.concurrent('aria2 seeds to transmission by dialling it (transmission never dials loopback peers)', async () => {
    const daemon = transmission!;
    const target = join(root, 'transmission-leech');
    const id = await daemon.addTorrent(reverse.torrent, target);
    const aria2 = await runAria2({ torrent: reverse.torrent, dir: reverse.dataDir, seed: true });
    aria2s.push(aria2);
    const seen: TransmissionPeer[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        seen.push(...(await daemon.torrentInfo(id)).peers);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    try {
      const done = await daemon.waitDone(id, 45_000);
      expect(done.corruptEver).toBe(0);
      expect(done.downloadedEver).toBeGreaterThanOrEqual(TOTAL);
    } finally {
      watching = false;
      await watch;
    }
    expect(await sameBytes(join(reverse.dataDir, reverse.name), join(target, reverse.name), PATHS)).toBe(true);
    expect(seen.filter((peer) => !peer.isIncoming)).toEqual([]);
    await aria2.kill();
  });
});
