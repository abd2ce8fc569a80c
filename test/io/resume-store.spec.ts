import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTorrent } from '../../src/io/create-torrent.js';
import {
  RESUME_VERSION, ResumeError, type ResumeRecord, decideResume, decodeResumeRecord, encodeResumeRecord,
} from '../../src/io/resume-record.js';
import { type ResumeStore, createResumeStore, readBootId } from '../../src/io/resume-store.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import { Bitfield } from '../../src/pieces/bitfield.js';

const PIECE = 16_384;
let work = '';
let content = '';
let meta: Metainfo;
let store: ResumeStore;

/** pack/a.bin spans pieces 0–3 (and the start of 4), pack/b.bin the rest; pack/empty holds none. */
const FILES: Readonly<Record<string, number>> = { 'a.bin': 4 * PIECE + 100, 'b.bin': 3 * PIECE - 7, 'empty': 0 };

async function torrentOf(path: string, pieceLength = PIECE): Promise<Metainfo> {
  const events = await lastValueFrom(createTorrent(path, { pieceLength }).pipe(toArray()));
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error('no torrent');
  return done.metainfo;
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-resume-'));
  content = join(work, 'content');
  await mkdir(join(content, 'pack'), { recursive: true });
  for (const [name, size] of Object.entries(FILES)) await writeFile(join(content, 'pack', name), randomBytes(size));
  meta = await torrentOf(join(content, 'pack'));
  store = createResumeStore({ dir: join(work, 'state') });
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const haveOf = (pieces: readonly number[], count = meta.pieceCount): Bitfield => {
  const field = new Bitfield(count);
  for (const piece of pieces) field.set(piece);
  return field;
};

const file = (name: string): string => join(content, 'pack', name);

/** Moves a file's mtime by `deltaMs` without touching its bytes. */
async function shiftMtime(path: string, deltaMs: number): Promise<void> {
  const before = await stat(path);
  await utimes(path, before.atime, new Date(before.mtimeMs + deltaMs));
}

describe('createResumeStore', () => {
  it('round trips the bitfield while the files are untouched', async () => {
    const have = haveOf([0, 2, 5, meta.pieceCount - 1]);
    await store.save(meta, content, have);
    const loaded = await store.load(meta, content);
    expect(loaded?.equals(have)).toBe(true);
    expect([...(loaded?.setIndexes() ?? [])]).toEqual([0, 2, 5, meta.pieceCount - 1]);
    expect(await store.inspect(meta, content)).toMatchObject({ kind: 'skip-recheck' });
    expect(await readdir(join(work, 'state'))).toEqual([`${meta.infoHashHex}.resume`]);
  });

  it('a fresh download with no files yet round trips, and a file that appears afterwards forces a recheck', async () => {
    const fresh = join(work, 'fresh');
    await store.save(meta, fresh, new Bitfield(meta.pieceCount));
    expect((await store.load(meta, fresh))?.count).toBe(0);
    await mkdir(join(fresh, 'pack'), { recursive: true });
    await writeFile(join(fresh, 'pack', 'b.bin'), new Uint8Array(FILES['b.bin'] ?? 0));
    expect(await store.load(meta, fresh)).toBeUndefined();
    expect(await store.inspect(meta, fresh)).toMatchObject({ kind: 'recheck', reason: { kind: 'file-changed', path: 'pack/b.bin', recorded: undefined } });
  });

  it('any change of a file size or mtime means a recheck', async () => {
    const have = haveOf([0, 1, 4, 6]);
    const cases: readonly { readonly name: string; readonly change: () => Promise<void> }[] = [
      { name: 'mtime +1 ms', change: () => shiftMtime(file('a.bin'), 1) },
      { name: 'mtime −5 s', change: () => shiftMtime(file('b.bin'), -5_000) },
      { name: 'mtime of the empty file', change: () => shiftMtime(file('empty'), 1_000) },
      {
        name: 'size −1, mtime restored',
        change: async () => {
          const before = await stat(file('a.bin'));
          await truncate(file('a.bin'), before.size - 1);
          await utimes(file('a.bin'), before.atime, before.mtime);
        },
      },
      { name: 'size +1', change: () => truncate(file('b.bin'), (FILES['b.bin'] ?? 0) + 1) },
      { name: 'file removed', change: () => rm(file('b.bin')) },
    ];
    for (const { name, change } of cases) {
      await store.save(meta, content, have);
      expect((await store.load(meta, content))?.equals(have), `${name}: before`).toBe(true);
      await change();
      expect(await store.load(meta, content), name).toBeUndefined();
      expect(await store.inspect(meta, content), name).toMatchObject({ kind: 'recheck', reason: { kind: 'file-changed' } });
      if (name === 'file removed') await writeFile(file('b.bin'), randomBytes(FILES['b.bin'] ?? 0));
    }
  });

  it('a record of another torrent (info hash, piece count) is never used', async () => {
    const other = await torrentOf(join(content, 'pack'), 2 * PIECE);
    await store.save(other, content, haveOf([0], other.pieceCount));
    await copyFile(store.pathOf(other), store.pathOf(meta));
    expect(await store.load(meta, content)).toBeUndefined();
    expect(await store.inspect(meta, content)).toMatchObject({ kind: 'recheck', reason: { kind: 'info-hash', found: other.infoHashHex } });
    expect(await store.read(meta)).toBeUndefined();

    const record = decodeResumeRecord(await readFile(store.pathOf(other)));
    const sameHash: ResumeRecord = { ...record, infoHash: meta.infoHash };
    expect(decideResume(meta, sameHash, [])).toMatchObject({ kind: 'recheck', reason: { kind: 'piece-count', expected: meta.pieceCount } });
    expect(decideResume(meta, { ...sameHash, version: RESUME_VERSION + 1 }, [])).toMatchObject({ reason: { kind: 'version' } });
  });

  it('a missing, truncated or garbage resume file means a recheck, never a crash', async () => {
    expect(await store.inspect(meta, content)).toEqual({ kind: 'recheck', reason: { kind: 'missing' } });
    await store.save(meta, content, haveOf([1, 3]));
    const good = await readFile(store.pathOf(meta));
    for (let length = 0; length < good.length; length += 1) {
      await writeFile(store.pathOf(meta), good.subarray(0, length));
      expect(await store.load(meta, content), `first ${length} bytes`).toBeUndefined();
    }
    for (const garbage of [randomBytes(good.length), Buffer.from('{"have":"//8="}'), Buffer.concat([good, Buffer.from('x')])]) {
      await writeFile(store.pathOf(meta), garbage);
      expect(await store.load(meta, content)).toBeUndefined();
      expect(await store.inspect(meta, content)).toMatchObject({ kind: 'recheck', reason: { kind: 'malformed' } });
    }
    await rm(store.pathOf(meta));
    await mkdir(store.pathOf(meta)); // a folder where the file should be
    expect(await store.inspect(meta, content)).toMatchObject({ kind: 'recheck', reason: { kind: 'unreadable' } });
  });

  it('without a record, no content on disk means nothing to check; any content byte means a full check', async () => {
    await rm(file('a.bin'));
    await writeFile(file('b.bin'), ''); // present but empty: holds no piece either
    const fresh = await store.inspect(meta, content);
    expect(fresh.kind).toBe('skip-recheck');
    expect(fresh.kind === 'skip-recheck' ? fresh.have.count : -1).toBe(0);
    expect((await store.load(meta, content))?.count).toBe(0);
    await writeFile(file('b.bin'), 'x');
    expect(await store.inspect(meta, content)).toEqual({ kind: 'recheck', reason: { kind: 'missing' } });
    expect(await store.load(meta, content)).toBeUndefined();
  });

  it('a huge resume file is refused without reading it whole', async () => {
    await mkdir(join(work, 'state'), { recursive: true });
    await writeFile(store.pathOf(meta), new Uint8Array(8 * 1024 * 1024).fill(0x6c)); // "llll…"
    expect(await store.inspect(meta, content)).toMatchObject({ reason: { kind: 'malformed', reason: expect.stringMatching(/larger than/) } });
  });

  it('a bitfield claiming a piece of a file recorded as absent is not trusted', () => {
    const record: ResumeRecord = {
      version: RESUME_VERSION, infoHash: meta.infoHash, pieceCount: meta.pieceCount, have: haveOf([0]),
      files: [{ path: ['pack', 'a.bin'], stamp: undefined }, { path: ['pack', 'b.bin'], stamp: undefined }, { path: ['pack', 'empty'], stamp: undefined }],
    };
    expect(decideResume(meta, record, [undefined, undefined, undefined])).toMatchObject({ kind: 'recheck', reason: { kind: 'file-changed', path: 'pack/a.bin' } });
    expect(decideResume(meta, { ...record, have: haveOf([]) }, [undefined, undefined, undefined])).toMatchObject({ kind: 'skip-recheck' });
    expect(decideResume(meta, { ...record, files: record.files.slice(1) }, [])).toMatchObject({ reason: { kind: 'file-list' } });
    const renamed = [{ path: ['other', 'a.bin'], stamp: undefined }, ...record.files.slice(1)];
    expect(decideResume(meta, { ...record, have: haveOf([]), files: renamed }, [])).toMatchObject({ reason: { kind: 'file-list', index: 0 } });
  });

  it('save is atomic: a leftover temp file (a save killed half way) is ignored, and cleaned by the next save', async () => {
    const have = haveOf([2]);
    await store.save(meta, content, have);
    const torn = `${store.pathOf(meta)}.999-deadbeef.tmp`;
    const newer = encodeResumeRecord({ ...decodeResumeRecord(await readFile(store.pathOf(meta))), have: Bitfield.full(meta.pieceCount) });
    await writeFile(torn, newer.subarray(0, newer.length - 3));
    expect((await store.load(meta, content))?.equals(have)).toBe(true);
    await writeFile(torn, newer); // even a complete temp file was never renamed, so it never counts
    expect((await store.load(meta, content))?.equals(have)).toBe(true);
    await store.save(meta, content, haveOf([2, 3]));
    expect(await readdir(join(work, 'state'))).toEqual([`${meta.infoHashHex}.resume`]);
    expect([...(await store.load(meta, content))?.setIndexes() ?? []]).toEqual([2, 3]);
  });

  it('save copies the bitfield at the call, and saves of one torrent land in call order', async () => {
    const have = haveOf([0]);
    const first = store.save(meta, content, have);
    have.set(1); // set after the call: not covered by the first save's stamps
    const second = store.save(meta, content, have);
    have.set(2);
    const firstRecord = first.then(async () => decodeResumeRecord(await readFile(store.pathOf(meta))));
    expect([...(await firstRecord).have.setIndexes()]).toEqual([0]);
    await second;
    expect([...(await store.load(meta, content))?.setIndexes() ?? []]).toEqual([0, 1]);
  });

  it('save refuses a bitfield of another size, and reports a folder it cannot write as save-failed', async () => {
    await expect(store.save(meta, content, new Bitfield(meta.pieceCount + 1))).rejects.toMatchObject({ detail: { kind: 'bad-bitfield' } });
    await writeFile(join(work, 'blocked'), 'a file, not a folder');
    const blocked = createResumeStore({ dir: join(work, 'blocked') });
    const error: unknown = await blocked.save(meta, content, haveOf([])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResumeError);
    expect(error).toMatchObject({ detail: { kind: 'save-failed' } });
    expect((await readdir(work)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('a light save records the boot instead of syncing, and is trusted only within that boot', async () => {
    const storeIn = (boot: string | undefined): ResumeStore => createResumeStore({ dir: join(work, 'state'), bootId: async () => boot });
    const have = haveOf([0, 2, 5]);
    await storeIn('boot-a').save(meta, content, have, 'light');
    expect((await storeIn('boot-a').read(meta))?.boot).toBe('boot-a');
    expect((await storeIn('boot-a').load(meta, content))?.equals(have)).toBe(true);
    // After a reboot (another id) or where no id can be read, a light record proves nothing.
    expect(await storeIn('boot-b').inspect(meta, content))
      .toEqual({ kind: 'recheck', reason: { kind: 'other-boot', recorded: 'boot-a', current: 'boot-b' } });
    expect(await storeIn(undefined).inspect(meta, content))
      .toEqual({ kind: 'recheck', reason: { kind: 'other-boot', recorded: 'boot-a', current: undefined } });

    // A durable save carries no boot and holds in any; without a boot id a light save is durable.
    await storeIn('boot-a').save(meta, content, have, 'durable');
    expect((await storeIn('boot-a').read(meta))?.boot).toBeUndefined();
    expect((await storeIn('boot-b').load(meta, content))?.equals(have)).toBe(true);
    await storeIn(undefined).save(meta, content, have, 'light');
    expect((await storeIn('boot-a').read(meta))?.boot).toBeUndefined();
    expect((await storeIn('boot-b').load(meta, content))?.equals(have)).toBe(true);
  });

  it('a durable save that would record what the durable record on disk says writes nothing; any difference writes', async () => {
    const boot = createResumeStore({ dir: join(work, 'state'), bootId: async () => 'boot-a' });
    // The record's own mtime is set to a date no save writes, so a rewrite shows.
    const OLD = new Date('2001-09-09T01:46:40Z');
    const mark = (): Promise<void> => utimes(store.pathOf(meta), OLD, OLD);
    const rewritten = async (): Promise<boolean> => (await stat(store.pathOf(meta))).mtimeMs !== OLD.getTime();
    await store.save(meta, content, haveOf([0, 1]));
    expect(await store.inspect(meta, content)).toMatchObject({ kind: 'skip-recheck', durable: true });
    await mark();

    // The same pieces over unchanged files (a restarted seed, a stop after the complete save): no new record.
    await store.save(meta, content, haveOf([0, 1]));
    await createResumeStore({ dir: join(work, 'state') }).save(meta, content, haveOf([0, 1]));
    expect(await rewritten()).toBe(false);

    // Other pieces, a file written since, or a light record on disk: a new record each time.
    await store.save(meta, content, haveOf([0, 1, 5]));
    expect(await rewritten()).toBe(true);
    await mark();
    await shiftMtime(file('b.bin'), 1000);
    await store.save(meta, content, haveOf([0, 1, 5]));
    expect(await rewritten()).toBe(true);
    expect((await store.load(meta, content))?.equals(haveOf([0, 1, 5]))).toBe(true);
    await boot.save(meta, content, haveOf([0, 1, 5]), 'light');
    expect(await boot.inspect(meta, content)).toMatchObject({ kind: 'skip-recheck', durable: false });
    await mark();
    await boot.save(meta, content, haveOf([0, 1, 5]), 'durable');
    expect(await rewritten()).toBe(true);
    expect(await boot.inspect(meta, content)).toMatchObject({ kind: 'skip-recheck', durable: true });
  });

  it('the default boot id is the running Linux boot\'s', async () => {
    const id = await readBootId();
    if (process.platform !== 'linux') {
      expect(id).toBeUndefined();
      return;
    }
    expect(id).toBe((await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim());
    await store.save(meta, content, haveOf([1]), 'light');
    expect((await store.read(meta))?.boot).toBe(id);
    expect((await store.load(meta, content))?.equals(haveOf([1]))).toBe(true);
  });

  it('property: decode(encode(record)) keeps every field', () => {
    const stamp = fc.option(fc.record({
      size: fc.nat(), mtimeMs: fc.integer({ min: -1e12, max: 1e13 }), mtimeNs: fc.integer({ min: -999_999, max: 999_999 }),
    }), { nil: undefined });
    const recordArb = fc.nat({ max: 300 }).chain((pieceCount) => fc.record({
      version: fc.nat(),
      infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
      pieceCount: fc.constant(pieceCount),
      have: fc.uniqueArray(fc.nat({ max: Math.max(0, pieceCount - 1) }), { maxLength: pieceCount })
        .map((pieces) => haveOf(pieces.filter((p) => p < pieceCount), pieceCount)),
      files: fc.array(fc.record({ path: fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }), stamp }), { maxLength: 5 }),
      boot: fc.option(fc.string(), { nil: undefined }),
    }));
    fc.assert(fc.property(recordArb, (record) => {
      const back = decodeResumeRecord(encodeResumeRecord(record));
      expect(back.have.equals(record.have)).toBe(true);
      expect({ ...back, have: null }).toEqual({ ...record, have: null });
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 300) });
  });

  it('property: arbitrary bytes as the resume file never throw, and are never trusted unless they are a valid record', async () => {
    const good = encodeResumeRecord({
      version: RESUME_VERSION, infoHash: meta.infoHash, pieceCount: meta.pieceCount, have: haveOf([0]),
      files: [{ path: ['pack', 'a.bin'], stamp: undefined }], boot: 'a boot id',
    });
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      // mutations of a real record reach deeper into the decoder than noise does
      fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 }))
        .map(([at, byte]) => Uint8Array.from(good, (value, i) => (i === at ? byte : value))),
    );
    await mkdir(join(work, 'state'), { recursive: true });
    await fc.assert(fc.asyncProperty(bytesArb, async (bytes) => {
      try {
        decodeResumeRecord(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(ResumeError);
      }
      await writeFile(store.pathOf(meta), bytes);
      const decision = await store.inspect(meta, content);
      expect(decision.kind).toBe('recheck'); // every file list here is wrong for `meta`, so nothing is trusted
      expect(await store.load(meta, content)).toBeUndefined();
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 200) });
  });
});
