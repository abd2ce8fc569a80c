import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SchedulerAction, type SchedulerLike, type Subscription, asyncScheduler, firstValueFrom, forkJoin, lastValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskError, type DiskErrorDetail } from '../../src/io/disk-error.js';
import { type DiskPool, type DiskPoolOptions, type WriteSegment, createDiskPool } from '../../src/io/disk-pool.js';
import { type Storage, createFileStorage } from '../../src/io/storage.js';

let dir = '';
let root = '';
let pools: DiskPool[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxtorrent-disk-'));
  root = join(dir, 'downloads');
  pools = [];
});

afterEach(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await rm(dir, { recursive: true, force: true });
});

const FAST_RETRY = { initialDelay: 1, maxDelay: 4, jitter: 0, maxAttempts: 4 };

const pool = (options: DiskPoolOptions = {}): DiskPool => {
  const created = createDiskPool({ retry: FAST_RETRY, ...options });
  pools.push(created);
  return created;
};

const bytes = (length: number): Uint8Array => new Uint8Array(randomBytes(length));
const fill = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);

const failure = async (promise: Promise<unknown>): Promise<DiskErrorDetail> => {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof DiskError)) throw new Error(`expected a DiskError, got ${String(error)}`);
  return error.detail;
};

const errnoError = (code: string): Error => Object.assign(new Error(`${code}: injected`), { code });

interface Wrapped extends Storage {
  readonly writes: { readonly path: string; readonly offset: number; readonly first: number }[];
}

/** The real file storage, with a hook before every write (to fail it, hold it, or count it). */
const wrapStorage = (before: (call: number, path: readonly string[]) => Promise<void> | void) =>
  (storageRoot: string): Wrapped => {
    const real = createFileStorage({ root: storageRoot });
    const writes: { path: string; offset: number; first: number }[] = [];
    let calls = 0;
    return {
      ...real,
      writes,
      write: async (path, offset, data) => {
        calls += 1;
        await before(calls, path);
        await real.write(path, offset, data);
        writes.push({ path: path.join('/'), offset, first: data[0] ?? -1 });
      },
    };
  };

