/**
 * rxtorrent seeders → rxtorrent leecher on 127.0.0.1: real sockets, real files, real hashing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Subscription, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/create-client.js';
import type { Client } from '../../src/client/client-types.js';
import type { TorrentEvent } from '../../src/client/torrent-events.js';
import { createTorrent } from '../../src/io/create-torrent.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';

let work: string;
const clients: Client[] = [];

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-dl-'));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await rm(work, { recursive: true, force: true });
});

async function makeContent(root: string, files: Record<string, number>): Promise<void> {
  for (const [path, size] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), randomBytes(size));
  }
}

async function torrentOf(path: string, pieceLength: number): Promise<Metainfo> {
  const events = await lastValueFrom(createTorrent(path, { pieceLength }).pipe(toArray()));
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error('no torrent');
  return done.metainfo;
}

/** Starts each seeder and resolves once all of them are seeding. */
async function startSeeders(seeders: Client[], meta: Metainfo, dir: string) {
  const seeding: Subscription[] = [];
  await Promise.all(seeders.map((seeder) => new Promise<void>((resolve, reject) => {
    seeding.push(seeder.add(meta, { dir, seed: true }).subscribe({
      next: (event) => {
        if (event.type === 'state' && event.state === 'seeding') resolve();
        if (event.type === 'error') reject(new Error(event.message));
      },
      error: reject,
    }));
  })));
  return { ports: await Promise.all(seeders.map((seeder) => seeder.listening)), seeding };
}

function client(): Client {
  const c = createClient({ port: 0, host: '127.0.0.1', progressInterval: 200 });
  clients.push(c);
  return c;
}

async function sha(path: string): Promise<string> {
  return createHash('sha1').update(await readFile(path)).digest('hex');
}

describe('download from rxtorrent seeders', () => {
  it('a multi-file torrent with an odd last piece and a zero-length file', async () => {
    const files = { 'album/a.bin': 300_001, 'album/sub/b.bin': 1_000_000, 'album/sub/empty': 0, 'album/c.txt': 77 };
    const seedDir = join(work, 'seed');
    await makeContent(seedDir, files);
    const meta = await torrentOf(join(seedDir, 'album'), 32 * 1024);
    expect(meta.totalLength % meta.pieceLength).not.toBe(0);

    const seeders = [client(), client()];
    const { ports, seeding } = await startSeeders(seeders, meta, seedDir);

    const leechDir = join(work, 'leech');
    const leecher = client();
    const events = await lastValueFrom(leecher.add(meta, {
      dir: leechDir,
      peers: ports.map((port) => ({ host: '127.0.0.1', port })),
    }).pipe(toArray()));
    seeding.forEach((s) => s.unsubscribe());

    const done = events.find((e): e is Extract<TorrentEvent, { type: 'done' }> => e.type === 'done');
    expect(done).toBeDefined();
    expect(done?.checked).toBe(0);
    expect(events.some((e) => e.type === 'error')).toBe(false);
    for (const path of Object.keys(files)) {
      expect(await sha(join(leechDir, path)), path).toBe(await sha(join(seedDir, path)));
    }
    expect((await stat(join(leechDir, 'album/sub/empty'))).size).toBe(0);
    expect(done?.received).toBeGreaterThanOrEqual(meta.totalLength);
  });
});
