import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defer, firstValueFrom, lastValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DiskPieceStoreOptions, diskPieceStore } from '../../src/client/piece-store.js';
import { DiskError, type DiskErrorDetail } from '../../src/io/disk-error.js';
import { type DiskPool, type ReadRequest, createDiskPool } from '../../src/io/disk-pool.js';
import { type HashPool, createHashPool } from '../../src/io/hash-pool.js';
import type { Metainfo, TorrentFile } from '../../src/metainfo/metainfo.js';
import type { PieceStore } from '../../src/torrent/supervisor-types.js';

const BLOCK = 16_384;
const PIECE = 4 * BLOCK;

let dir = '';
let disks: DiskPool[] = [];
let hashers: HashPool[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxtorrent-store-'));
  disks = [];
  hashers = [];
});

afterEach(async () => {
  await Promise.all([...disks.map((disk) => disk.close()), ...hashers.map((hasher) => hasher.close())]);
  await rm(dir, { recursive: true, force: true });
});

interface FileSpec {
  readonly name: string;
  readonly length: number;
  readonly pad?: boolean;
}

/** A metainfo over `specs` (a single file when there is one), and the torrent's bytes on disk. */
async function torrentOnDisk(specs: readonly FileSpec[], pieceLength: number): Promise<{ meta: Metainfo; content: Uint8Array }> {
  const singleFile = specs.length === 1;
  const name = singleFile ? (specs[0]?.name ?? 'only') : 'multi';
  let offset = 0;
  const files: TorrentFile[] = [];
  const parts: Uint8Array[] = [];
  for (const spec of specs) {
    files.push({ path: singleFile ? [name] : [spec.name], length: spec.length, offset, pad: spec.pad ?? false });
    offset += spec.length;
    const bytes = spec.pad === true ? new Uint8Array(spec.length) : new Uint8Array(randomBytes(spec.length));
    parts.push(bytes);
    if (spec.pad === true) continue;
    const path = singleFile ? join(dir, name) : join(dir, name, spec.name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, bytes);
  }
  const content = new Uint8Array(Buffer.concat(parts));
  const pieceCount = Math.ceil(content.length / pieceLength);
  const pieceHashes = Array.from({ length: pieceCount }, (_, index) =>
    new Uint8Array(createHash('sha1').update(content.subarray(index * pieceLength, (index + 1) * pieceLength)).digest()));
  const infoHash = new Uint8Array(randomBytes(20));
  const meta: Metainfo = {
    infoHash, infoHashHex: Buffer.from(infoHash).toString('hex'), name, pieceLength, pieceHashes, pieceCount,
    files, totalLength: content.length, singleFile, announce: [], private: false, urlList: [], infoBytes: new Uint8Array(0),
  };
  return { meta, content };
}

/** A store on the real disk pool, whose `read` calls are counted as they start. */
function countingStore(meta: Metainfo, options?: DiskPieceStoreOptions): { store: PieceStore; reads: ReadRequest[] } {
  const real = createDiskPool();
  const hasher = createHashPool({ size: 1 });
  disks.push(real);
  hashers.push(hasher);
  const reads: ReadRequest[] = [];
  const disk: DiskPool = {
    ...real,
    read: (request) => defer(() => {
      reads.push(request);
      return real.read(request);
    }),
  };
  const store = diskPieceStore(meta, dir, { disk, hasher, allocate: (length) => new Uint8Array(length) }, options);
  return { store, reads };
}

const read = (store: PieceStore, index: number, begin: number, length: number): Promise<Uint8Array> =>
  firstValueFrom(store.read(index, begin, length));

/** Every block of piece `index`, read one after the other. */
async function readPiece(store: PieceStore, meta: Metainfo, index: number): Promise<Uint8Array[]> {
  const length = Math.min(meta.pieceLength, meta.totalLength - index * meta.pieceLength);
  const blocks: Uint8Array[] = [];
  for (let begin = 0; begin < length; begin += BLOCK) blocks.push(await read(store, index, begin, Math.min(BLOCK, length - begin)));
  return blocks;
}

const slice = (content: Uint8Array, meta: Metainfo, index: number, begin: number, length: number): Uint8Array =>
  content.subarray(index * meta.pieceLength + begin, index * meta.pieceLength + begin + length);

