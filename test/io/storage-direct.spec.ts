/**
 * Direct writes: the aligned middle of a write goes to the file with O_DIRECT, past the page
 * cache. Checked against the real kernel: O_DIRECT refuses a misaligned buffer (so an accepted
 * one really is aligned), and `fincore` (util-linux) shows which bytes of a file sit in the page
 * cache, so a direct write is seen not to have gone through it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PieceBufferPool } from '../../src/client/piece-buffer-pool.js';
import { DIRECT_ALIGNMENT, allocateAligned, isAlignedView } from '../../src/io/aligned-memory.js';
import { type Storage, createFileStorage } from '../../src/io/storage.js';
import { cachedBytes, directIoWorks, tryDirectWrite } from '../support/direct-io.js';

const MiB = 1024 * 1024;

const directOk = await directIoWorks(tmpdir());

let dir = '';
let storages: Storage[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxtorrent-direct-'));
  storages = [];
});

afterEach(async () => {
  await Promise.all(storages.map((s) => s.closeAll()));
  await rm(dir, { recursive: true, force: true });
});

const storage = (directWrites?: boolean): Storage => {
  const created = createFileStorage({ root: dir, ...(directWrites === undefined ? {} : { directWrites }) });
  storages.push(created);
  return created;
};

/** Writes `data` to a fresh file with O_DIRECT: 'ok' or the error's code. */
const directWrite = (data: Uint8Array): Promise<string> => tryDirectWrite(join(dir, `probe-${Math.random()}`), data);

/** Opens `name` at the size of `data`, writes all of it at 0, closes: the bytes left in the page cache. */
const writeWhole = async (s: Storage, name: string, data: Uint8Array): Promise<number> => {
  await s.open([name], data.length);
  await s.write([name], 0, data);
  await s.closeAll();
  return cachedBytes(join(dir, name));
};

describe.skipIf(!directOk)('aligned memory', () => {
  it('gives page-aligned buffers the kernel accepts for O_DIRECT, where a misaligned one is refused', async () => {
    const buffer = allocateAligned(MiB);
    expect(buffer.length).toBe(MiB);
    expect(isAlignedView(buffer)).toBe(true);
    expect(isAlignedView(buffer.subarray(DIRECT_ALIGNMENT))).toBe(true);
    expect(isAlignedView(buffer.subarray(1))).toBe(false);
    expect(isAlignedView(new Uint8Array(MiB))).toBe(false);
    buffer.fill(7);
    expect(await directWrite(buffer)).toBe('ok');
    expect(await directWrite(buffer.subarray(DIRECT_ALIGNMENT, DIRECT_ALIGNMENT + 64 * 1024))).toBe('ok');
    expect(await directWrite(buffer.subarray(512 + 1, 512 + 1 + 64 * 1024))).toBe('EINVAL');
  });

  it('is what the piece buffer pool hands out', () => {
    const pool = new PieceBufferPool();
    const piece = pool.take(MiB);
    expect(isAlignedView(piece)).toBe(true);
    expect(piece.every((b) => b === 0)).toBe(true);
    const odd = pool.take(MiB - 123);
    expect(odd.length).toBe(MiB - 123);
    expect(isAlignedView(odd)).toBe(true);
  });
});

describe('file storage, direct writes', () => {
  it.runIf(directOk)('writes the aligned middle of an aligned buffer past the page cache', async () => {
    const s = storage();
    const data = allocateAligned(4 * MiB);
    data.set(randomBytes(4 * MiB));
    expect(await writeWhole(s, 'a.bin', data)).toBe(0);
    expect(Buffer.compare(await readFile(join(dir, 'a.bin')), data)).toBe(0);
  });

  it.runIf(directOk)('writes through the page cache with directWrites: false', async () => {
    const s = storage(false);
    const data = allocateAligned(4 * MiB);
    data.set(randomBytes(4 * MiB));
    expect(await writeWhole(s, 'a.bin', data)).toBe(4 * MiB);
  });

  it.runIf(directOk)('sends an unaligned buffer through an aligned bounce buffer, past the page cache too', async () => {
    const s = storage();
    const backing = new Uint8Array(3 * MiB + 5);
    backing.set(randomBytes(backing.length));
    const data = backing.subarray(5); // a plain buffer, 5 bytes off whatever malloc gave
    expect(await writeWhole(s, 'b.bin', data)).toBe(0);
    expect(Buffer.compare(await readFile(join(dir, 'b.bin')), data)).toBe(0);
  });

  it.runIf(directOk)('writes the unaligned head and tail through the page cache, and every byte lands', async () => {
    const s = storage();
    const size = 5 * MiB + 777;
    const expected = new Uint8Array(size);
    await s.open(['c.bin'], size);
    // Pieces of a multi-file torrent meet a file at any offset: cut the file at odd places.
    const cuts = [0, 1000, 1000 + 2 * MiB + 3, 1000 + 2 * MiB + 3 + 70_000, 4 * MiB + 4096, size];
    for (let i = 0; i + 1 < cuts.length; i += 1) {
      const start = cuts[i] as number;
      const end = cuts[i + 1] as number;
      const piece = allocateAligned(end - start);
      piece.set(randomBytes(end - start));
      expected.set(piece, start);
      await s.write(['c.bin'], start, piece);
    }
    await s.closeAll();
    // Only the head and tail pages of each write are cached (and the one write under 64 KiB).
    expect(cachedBytes(join(dir, 'c.bin'))).toBeLessThanOrEqual(5 * 2 * 4096);
    expect(Buffer.compare(await readFile(join(dir, 'c.bin')), expected)).toBe(0);
  });

  it('reads back what it wrote, through the same storage, whether or not the file system takes O_DIRECT', async () => {
    const s = storage();
    const data = allocateAligned(2 * MiB);
    data.set(randomBytes(2 * MiB));
    await s.open(['d.bin'], 2 * MiB);
    await s.write(['d.bin'], 0, data);
    const back = new Uint8Array(2 * MiB);
    expect(await s.read(['d.bin'], 0, back)).toBe(2 * MiB);
    expect(Buffer.compare(back, data)).toBe(0);
  });
});