describe('createDiskPool: writes', () => {
  it('writes a piece spanning three files at the right offsets, and files have their final size', async () => {
    const disk = pool();
    const piece = bytes(300);
    const segments: WriteSegment[] = [
      { path: ['album', 'a.bin'], fileLength: 1000, fileOffset: 900, data: piece.subarray(0, 100) },
      { path: ['album', 'b.bin'], fileLength: 150, fileOffset: 0, data: piece.subarray(100, 250) },
      { path: ['album', 'sub', 'c.bin'], fileLength: 5000, fileOffset: 0, data: piece.subarray(250, 300) },
    ];
    const result = await firstValueFrom(disk.write({ torrentId: 't1', root, segments }));
    expect(result).toEqual({ torrentId: 't1', bytes: 300, retries: 0 });

    const a = await readFile(join(root, 'album', 'a.bin'));
    const b = await readFile(join(root, 'album', 'b.bin'));
    const c = await readFile(join(root, 'album', 'sub', 'c.bin'));
    expect([a.length, b.length, c.length]).toEqual([1000, 150, 5000]);
    expect(new Uint8Array(a.subarray(900))).toEqual(piece.subarray(0, 100));
    expect(new Uint8Array(a.subarray(0, 900))).toEqual(new Uint8Array(900));
    expect(new Uint8Array(b)).toEqual(piece.subarray(100, 250));
    expect(new Uint8Array(c.subarray(0, 50))).toEqual(piece.subarray(250, 300));
    expect(new Uint8Array(c.subarray(50))).toEqual(new Uint8Array(4950));
  });

  it('gives a file its final size when it is opened, sparse, and keeps data already there', async () => {
    const storage = createFileStorage({ root });
    await storage.open(['big.bin'], 64 * 1024 * 1024);
    const info = await stat(join(root, 'big.bin'));
    expect(info.size).toBe(64 * 1024 * 1024);
    expect(info.blocks * 512).toBeLessThan(1024 * 1024);
    await storage.write(['big.bin'], 10, fill(5, 7));
    await storage.closeAll();

    const again = createFileStorage({ root });
    await again.open(['big.bin'], 64 * 1024 * 1024);
    const into = new Uint8Array(5);
    expect(await again.read(['big.bin'], 10, into)).toBe(5);
    expect(into).toEqual(fill(5, 7));
    await again.closeAll();
  });

  it('keeps writes to one file in the order they were issued: the last one wins', async () => {
    // The first write is held back; without per-file order the second would land first.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const disk = pool({ concurrency: 8, storage: wrapStorage((call) => (call === 1 ? held : undefined)) });
    const segment = (value: number, offset: number, length: number): WriteSegment =>
      ({ path: ['f.bin'], fileLength: 100, fileOffset: offset, data: fill(length, value) });
    const first = lastValueFrom(disk.write({ torrentId: 't', root, segments: [segment(1, 0, 60)] }));
    const second = lastValueFrom(disk.write({ torrentId: 't', root, segments: [segment(2, 40, 60)] }));
    const rest = Array.from({ length: 20 }, (_, i) =>
      lastValueFrom(disk.write({ torrentId: 't', root, segments: [segment(10 + i, 30, 20)] })));
    await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      expect(disk.stats()).toMatchObject({ running: 1, queued: 21 });
    } finally {
      release();
    }
    await Promise.all([first, second, ...rest]);
    const file = new Uint8Array(await readFile(join(root, 'f.bin')));
    expect(file.subarray(0, 30)).toEqual(fill(30, 1));
    expect(file.subarray(30, 50)).toEqual(fill(20, 29));
    expect(file.subarray(50, 100)).toEqual(fill(50, 2));
  });

  it('writes different files in parallel, up to the concurrency cap', async () => {
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const measure = async (concurrency: number, files: number): Promise<number> => {
      // Every write waits at a gate. The test opens the gate once as many writes as the cap
      // allows have arrived (or after a second, so a serial pool fails instead of hanging),
      // plus a moment for any write beyond the cap to show up.
      let inFlight = 0;
      let most = 0;
      let open = (): void => undefined;
      let gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const disk = pool({
        concurrency,
        storage: wrapStorage(async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await gate;
          inFlight -= 1;
        }),
      });
      let finished = false;
      const all = lastValueFrom(forkJoin(Array.from({ length: 8 }, (_, i) => disk.write({
        torrentId: 't', root, segments: [{ path: [`f${i % files}.bin`], fileLength: 10, fileOffset: 0, data: fill(10, i) }],
      })))).finally(() => {
        finished = true;
      });
      while (!finished) {
        for (let waited = 0; waited < 1000 && inFlight < Math.min(concurrency, files); waited += 5) await sleep(5);
        await sleep(30);
        const release = open;
        gate = new Promise<void>((resolve) => {
          open = resolve;
        });
        release();
        await sleep(0);
      }
      await all;
      return most;
    };
    expect(await measure(4, 8)).toBe(4);
    expect(await measure(2, 8)).toBe(2);
    expect(await measure(8, 1)).toBe(1);
  });

  it('writes a piece that lives on a SharedArrayBuffer', async () => {
    const disk = pool();
    const piece = new Uint8Array(new SharedArrayBuffer(4096));
    piece.set(bytes(4096));
    await firstValueFrom(disk.write({ torrentId: 't', root, segments: [{ path: ['s.bin'], fileLength: 4096, fileOffset: 0, data: piece }] }));
    expect(new Uint8Array(await readFile(join(root, 's.bin')))).toEqual(piece);
  });

  it('drops a write that is unsubscribed before it starts', async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const factory = wrapStorage((call) => (call === 1 ? held : undefined));
    let storage: Wrapped | undefined;
    const disk = pool({ storage: (r) => (storage = factory(r)) });
    const segment = (value: number): WriteSegment => ({ path: ['d.bin'], fileLength: 4, fileOffset: 0, data: fill(4, value) });
    const first = lastValueFrom(disk.write({ torrentId: 't', root, segments: [segment(1)] }));
    const kept = lastValueFrom(disk.write({ torrentId: 't', root, segments: [{ ...segment(3), fileOffset: 2, data: fill(2, 3) }] }));
    const dropped = disk.write({ torrentId: 't', root, segments: [segment(2)] }).subscribe({ error: () => undefined });
    try {
      expect(disk.stats()).toMatchObject({ pendingWriteBytes: 10, queued: 2, running: 1 });
      dropped.unsubscribe();
      expect(disk.stats()).toMatchObject({ pendingWriteBytes: 6, queued: 1, running: 1 });
    } finally {
      release();
    }
    await Promise.all([first, kept]);
    expect(storage?.writes.map((w) => w.first)).toEqual([1, 3]);
    expect(new Uint8Array(await readFile(join(root, 'd.bin')))).toEqual(new Uint8Array([1, 1, 3, 3]));
  });

  it('refuses a segment that does not fit in its file', async () => {
    const disk = pool();
    const detail = await failure(lastValueFrom(disk.write({
      torrentId: 't', root, segments: [{ path: ['x.bin'], fileLength: 10, fileOffset: 8, data: fill(4, 1) }],
    })));
    expect(detail).toMatchObject({ kind: 'out-of-range', offset: 8, length: 4, fileLength: 10 });
  });
});