const failure = async (promise: Promise<unknown>): Promise<DiskErrorDetail> => {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof DiskError)) throw new Error(`expected a DiskError, got ${String(error)}`);
  return error.detail;
};

describe('diskPieceStore: warm', () => {
  it('starts the hash workers that verify and check need', async () => {
    const { meta } = await torrentOnDisk([{ name: 'a.bin', length: 4 * BLOCK }], 2 * BLOCK);
    const hasher = createHashPool({ size: 2 });
    hashers.push(hasher);
    const disk = createDiskPool();
    disks.push(disk);
    const store = diskPieceStore(meta, dir, { disk, hasher, allocate: (length) => new Uint8Array(length) });
    expect(hasher.stats().workers).toBe(0);
    store.warm?.();
    expect(hasher.stats().workers).toBe(2);
  });
});

describe('diskPieceStore: the read cache', () => {
  it('serves every block of a piece from one disk read, lazily, and later blocks on subscribe', async () => {
    const { meta, content } = await torrentOnDisk([{ name: 'one.bin', length: 2 * PIECE + 20_000 }], PIECE);
    const { store, reads } = countingStore(meta);

    const cold = store.read(0, 0, BLOCK);
    expect(reads).toHaveLength(0);
    expect(await firstValueFrom(cold)).toEqual(slice(content, meta, 0, 0, BLOCK));
    expect(reads).toHaveLength(1);
    expect(reads[0]?.segments.map((segment) => segment.length)).toEqual([PIECE]);

    let sync: Uint8Array | undefined;
    store.read(0, 3 * BLOCK, BLOCK).subscribe({ next: (block) => { sync = block; }, error: () => undefined });
    expect(sync).toEqual(slice(content, meta, 0, 3 * BLOCK, BLOCK));

    const blocks = await readPiece(store, meta, 0);
    expect(Buffer.concat(blocks)).toEqual(Buffer.from(slice(content, meta, 0, 0, PIECE)));
    expect(reads).toHaveLength(1);

    // The short last piece: two blocks, the second one short, from one read.
    const last = await readPiece(store, meta, 2);
    expect(last.map((block) => block.length)).toEqual([BLOCK, 20_000 - BLOCK]);
    expect(Buffer.concat(last)).toEqual(Buffer.from(content.subarray(2 * PIECE)));
    expect(reads).toHaveLength(2);
  });

  it('reads pieces that span two files and a pad file byte for byte, one read per piece', async () => {
    const half = PIECE / 2;
    // Pieces: 0 = a; 1 = a's tail + b's head; 2 = b's tail + pad; 3 = pad + c's head; 4 = c; 5 = c's tail.
    const specs = [
      { name: 'a.bin', length: PIECE + 10_000 },
      { name: 'b.bin', length: PIECE },
      { name: 'pad', length: 3 * PIECE - (2 * PIECE + 10_000) + half, pad: true },
      { name: 'c.bin', length: 1.5 * PIECE + 700 },
    ];
    const { meta, content } = await torrentOnDisk(specs, PIECE);
    expect(meta.pieceCount).toBe(6);
    const { store, reads } = countingStore(meta);
    for (let index = 0; index < meta.pieceCount; index += 1) {
      const blocks = await readPiece(store, meta, index);
      expect(Buffer.concat(blocks), `piece ${index}`).toEqual(Buffer.from(content.subarray(index * PIECE, (index + 1) * PIECE)));
    }
    expect(reads).toHaveLength(meta.pieceCount);
    expect(reads[1]?.segments.map((segment) => segment.path.at(-1))).toEqual(['a.bin', 'b.bin']);
    expect(Buffer.from(await read(store, 2, 0, BLOCK))).not.toEqual(Buffer.alloc(BLOCK)); // b's tail
    expect(await read(store, 3, BLOCK, BLOCK)).toEqual(new Uint8Array(BLOCK)); // pad
  });

  it('shares one disk read among concurrent reads of a piece, and one that leaves does not break the rest', async () => {
    const { meta, content } = await torrentOnDisk([{ name: 'one.bin', length: 3 * PIECE }], PIECE);
    const { store, reads } = countingStore(meta);

    const leaving = store.read(1, 0, BLOCK).subscribe({ error: () => undefined });
    const blocks = Promise.all([1, 2, 3].map((block) => read(store, 1, block * BLOCK, BLOCK)));
    leaving.unsubscribe();
    expect((await blocks).map((block) => Buffer.from(block)))
      .toEqual([1, 2, 3].map((block) => Buffer.from(slice(content, meta, 1, block * BLOCK, BLOCK))));
    expect(reads).toHaveLength(1);

    // A read every waiter left is stopped, and not left behind: the next block reads again.
    store.read(2, 0, BLOCK).subscribe({ error: () => undefined }).unsubscribe();
    expect(reads).toHaveLength(2);
    expect(await read(store, 2, BLOCK, BLOCK)).toEqual(slice(content, meta, 2, BLOCK, BLOCK));
    expect(reads).toHaveLength(3);
  });

  it('keeps at most readCacheBytes, dropping the least recently used piece', async () => {
    const { meta, content } = await torrentOnDisk([{ name: 'one.bin', length: 4 * PIECE }], PIECE);
    const { store, reads } = countingStore(meta, { readCacheBytes: 2 * PIECE });
    const touch = async (index: number): Promise<void> => {
      expect(await read(store, index, BLOCK, BLOCK)).toEqual(slice(content, meta, index, BLOCK, BLOCK));
    };

    for (const index of [0, 1, 2]) await touch(index); // 0 is dropped for 2
    expect(reads).toHaveLength(3);
    await touch(2);
    await touch(1); // now 2 is the oldest
    expect(reads).toHaveLength(3);
    await touch(0);
    expect(reads).toHaveLength(4);
    await touch(1);
    expect(reads).toHaveLength(4);
    await touch(2);
    expect(reads).toHaveLength(5);
    for (const index of [0, 1, 2, 3, 0, 1, 2, 3]) await touch(index);
    expect(reads).toHaveLength(13); // two pieces kept cannot serve a cycle of four
  });

  it('reads a piece larger than readCacheBytes block by block, as without a cache', async () => {
    const { meta, content } = await torrentOnDisk([{ name: 'one.bin', length: 2 * PIECE }], PIECE);
    const { store, reads } = countingStore(meta, { readCacheBytes: PIECE - 1 });
    const blocks = await readPiece(store, meta, 0);
    expect(Buffer.concat(blocks)).toEqual(Buffer.from(slice(content, meta, 0, 0, PIECE)));
    expect(reads.map((request) => request.segments.map((segment) => segment.length))).toEqual([[BLOCK], [BLOCK], [BLOCK], [BLOCK]]);
  });

  it('with readCacheBytes 0 reads every block from disk', async () => {
    const { meta, content } = await torrentOnDisk([{ name: 'one.bin', length: 2 * PIECE }], PIECE);
    const { store, reads } = countingStore(meta, { readCacheBytes: 0 });
    for (let round = 0; round < 2; round += 1) {
      expect(await read(store, 1, 0, BLOCK)).toEqual(slice(content, meta, 1, 0, BLOCK));
      expect(await read(store, 1, BLOCK, BLOCK)).toEqual(slice(content, meta, 1, BLOCK, BLOCK));
    }
    expect(reads).toHaveLength(4);
    expect(reads.every((request) => request.segments[0]?.length === BLOCK)).toBe(true);
  });

  it('errors every waiter of a short read with missing-data, and keeps nothing: the next read tries again', async () => {
    const { meta, content } = await torrentOnDisk([{ name: 'one.bin', length: 3 * PIECE }], PIECE);
    const { store, reads } = countingStore(meta);
    const path = join(dir, 'one.bin');
    await truncate(path, PIECE + 2 * BLOCK);

    const details = await Promise.all([0, 1, 3].map((block) => failure(read(store, 1, block * BLOCK, BLOCK))));
    expect(reads).toHaveLength(1);
    for (const detail of details) expect(detail).toMatchObject({ kind: 'missing-data', path, got: 2 * BLOCK });

    expect(await failure(read(store, 1, 0, BLOCK))).toMatchObject({ kind: 'missing-data' });
    expect(reads).toHaveLength(2);

    await writeFile(path, content); // the data is back
    expect(await read(store, 1, 3 * BLOCK, BLOCK)).toEqual(slice(content, meta, 1, 3 * BLOCK, BLOCK));
    expect(reads).toHaveLength(3);
  });

  it('check reads the whole piece from disk every time and keeps nothing, so truncation is found', async () => {
    const { meta } = await torrentOnDisk([{ name: 'one.bin', length: 2 * PIECE }], PIECE);
    const { store, reads } = countingStore(meta);
    expect(await lastValueFrom(store.check(1))).toBe(true);
    expect(await lastValueFrom(store.check(1))).toBe(true);
    expect(reads).toHaveLength(2);

    expect(await read(store, 1, BLOCK, BLOCK)).toHaveLength(BLOCK); // kept now
    expect(reads).toHaveLength(3);
    await truncate(join(dir, 'one.bin'), PIECE + BLOCK);
    expect(await failure(lastValueFrom(store.check(1)))).toMatchObject({ kind: 'missing-data' });
    expect(reads).toHaveLength(4);
  });

  it('check says false for a piece whose bytes on disk are wrong', async () => {
    const { meta } = await torrentOnDisk([{ name: 'one.bin', length: 2 * PIECE }], PIECE);
    const { store } = countingStore(meta);
    await writeFile(join(dir, 'one.bin'), new Uint8Array(2 * PIECE));
    expect(await lastValueFrom(store.check(0))).toBe(false);
  });

  it('drops a piece that is written, and does not keep a read that raced the write', async () => {
    const { meta, content } = await torrentOnDisk([{ name: 'one.bin', length: 2 * PIECE }], PIECE);
    const { store, reads } = countingStore(meta);
    expect(await read(store, 0, 0, BLOCK)).toEqual(slice(content, meta, 0, 0, BLOCK));

    const first = new Uint8Array(randomBytes(PIECE));
    await lastValueFrom(store.write(0, first));
    // Queued before the next write, this read gets `first`; it must not be kept past that write.
    const racing = read(store, 0, BLOCK, BLOCK);
    const second = new Uint8Array(randomBytes(PIECE));
    await lastValueFrom(store.write(0, second));
    expect(await racing).toEqual(first.subarray(BLOCK, 2 * BLOCK));
    expect(reads).toHaveLength(2);
    expect(await read(store, 0, BLOCK, BLOCK)).toEqual(second.subarray(BLOCK, 2 * BLOCK));
    expect(reads).toHaveLength(3);
  });
});

