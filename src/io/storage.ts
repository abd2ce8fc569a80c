/**
 * Where the disk pool puts bytes: a small interface in the spirit of anacrolix/torrent's storage
 * (read at, write at), so a program can keep pieces somewhere other than the file system, and a
 * file-system implementation of it.
 *
 * Paths are arrays of segments relative to the storage's root folder (a torrent's file path,
 * already made safe by `safePath`). The file storage checks them again anyway and refuses,
 * with a `DiskError` of kind `outside-root`, anything that would leave the root: an empty or
 * `.`/`..` segment, a separator or NUL inside a segment, an absolute or drive-prefixed segment,
 * a parent folder whose real path (after symbolic links) is outside the root's real path, and a
 * symbolic link as the file itself (opened with `O_NOFOLLOW`).
 *
 * Other failures are passed on as Node's own errors (with `code`); the disk pool decides which
 * are worth retrying.
 *
 * Direct writes (Linux, on by default): the aligned middle of each write, whole 4 KiB blocks at
 * 4 KiB file offsets, goes through a second handle opened with `O_DIRECT`, straight from our
 * buffer to the device; the unaligned head and tail go through the page cache as usual. Copying
 * a GiB into new page-cache pages costs about 2 s of one core on the test VM, the direct path
 * 0.1 s (docs/performance.md). The bytes come from a page-aligned buffer (`allocateAligned`,
 * which the client's piece buffers are) or, for any other buffer, are first copied into an
 * aligned bounce buffer. Reads stay buffered; the kernel keeps the two paths coherent. A file
 * system without `O_DIRECT` (EINVAL on open or write) turns direct writes off for the storage.
 */
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DIRECT_ALIGNMENT, allocateAligned, isAlignedView } from './aligned-memory.js';
import { DiskError, type UnsafeStoragePathReason, errorCode } from './disk-error.js';

export interface Storage {
  /** Opens the file for writing, creating it and its folders, and gives it `size` bytes (sparse). */
  open(path: readonly string[], size: number): Promise<void>;
  /** Writes all of `data` at `offset`. */
  write(path: readonly string[], offset: number, data: Uint8Array): Promise<void>;
  /**
   * Reads into `into` from `offset` (like Go's `ReadAt`, so a piece spanning files is read into
   * one buffer without a copy); resolves with the bytes read, fewer at the end of the file.
   * A missing file rejects with `ENOENT`; reading never creates anything.
   */
  read(path: readonly string[], offset: number, into: Uint8Array): Promise<number>;
  /** Closes the file's handle, once no operation is using it. */
  close(path: readonly string[]): Promise<void>;
  /** Closes every handle. */
  closeAll(): Promise<void>;
}

export interface FileStorageOptions {
  /** The download folder; created on the first write. */
  readonly root: string;
  /** Open file handles kept in the LRU; default 128. Busy handles are never closed early. */
  readonly maxOpenFiles?: number;
  /** Write aligned blocks with `O_DIRECT`, past the page cache; default true where the OS has it. */
  readonly directWrites?: boolean;
}

interface Entry {
  readonly handle: Promise<FileHandle>;
  readonly writable: boolean;
  size: number | undefined;
  busy: number;
  retired: boolean;
  /** The `O_DIRECT` handle, opened on the first direct write; undefined inside when refused. */
  direct: Promise<FileHandle | undefined> | undefined;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const WRITE_FLAGS = constants.O_RDWR | constants.O_CREAT | NOFOLLOW;
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW;
const O_DIRECT: number | undefined = constants.O_DIRECT;
/** Writes shorter than this in the aligned middle go through the page cache anyway. */
const MIN_DIRECT = 64 * 1024;
/** Bounce buffers for direct writes from unaligned memory: this size, at most 4 kept. */
const BOUNCE = 1024 * 1024;
const DRIVE_PREFIX = /^[A-Za-z]:/;

export function createFileStorage(options: FileStorageOptions): Storage {
  const root = resolve(options.root);
  const maxOpen = Math.max(1, options.maxOpenFiles ?? 128);
  const entries = new Map<string, Entry>();
  const closing = new Set<Promise<void>>();
  let realRoot: string | undefined;
  let directOn = (options.directWrites ?? true) && O_DIRECT !== undefined;
  const bounces: Uint8Array[] = [];

  const refuse = (path: readonly string[], reason: UnsafeStoragePathReason): DiskError =>
    new DiskError({ kind: 'outside-root', root, path: path.join('/'), reason });

  const inRoot = (real: string, base: string): boolean => real === base || real.startsWith(base + sep);

  /** The file's path below the root's real path, after every check in the header. */
  const locate = async (path: readonly string[], create: boolean): Promise<string> => {
    if (path.length === 0) throw refuse(path, 'empty-path');
    for (const segment of path) if (!isPlainSegment(segment)) throw refuse(path, 'bad-segment');
    const full = join(root, ...path);
    const inside = relative(root, full);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) throw refuse(path, 'escapes-root');
    if (realRoot === undefined) {
      if (create) await mkdir(root, { recursive: true });
      realRoot = await realpath(root);
    }
    const base = realRoot;
    let parent = await realpath(dirname(full)).catch((error: unknown) => {
      if (create && errorCode(error) === 'ENOENT') return undefined;
      throw error;
    });
    if (parent === undefined) {
      // Create the folders one level at a time, checking each before going into it, so that
      // nothing is ever created below a link that leads out of the root.
      parent = base;
      for (const segment of path.slice(0, -1)) {
        const next = join(parent, segment);
        await mkdir(next).catch((error: unknown) => {
          if (errorCode(error) !== 'EEXIST') throw error;
        });
        parent = await realpath(next);
        if (!inRoot(parent, base)) throw refuse(path, 'symlink');
      }
    }
    if (!inRoot(parent, base)) throw refuse(path, 'symlink');
    return join(parent, basename(full));
  };

