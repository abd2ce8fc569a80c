/**
 * rxtorrent with Debian's transmission-daemon 3.00 through Debian's opentracker, all on 127.0.0.1:
 * rxtorrent downloads what transmission seeds, and transmission downloads what only rxtorrent
 * seeds. transmission never dials loopback peers that a tracker names, so in both directions the
 * rxtorrent side dials (as a real seeder dials the leechers its tracker tells it about).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/create-client.js';
import type { Client } from '../../src/client/client-types.js';
import type { TorrentEvent } from '../../src/client/torrent-events.js';
import { createTorrent } from '../../src/io/create-torrent.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import { type RunningOpentracker, startOpentracker } from '../support/opentracker.js';
import { differingPaths, makeSwarmData } from '../support/swarm-data.js';
import { type RunningTransmission, startTransmission } from '../support/transmission.js';

/** ~6 MiB in four files, a zero-length one among them; 256 KiB pieces, the last one short. */
const FILES = [
  { path: 'a.bin', size: 3_000_001 },
  { path: 'sub/b.bin', size: 2_900_000 },
  { path: 'sub/deeper/c.txt', size: 12_345 },
  { path: 'sub/empty', size: 0 },
] as const;
const PATHS = FILES.map((file) => `content/${file.path}`);

let work: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-interop-tr-'));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

interface Made {
  readonly meta: Metainfo;
  /** The .torrent file, for transmission. */
  readonly file: string;
}

/** Sample data under `dataDir/content` and its torrent, announcing to the tracker `announce` starts. */
async function makeTorrent(dataDir: string, seed: string, announce: (hash: string) => Promise<string>): Promise<Made> {
  await makeSwarmData(join(dataDir, 'content'), { files: FILES.map((f) => ({ path: f.path, size: f.size })), seed });
  // The info hash does not depend on the tracker, so hash first, then whitelist, then announce.
  const draft = await torrentOf(join(dataDir, 'content'), []);
  const made = await torrentOf(join(dataDir, 'content'), [[await announce(draft.meta.infoHashHex)]]);
  expect(made.meta.infoHashHex).toBe(draft.meta.infoHashHex);
  const file = join(work, `${seed}.torrent`);
  await writeFile(file, made.bytes);
  return { meta: made.meta, file };
}

async function torrentOf(path: string, trackers: string[][]): Promise<{ meta: Metainfo; bytes: Uint8Array }> {
  const events = await lastValueFrom(createTorrent(path, { pieceLength: 256 * 1024, trackers }).pipe(toArray()));
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error('createTorrent did not finish');
  return { meta: done.metainfo, bytes: done.torrent };
}

async function tracker(infoHash: string): Promise<RunningOpentracker> {
  const running = await startOpentracker([infoHash]);
  cleanups.push(() => running.stop());
  return running;
}

async function transmission(name: string): Promise<RunningTransmission> {
  const running = await startTransmission({ dir: join(work, name) });
  cleanups.push(() => running.stop());
  return running;
}

function rxClient(): Client {
  const client = createClient({ port: 0, host: '127.0.0.1', progressInterval: 500 });
  cleanups.push(() => client.close());
  return client;
}

describe('rxtorrent and transmission-daemon through opentracker', () => {
  it('rxtorrent downloads a multi-file torrent seeded by transmission-daemon, bytes identical', async () => {
    const seedDir = join(work, 'tr-seed');
    const { meta, file } = await makeTorrent(seedDir, 'tr-seeds', async (hash) => (await tracker(hash)).httpUrl);
    const daemon = await transmission('daemon-seeder');
    const id = await daemon.seed(file, seedDir);
    await daemon.waitAnnounced(id);

    const out = join(work, 'rx-leech');
    const events = await lastValueFrom(rxClient().add(meta, { dir: out }).pipe(toArray()));
    const done = events.find((e): e is Extract<TorrentEvent, { type: 'done' }> => e.type === 'done');
    expect(done, JSON.stringify(events.filter((e) => e.type !== 'progress'))).toBeDefined();
    expect(await differingPaths(seedDir, out, PATHS)).toEqual([]);
    expect(done?.failed).toBe(0);
  });

  it('transmission-daemon downloads a torrent seeded only by rxtorrent, bytes identical', async () => {
    const seedDir = join(work, 'rx-seed');
    const { meta, file } = await makeTorrent(seedDir, 'rx-seeds', async (hash) => (await tracker(hash)).httpUrl);
    const daemon = await transmission('daemon-leecher');
    const out = join(work, 'tr-leech');
    const id = await daemon.addTorrent(file, out);
    await daemon.waitAnnounced(id);

    // The seeder's first announce names transmission; it dials, transmission downloads.
    const seeding = rxClient().add(meta, { dir: seedDir, seed: true }).subscribe({ error: () => undefined });
    cleanups.push(async () => seeding.unsubscribe());
    const info = await daemon.waitDone(id, 60_000);
    expect(info.percentDone).toBe(1);
    expect(await differingPaths(seedDir, out, PATHS.filter((p) => !p.endsWith('empty')))).toEqual([]);
  });
});