describe('diskPieceStore: buffers lined up for direct writes', () => {
  it("asks for the phase that lines each piece's largest segment up with its file offset", async () => {
    // File b starts 1000 bytes into piece 0; file c starts mid-piece 2 at an odd offset.
    const { meta } = await torrentOnDisk([
      { name: 'a', length: 1000 }, { name: 'b', length: 2 * PIECE + 5000 }, { name: 'c', length: 3 * PIECE + 77 },
    ], PIECE);
    const phases: number[] = [];
    const hasher = createHashPool({ size: 1 });
    const disk = createDiskPool();
    hashers.push(hasher);
    disks.push(disk);
    const store = diskPieceStore(meta, dir, {
      disk, hasher, allocate: (length, phase) => {
        phases.push(phase);
        return new Uint8Array(length);
      },
    });
    for (let index = 0; index < meta.pieceCount; index += 1) store.allocate(PIECE, index);
    const fileStart = (name: string): number => meta.files.find((f) => f.path.at(-1) === name)?.offset ?? -1;
    // Pieces 0 and 1 are (mostly) file b: a byte at piece offset p sits at file offset p - 1000 + index * PIECE.
    expect(phases[0]).toBe((4096 - (fileStart('b') % 4096)) % 4096);
    expect(phases[1]).toBe((PIECE - fileStart('b') + 4096 * 16) % 4096);
    // Pieces 3 and 4 lie wholly in file c.
    const c = fileStart('c');
    for (const index of [3, 4]) expect(phases[index]).toBe((((index * PIECE - c) % 4096) + 4096) % 4096);
    // And every phase lies within one page.
    expect(phases.every((phase) => phase >= 0 && phase < 4096)).toBe(true);
  });
});
