/**
 * rxtorrent seeders → rxtorrent leecher on 127.0.0.1: real sockets, real files, real hashing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Subscription, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/create-client.js';
import type { Client } from '../../src/client/client-types.js';
import type { TorrentEvent, TorrentProgress } from '../../src/client/torrent-events.js';
import { createTorrent } from '../../src/io/create-torrent.js';
import { createHashPool } from '../../src/io/hash-pool.js';
import { countResources, waitForResources } from '../support/active-resources.js';
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

  it('hashes through a pool passed in, which outlives the client', async () => {
    const files = { 'pack/a.bin': 700_000, 'pack/b.bin': 123_457 };
    const seedDir = join(work, 'seed');
    await makeContent(seedDir, files);
    const meta = await torrentOf(join(seedDir, 'pack'), 32 * 1024);
    const { ports, seeding } = await startSeeders([client()], meta, seedDir);

    const hashPool = createHashPool({ size: 1 });
    try {
      const leecher = createClient({ port: 0, host: '127.0.0.1', hashPool });
      const events = await lastValueFrom(leecher.add(meta, {
        dir: join(work, 'leech'), peers: ports.map((port) => ({ host: '127.0.0.1', port })),
      }).pipe(toArray()));
      await leecher.close();
      seeding.forEach((s) => s.unsubscribe());
      expect(events.some((e) => e.type === 'done')).toBe(true);
      // Every piece was verified by this pool, and closing the client left it running.
      expect(hashPool.stats().hashed).toBe(meta.pieceCount);
      const abc = new TextEncoder().encode('abc');
      expect(await firstValueFrom(hashPool.sha1(abc))).toEqual(new Uint8Array(createHash('sha1').update(abc).digest()));
    } finally {
      await hashPool.close();
    }
  });

  it('three torrents at once in one process', async () => {
    const seedDir = join(work, 'seed');
    const contents = ['one', 'two', 'three'].map((name, i) => ({ name, files: { [`${name}/data.bin`]: 200_000 * (i + 1) + i, [`${name}/x/y.txt`]: 999 } }));
    for (const { files } of contents) await makeContent(seedDir, files);
    const metas = await Promise.all(contents.map(({ name }) => torrentOf(join(seedDir, name), 16 * 1024)));

    const seeder = client();
    const seeding: Subscription[] = [];
    for (const meta of metas) seeding.push(...(await startSeeders([seeder], meta, seedDir)).seeding);
    const port = await seeder.listening;

    const leechDir = join(work, 'leech');
    const leecher = client();
    const results = await Promise.all(metas.map((meta) => lastValueFrom(
      leecher.add(meta, { dir: leechDir, peers: [{ host: '127.0.0.1', port }] }).pipe(toArray()),
    )));
    seeding.forEach((s) => s.unsubscribe());

    results.forEach((events, i) => {
      expect(events.map((e) => e.type), metas[i]?.name).toContain('done');
      expect(events.every((e) => e.infoHash === metas[i]?.infoHashHex)).toBe(true);
    });
    for (const { files } of contents) {
      for (const path of Object.keys(files)) expect(await sha(join(leechDir, path)), path).toBe(await sha(join(seedDir, path)));
    }
  });

  it('a leecher that starts with half the data downloads only the rest', async () => {
    const files = { 'half/first.bin': 640_000, 'half/second.bin': 640_000 };
    const seedDir = join(work, 'seed');
    await makeContent(seedDir, files);
    const meta = await torrentOf(join(seedDir, 'half'), 32 * 1024);
    const { ports, seeding } = await startSeeders([client()], meta, seedDir);

    const leechDir = join(work, 'leech');
    await mkdir(join(leechDir, 'half'), { recursive: true });
    await copyFile(join(seedDir, 'half/first.bin'), join(leechDir, 'half/first.bin'));

    const events = await lastValueFrom(client().add(meta, {
      dir: leechDir,
      peers: ports.map((p) => ({ host: '127.0.0.1', port: p })),
    }).pipe(toArray()));
    seeding.forEach((s) => s.unsubscribe());

    const done = events.find((e): e is Extract<TorrentEvent, { type: 'done' }> => e.type === 'done');
    // The first file fills pieces 0..18 and most of 19 (640,000 / 32,768 = 19.53).
    expect(done?.checked).toBe(19);
    expect(done?.received).toBeGreaterThanOrEqual(meta.totalLength - 19 * meta.pieceLength);
    expect(done?.received).toBeLessThan(meta.totalLength - 18 * meta.pieceLength);
    for (const path of Object.keys(files)) expect(await sha(join(leechDir, path)), path).toBe(await sha(join(seedDir, path)));
  });

  it('leaves no socket, server, timer or file handle open after close', async () => {
    const kinds = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'FileHandle'];
    const baseline = Object.fromEntries(kinds.map((kind) => [kind, countResources(kind)]));
    const fdsBefore = (await readdir('/proc/self/fd')).length;

    const files = { 'tidy/a.bin': 500_000, 'tidy/b/c.bin': 123_457 };
    const seedDir = join(work, 'seed');
    await makeContent(seedDir, files);
    const meta = await torrentOf(join(seedDir, 'tidy'), 32 * 1024);
    const seeder = client();
    const { ports, seeding } = await startSeeders([seeder], meta, seedDir);
    const leecher = client();
    const events = await lastValueFrom(leecher.add(meta, {
      dir: join(work, 'leech'),
      peers: ports.map((p) => ({ host: '127.0.0.1', port: p })),
    }).pipe(toArray()));
    expect(events.map((e) => e.type)).toContain('done');
    seeding.forEach((s) => s.unsubscribe());
    await Promise.all(clients.splice(0).map((c) => c.close()));

    for (const kind of kinds) await waitForResources(kind, baseline[kind] ?? 0, 5_000);
    expect((await readdir('/proc/self/fd')).length).toBeLessThanOrEqual(fdsBefore);
  });

  it('pauses and resumes a download from code', async () => {
    const files = { 'pr/a.bin': 4_000_000 };
    const seedDir = join(work, 'seed');
    await makeContent(seedDir, files);
    const meta = await torrentOf(join(seedDir, 'pr'), 32 * 1024);
    const { ports, seeding } = await startSeeders([client()], meta, seedDir);
    const leecher = client();
    const events: TorrentEvent[] = [];
    let pausedAt: number | undefined;
    await new Promise<void>((resolve, reject) => {
      leecher.add(meta, { dir: join(work, 'leech'), peers: ports.map((p) => ({ host: '127.0.0.1', port: p })) }).subscribe({
        next: (event) => {
          events.push(event);
          if (event.type === 'state' && event.state === 'downloading' && pausedAt === undefined) {
            pausedAt = events.length;
            leecher.pause(meta.infoHashHex);
          }
          if (event.type === 'state' && event.state === 'paused') {
            // While paused no piece may land; then resume.
            setTimeout(() => leecher.resume(meta.infoHashHex), 300);
          }
        },
        error: reject,
        complete: resolve,
      });
    });
    seeding.forEach((s) => s.unsubscribe());
    const states = events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.state : ''));
    expect(states).toEqual(['checking', 'downloading', 'paused', 'downloading']);
    const pausedIndex = events.findIndex((e) => e.type === 'state' && e.state === 'paused');
    const resumedIndex = events.findIndex((e, i) => i > pausedIndex && e.type === 'state' && e.state === 'downloading');
    const whilePaused = events.slice(pausedIndex, resumedIndex).filter((e): e is TorrentProgress => e.type === 'progress');
    expect(new Set(whilePaused.map((e) => e.piecesDone)).size).toBeLessThanOrEqual(1);
    expect(events.at(-1)?.type).toBe('done');
    expect(await sha(join(work, 'leech/pr/a.bin'))).toBe(await sha(join(seedDir, 'pr/a.bin')));
  });

  it('removes a torrent from code: its stream completes without done', async () => {
    const files = { 'rm/a.bin': 200_000 };
    const seedDir = join(work, 'seed');
    await makeContent(seedDir, files);
    const meta = await torrentOf(join(seedDir, 'rm'), 32 * 1024);
    const seeder = client();
    const { seeding } = await startSeeders([seeder], meta, seedDir);
    const events: TorrentEvent[] = [];
    const completed = new Promise<void>((resolve, reject) => {
      // The leecher knows no peer: it would wait forever, until removed.
      client().add(meta, { dir: join(work, 'leech') }).subscribe({
        next: (event) => {
          events.push(event);
          if (event.type === 'state' && event.state === 'downloading') clients.at(-1)?.remove(meta.infoHashHex);
        },
        error: reject,
        complete: resolve,
      });
    });
    await completed;
    seeding.forEach((s) => s.unsubscribe());
    expect(events.map((e) => e.type)).not.toContain('done');
    expect(events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.state : ''))).toEqual(['checking', 'downloading']);
  });
});