describe('createDiskPool: reads', () => {
  it('returns what was written, across files, in one buffer', async () => {
    const disk = pool();
    const piece = bytes(256 * 1024);
    const layout = [
      { path: ['r', 'one'], fileLength: 200_000, fileOffset: 100_000, length: 100_000 },
      { path: ['r', 'two'], fileLength: 162_144, fileOffset: 0, length: 162_144 },
    ];
    let at = 0;
    const segments = layout.map((s) => {
      const data = piece.subarray(at, at + s.length);
      at += s.length;
      return { path: s.path, fileLength: s.fileLength, fileOffset: s.fileOffset, data };
    });
    // Queued behind the write on the same files, the read sees it.
    const written = lastValueFrom(disk.write({ torrentId: 't', root, segments }));
    const read = lastValueFrom(disk.read({ root, segments: layout }));
    await written;
    expect(await read).toEqual(piece);
  });

  it('reports a missing file as missing-data, without creating it', async () => {
    const disk = pool();
    const detail = await failure(lastValueFrom(disk.read({ root, segments: [{ path: ['nope.bin'], fileLength: 10, fileOffset: 0, length: 10 }] })));
    expect(detail).toEqual({ kind: 'missing-data', path: join(root, 'nope.bin'), offset: 0, length: 10, got: 0 });
    await expect(stat(join(root, 'nope.bin'))).rejects.toThrow();
  });

  it('reports a file that is too short as missing-data with the bytes it has', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'short.bin'), fill(30, 3));
    const disk = pool();
    const detail = await failure(lastValueFrom(disk.read({ root, segments: [{ path: ['short.bin'], fileLength: 100, fileOffset: 20, length: 50 }] })));
    expect(detail).toMatchObject({ kind: 'missing-data', offset: 20, length: 50, got: 10 });
  });
});

