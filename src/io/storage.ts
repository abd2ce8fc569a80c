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
 */
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
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
}

interface Entry {
  readonly handle: Promise<FileHandle>;
  readonly writable: boolean;
  size: number | undefined;
  busy: number;
  retired: boolean;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const WRITE_FLAGS = constants.O_RDWR | constants.O_CREAT | NOFOLLOW;
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW;
const DRIVE_PREFIX = /^[A-Za-z]:/;

export function createFileStorage(options: FileStorageOptions): Storage {
  const root = resolve(options.root);
  const maxOpen = Math.max(1, options.maxOpenFiles ?? 128);
  const entries = new Map<string, Entry>();
  const closing = new Set<Promise<void>>();
  let realRoot: string | undefined;

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
    const done = entry.handle.then((handle) => handle.close(), () => undefined).catch(() => undefined);
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
      entry = { handle: openHandle(path, writable), writable, size: undefined, busy: 0, retired: false };
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

  return {
    open: (path, size) => withHandle(path, true, async (handle, entry) => {
      if (entry.size === size) return;
      const { size: current } = await handle.stat();
      if (current !== size) await handle.truncate(size);
      entry.size = size;
    }),
    write: (path, offset, data) => withHandle(path, true, async (handle) => {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await handle.write(data, done, data.length - done, offset + done);
        done += bytesWritten;
      }
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

function isPlainSegment(segment: string): boolean {
  return segment !== '' && segment !== '.' && segment !== '..'
    && !segment.includes('/') && !segment.includes('\\') && !segment.includes('\0')
    && !DRIVE_PREFIX.test(segment) && !isAbsolute(segment);
}