  const openHandle = async (path: readonly string[], writable: boolean): Promise<FileHandle> => {
    const full = await locate(path, writable);
    try {
      return await open(full, writable ? WRITE_FLAGS : READ_FLAGS, 0o666);
    } catch (error) {
      if (errorCode(error) === 'ELOOP') throw refuse(path, 'symlink');
      throw error;
    }
  };

  const retire = (key: string, entry: Entry): void => {
    if (entries.get(key) === entry) entries.delete(key);
    entry.retired = true;
    if (entry.busy === 0) finish(entry);
  };

  const finish = (entry: Entry): void => {
    const direct = entry.direct?.then((handle) => handle?.close()).catch(() => undefined);
    const done = Promise.all([entry.handle.then((handle) => handle.close(), () => undefined), direct])
      .then(() => undefined, () => undefined);
    closing.add(done);
    void done.then(() => closing.delete(done));
  };

  const evict = (): void => {
    for (const [key, entry] of entries) {
      if (entries.size <= maxOpen) return;
      if (entry.busy === 0) retire(key, entry);
    }
  };

  /** Runs `use` with the file's handle, opening (or reopening for writing) as needed. */
  const withHandle = async <T>(path: readonly string[], writable: boolean, use: (handle: FileHandle, entry: Entry) => Promise<T>): Promise<T> => {
    const key = path.join('/');
    let entry = entries.get(key);
    if (entry !== undefined && writable && !entry.writable) {
      retire(key, entry);
      entry = undefined;
    }
    if (entry === undefined) {
      entry = { handle: openHandle(path, writable), writable, size: undefined, busy: 0, retired: false, direct: undefined };
      entries.set(key, entry);
    } else {
      entries.delete(key);
      entries.set(key, entry);
    }
    const current = entry;
    current.busy += 1;
    try {
      return await use(await current.handle, current);
    } catch (error) {
      // A handle that failed to open is forgotten, so the next call tries again.
      if (!(await current.handle.then(() => true, () => false))) retire(key, current);
      throw error;
    } finally {
      current.busy -= 1;
      if (current.retired && current.busy === 0) finish(current);
      evict();
    }
  };

  /** The file's `O_DIRECT` handle; undefined (and direct writes off) where the OS refuses it. */
  const directHandle = (path: readonly string[], entry: Entry): Promise<FileHandle | undefined> => {
    entry.direct ??= locate(path, true)
      .then((full) => open(full, constants.O_WRONLY | NOFOLLOW | (O_DIRECT ?? 0)))
      .catch((error: unknown) => {
        if (errorCode(error) === 'EINVAL') directOn = false;
        return undefined;
      });
    return entry.direct;
  };

  /**
   * Writes an aligned run past the page cache; false (and direct writes off) when the kernel
   * refuses it, for the caller to write it the usual way.
   */
  const writeDirect = async (handle: FileHandle, offset: number, data: Uint8Array): Promise<boolean> => {
    try {
      if (isAlignedView(data)) {
        await writeAll(handle, offset, data);
        return true;
      }
      const bounce = bounces.pop() ?? allocateAligned(BOUNCE);
      try {
        for (let done = 0; done < data.length; done += BOUNCE) {
          const chunk = data.subarray(done, done + BOUNCE);
          bounce.set(chunk);
          await writeAll(handle, offset + done, bounce.subarray(0, chunk.length));
        }
      } finally {
        if (bounces.length < 4) bounces.push(bounce);
      }
      return true;
    } catch (error) {
      if (errorCode(error) !== 'EINVAL') throw error;
      directOn = false;
      return false;
    }
  };

  return {
    open: (path, size) => withHandle(path, true, async (handle, entry) => {
      if (entry.size === size) return;
      const { size: current } = await handle.stat();
      if (current !== size) await handle.truncate(size);
      entry.size = size;
    }),
    write: (path, offset, data) => withHandle(path, true, async (handle, entry) => {
      const start = (DIRECT_ALIGNMENT - (offset % DIRECT_ALIGNMENT)) % DIRECT_ALIGNMENT;
      const end = start + Math.floor(Math.max(0, data.length - start) / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT;
      if (directOn && end - start >= MIN_DIRECT) {
        const direct = await directHandle(path, entry);
        if (direct !== undefined && await writeDirect(direct, offset + start, data.subarray(start, end))) {
          if (start > 0) await writeAll(handle, offset, data.subarray(0, start));
          if (end < data.length) await writeAll(handle, offset + end, data.subarray(end));
          return;
        }
      }
      await writeAll(handle, offset, data);
    }),
    read: (path, offset, into) => withHandle(path, false, async (handle) => {
      let done = 0;
      while (done < into.length) {
        const { bytesRead } = await handle.read(into, done, into.length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    }),
    close: async (path) => {
      const key = path.join('/');
      const entry = entries.get(key);
      if (entry !== undefined) retire(key, entry);
      await Promise.all(closing);
    },
    closeAll: async () => {
      for (const [key, entry] of [...entries]) retire(key, entry);
      await Promise.all(closing);
    },
  };
}

async function writeAll(handle: FileHandle, offset: number, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, offset + done);
    done += bytesWritten;
  }
}

function isPlainSegment(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..'
    && !segment.includes('/') && !segment.includes('\\') && !segment.includes('\0')
    && !DRIVE_PREFIX.test(segment) && !isAbsolute(segment);
}