describe('createDiskPool: failures', () => {
  const tenWrites = (disk: DiskPool): Promise<unknown> => lastValueFrom(forkJoin(Array.from({ length: 10 }, (_, i) =>
    disk.write({ torrentId: 't', root, segments: [{ path: [`w${i}.bin`], fileLength: 8, fileOffset: 0, data: fill(8, i + 1) }] }))));

  it('retries a write that fails once with EIO, and succeeds', async () => {
    const disk = pool({ storage: wrapStorage((call) => {
      if (call === 7) throw errnoError('EIO');
    }) });
    const results = await tenWrites(disk);
    expect(Array.isArray(results) && results.reduce((sum: number, r: { retries: number }) => sum + r.retries, 0)).toBe(1);
    for (let i = 0; i < 10; i++) expect(new Uint8Array(await readFile(join(root, `w${i}.bin`)))).toEqual(fill(8, i + 1));
  });

  it('waits the back-off before each retry, the first included: 1, 2, then 4 ms', async () => {
    const delays: number[] = [];
    const recording: SchedulerLike = {
      now: () => asyncScheduler.now(),
      schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
        delays.push(delay ?? 0);
        return asyncScheduler.schedule(work, delay, state);
      },
    };
    let calls = 0;
    const disk = pool({ scheduler: recording, storage: wrapStorage(() => {
      calls += 1;
      if (calls <= 3) throw errnoError('EIO');
    }) });
    const result = await lastValueFrom(disk.write({
      torrentId: 't', root, segments: [{ path: ['flaky.bin'], fileLength: 4, fileOffset: 0, data: fill(4, 7) }],
    }));
    expect(result.retries).toBe(3);
    expect(delays).toEqual([1, 2, 4]);
    expect(new Uint8Array(await readFile(join(root, 'flaky.bin')))).toEqual(fill(4, 7));
  });

  it('ends in a typed io error after the retries when EIO persists', async () => {
    let calls = 0;
    const disk = pool({ storage: wrapStorage(() => {
      calls += 1;
      throw errnoError('EIO');
    }) });
    const detail = await failure(lastValueFrom(disk.write({
      torrentId: 't', root, segments: [{ path: ['bad.bin'], fileLength: 4, fileOffset: 0, data: fill(4, 1) }],
    })));
    expect(detail).toEqual({ kind: 'io', code: 'EIO', path: join(root, 'bad.bin'), attempts: 4 });
    expect(calls).toBe(4);
  });

  it('reports ENOSPC as disk-full without retrying', async () => {
    let calls = 0;
    const disk = pool({ storage: wrapStorage(() => {
      calls += 1;
      throw errnoError('ENOSPC');
    }) });
    const detail = await failure(lastValueFrom(disk.write({
      torrentId: 't', root, segments: [{ path: ['full.bin'], fileLength: 4, fileOffset: 0, data: fill(4, 1) }],
    })));
    expect(detail).toEqual({ kind: 'disk-full', path: join(root, 'full.bin') });
    expect(calls).toBe(1);
  });

  it('reports a real full disk (a 1 MiB tmpfs) as disk-full', async (context) => {
    const mountPoint = join(dir, 'small');
    await mkdir(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      context.skip('mounting a tmpfs is not permitted here');
    }
    try {
      const disk = createDiskPool({ retry: FAST_RETRY });
      const detail = await failure(lastValueFrom(disk.write({
        torrentId: 't', root: mountPoint, segments: [{ path: ['huge.bin'], fileLength: 4 << 20, fileOffset: 0, data: bytes(2 << 20) }],
      })));
      expect(detail).toEqual({ kind: 'disk-full', path: join(mountPoint, 'huge.bin') });
      await disk.close();
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });

  it('ends the other segments of a request when one fails, and keeps serving other requests', async () => {
    const disk = pool({ concurrency: 1, storage: wrapStorage((_call, path) => {
      if (path[0] === 'broken.bin') throw errnoError('EACCES');
    }) });
    const detail = await failure(lastValueFrom(disk.write({ torrentId: 't', root, segments: [
      { path: ['broken.bin'], fileLength: 4, fileOffset: 0, data: fill(4, 1) },
      { path: ['after.bin'], fileLength: 4, fileOffset: 0, data: fill(4, 2) },
    ] })));
    expect(detail).toMatchObject({ kind: 'io', code: 'EACCES', attempts: 1 });
    await expect(stat(join(root, 'after.bin'))).rejects.toThrow();
    const ok = await lastValueFrom(disk.write({ torrentId: 't', root, segments: [{ path: ['fine.bin'], fileLength: 4, fileOffset: 0, data: fill(4, 3) }] }));
    expect(ok.bytes).toBe(4);
  });
});

