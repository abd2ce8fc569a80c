import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { createTorrent, CreateTorrentError } from '../../src/io/create-torrent.js';
import type { CreateTorrentEvent } from '../../src/io/create-torrent.js';
import { parseTorrent } from '../../src/io/read-torrent.js';
import type { Metainfo } from '../../src/metainfo/index.js';

const sha1 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(data).digest());

function expectHashesMatch(meta: Metainfo, data: Uint8Array): void {
  expect(data.length).toBe(meta.totalLength);
  for (let piece = 0; piece < meta.pieceCount; piece += 1) {
    const start = piece * meta.pieceLength;
    const expected = sha1(data.subarray(start, Math.min(data.length, start + meta.pieceLength)));
    expect(meta.pieceHashes[piece]).toEqual(expected);
  }
}

/** Open descriptors of this process (Linux), to see that a cancelled run closed its file. */
async function openFileDescriptors(): Promise<number | undefined> {
  return readdir('/proc/self/fd').then((entries) => entries.length, () => undefined);
}

function done(events: readonly CreateTorrentEvent[]): { torrent: Uint8Array; metainfo: Metainfo } {
  const last = events.at(-1);
  if (last?.type !== 'done') throw new Error('the last event is not done');
  return last;
}

describe('createTorrent', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxtorrent-create-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hashes a nested folder with a zero-length file and an odd last piece', async () => {
    const root = join(dir, 'My Data');
    await mkdir(join(root, 'sub', 'deeper'), { recursive: true });
    await mkdir(join(root, 'empty-folder'));
    const contents: Record<string, Uint8Array> = {
      'b.bin': randomBytes(70_000),
      'a.txt': randomBytes(1234),
      '.hidden': randomBytes(17),
      'sub/zero': new Uint8Array(0),
      'sub/deeper/z.dat': randomBytes(40_001),
      'sub/x-y': randomBytes(3),
    };
    for (const [name, data] of Object.entries(contents)) await writeFile(join(root, name), data);
    await symlink(join(root, 'a.txt'), join(root, 'link-to-a'));

    const events = await lastValueFrom(
      createTorrent(root, { trackers: [['http://t1/announce'], ['udp://t2:80']], pieceLength: 16_384, comment: 'c', creationDate: 1_700_000_000 }).pipe(toArray()),
    );
    const { torrent, metainfo } = done(events);
    const reparsed = parseTorrent(torrent);
    expect(reparsed.infoHashHex).toBe(metainfo.infoHashHex);
    expect(metainfo.name).toBe('My Data');
    expect(metainfo.singleFile).toBe(false);
    // Sorted by UTF-8 bytes of the joined path; the symlink is skipped; the zero-length file kept.
    const order = ['.hidden', 'a.txt', 'b.bin', 'sub/deeper/z.dat', 'sub/x-y', 'sub/zero'];
    expect(metainfo.files.map((file) => file.path.join('/'))).toEqual(order);
    expect(metainfo.files.map((file) => file.length)).toEqual(order.map((name) => contents[name]?.length));
    expect(metainfo.pieceLength).toBe(16_384);
    expect(metainfo.totalLength % 16_384).not.toBe(0);
    expect(metainfo.announce).toEqual([['http://t1/announce'], ['udp://t2:80']]);
    expect(metainfo.comment).toBe('c');
    expect(metainfo.creationDate).toBe(1_700_000_000);
    expect(metainfo.createdBy).toBe('rxtorrent');
    const all = Buffer.concat(order.map((name) => contents[name] ?? new Uint8Array(0)));
    expectHashesMatch(metainfo, all);

    const progress = events.filter((event) => event.type === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    const hashed = progress.map((event) => (event.type === 'progress' ? event.hashedBytes : -1));
    expect(hashed).toEqual([...hashed].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual({ type: 'progress', hashedBytes: all.length, totalBytes: all.length });
    expect(progress.length).toBeLessThan(metainfo.pieceCount + 1);
  });

  it('hashes a single file with a chosen piece length', async () => {
    const path = join(dir, 'single.bin');
    const data = randomBytes(100_000);
    await writeFile(path, data);
    const { metainfo, torrent } = done(await lastValueFrom(createTorrent(path, { private: true, creationDate: null }).pipe(toArray())));
    expect(metainfo.singleFile).toBe(true);
    expect(metainfo.name).toBe('single.bin');
    expect(metainfo.files).toEqual([{ path: ['single.bin'], length: 100_000, offset: 0, pad: false }]);
    expect(metainfo.pieceLength).toBe(16_384);
    expect(metainfo.private).toBe(true);
    expect(metainfo.creationDate).toBeUndefined();
    expect(metainfo.announce).toEqual([]);
    expect(parseTorrent(torrent).infoHashHex).toBe(metainfo.infoHashHex);
    expectHashesMatch(metainfo, data);
  });

  it('hashes with pieces larger than a file and not a power of two', async () => {
    const root = join(dir, 'tiny');
    await mkdir(root);
    const a = randomBytes(10);
    const b = randomBytes(25);
    await writeFile(join(root, 'a'), a);
    await writeFile(join(root, 'b'), b);
    const { metainfo } = done(await lastValueFrom(createTorrent(root, { pieceLength: 12, name: 'renamed' }).pipe(toArray())));
    expect(metainfo.name).toBe('renamed');
    expect(metainfo.pieceCount).toBe(3);
    expectHashesMatch(metainfo, Buffer.concat([a, b]));
  });

  it.each<[string, (dir: string) => Promise<string>, string]>([
    ['a missing path', async (d) => join(d, 'nope'), 'not-found'],
    ['an empty folder', async (d) => { await mkdir(join(d, 'e')); return join(d, 'e'); }, 'empty'],
    ['a zero-length file', async (d) => { await writeFile(join(d, 'z'), ''); return join(d, 'z'); }, 'empty'],
  ])('fails for %s', async (_name, prepare, kind) => {
    const path = await prepare(dir);
    const error: unknown = await lastValueFrom(createTorrent(path)).then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(CreateTorrentError);
    expect(error instanceof CreateTorrentError ? error.detail.kind : '').toBe(kind);
  });

  it('fails early for a name a torrent cannot carry', async () => {
    await writeFile(join(dir, 'f'), 'data');
    const error: unknown = await lastValueFrom(createTorrent(join(dir, 'f'), { name: '..' })).then(() => undefined, (reason: unknown) => reason);
    expect(error instanceof CreateTorrentError ? error.detail : undefined).toEqual({ kind: 'unsafe-name', path: '..' });
  });

  it('fails for a bad piece length', async () => {
    await writeFile(join(dir, 'f'), 'data');
    const error: unknown = await lastValueFrom(createTorrent(join(dir, 'f'), { pieceLength: 0 })).then(() => undefined, (reason: unknown) => reason);
    expect(error instanceof CreateTorrentError ? error.detail : undefined).toEqual({ kind: 'bad-piece-length', pieceLength: 0 });
  });

  it('stops when unsubscribed mid-way, closes its file, emits nothing more', async () => {
    const path = join(dir, 'large.bin');
    await writeFile(path, randomBytes(16 * 1024 * 1024));
    const before = await openFileDescriptors();
    const seen: CreateTorrentEvent[] = [];
    const errors: unknown[] = [];
    await new Promise<void>((resolve) => {
      const subscription = createTorrent(path, { pieceLength: 16_384 }).subscribe({
        next: (event) => {
          seen.push(event);
          subscription.unsubscribe();
          resolve();
        },
        error: (error: unknown) => errors.push(error),
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.type).toBe('progress');
    expect(errors).toEqual([]);
    if (before !== undefined) expect(await openFileDescriptors()).toBe(before);
  });
});