describe('createDiskPool: paths', () => {
  const writeTo = (disk: DiskPool, path: readonly string[]): Promise<DiskErrorDetail> => failure(lastValueFrom(disk.write({
    torrentId: 't', root, segments: [{ path, fileLength: 4, fileOffset: 0, data: fill(4, 1) }],
  })));

  it.each([
    ['a parent segment', ['..', 'evil.bin'], 'bad-segment'],
    ['a nested parent segment', ['ok', '..', '..', 'evil.bin'], 'bad-segment'],
    ['an absolute path', ['/etc/evil.bin'], 'bad-segment'],
    ['a separator inside a segment', ['a/../../evil.bin'], 'bad-segment'],
    ['a drive prefix', ['C:evil.bin'], 'bad-segment'],
    ['an empty path', [], 'empty-path'],
    ['an empty segment', ['', 'x'], 'bad-segment'],
  ])('refuses %s', async (_name, path, reason) => {
    const detail = await writeTo(pool(), path);
    expect(detail).toMatchObject({ kind: 'outside-root', reason });
    expect(await readdir(dir)).not.toContain('evil.bin');
  });

  it('refuses a folder inside the root that is a symbolic link to outside it', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await mkdir(root);
    await symlink(outside, join(root, 'link'), 'dir');
    const disk = pool();
    expect(await writeTo(disk, ['link', 'evil.bin'])).toMatchObject({ kind: 'outside-root', reason: 'symlink' });
    expect(await writeTo(disk, ['link', 'deeper', 'evil.bin'])).toMatchObject({ kind: 'outside-root', reason: 'symlink' });
    expect(await readdir(outside)).toEqual([]);
    const read = await failure(lastValueFrom(disk.read({ root, segments: [{ path: ['link', 'x'], fileLength: 1, fileOffset: 0, length: 1 }] })));
    expect(read).toMatchObject({ kind: 'outside-root', reason: 'symlink' });
  });

  it('refuses a file inside the root that is a symbolic link', async () => {
    const target = join(dir, 'target.bin');
    await writeFile(target, fill(4, 9));
    await mkdir(root);
    await symlink(target, join(root, 'file.bin'));
    expect(await writeTo(pool(), ['file.bin'])).toMatchObject({ kind: 'outside-root', reason: 'symlink' });
    expect(new Uint8Array(await readFile(target))).toEqual(fill(4, 9));
  });

  it('accepts names that merely start with two dots', async () => {
    const disk = pool();
    await lastValueFrom(disk.write({ torrentId: 't', root, segments: [{ path: ['..hidden'], fileLength: 2, fileOffset: 0, data: fill(2, 5) }] }));
    expect(new Uint8Array(await readFile(join(root, '..hidden')))).toEqual(fill(2, 5));
  });
});

describe('createDiskPool: handles and close', () => {
  const openInRoot = async (): Promise<number> => {
    let count = 0;
    for (const fd of await readdir('/proc/self/fd').catch(() => [])) {
      const target = await readlink(join('/proc/self/fd', fd)).catch(() => '');
      if (target.startsWith(dir)) count += 1;
    }
    return count;
  };

  it('keeps at most maxOpenFiles handles open, and none after close()', async (context) => {
    if ((await readdir('/proc/self/fd').catch(() => [])).length === 0) context.skip('no /proc/self/fd');
    const disk = createDiskPool({ storage: (r) => createFileStorage({ root: r, maxOpenFiles: 3 }) });
    for (let i = 0; i < 10; i++) {
      await lastValueFrom(disk.write({ torrentId: 't', root, segments: [{ path: [`h${i}`], fileLength: 4, fileOffset: 0, data: fill(4, i) }] }));
    }
    expect(await openInRoot()).toBeLessThanOrEqual(3);
    expect(await openInRoot()).toBeGreaterThan(0);
    const back = await lastValueFrom(disk.read({ root, segments: Array.from({ length: 10 }, (_, i) => ({ path: [`h${i}`], fileLength: 4, fileOffset: 0, length: 4 })) }));
    expect(back).toEqual(new Uint8Array(Array.from({ length: 10 }, (_, i) => fill(4, i)).flatMap((a) => [...a])));
    await disk.close();
    expect(await openInRoot()).toBe(0);
  });

  it('close() flushes pending writes, then refuses new requests', async () => {
    const disk = createDiskPool({ concurrency: 1 });
    const writes = Array.from({ length: 20 }, (_, i) =>
      lastValueFrom(disk.write({ torrentId: 't', root, segments: [{ path: ['c.bin'], fileLength: 20, fileOffset: i, data: fill(1, i + 1) }] })));
    await disk.close();
    expect(new Uint8Array(await readFile(join(root, 'c.bin')))).toEqual(new Uint8Array(Array.from({ length: 20 }, (_, i) => i + 1)));
    expect(await Promise.all(writes)).toHaveLength(20);
    expect(await failure(lastValueFrom(disk.write({ torrentId: 't', root, segments: [] })))).toEqual({ kind: 'closed' });
  });
});
