/**
 * Fast resume: one small file per torrent (`<dir>/<infohash>.resume`, bencoded) that says which
 * pieces are on disk, so a restart can skip hashing everything again. See docs/resume.md.
 *
 * ```
 * save(meta, contentDir, have) ─ snapshot have ─ [durable and already recorded? done] ─ fsync content ─ stat files ─ write tmp ─ fsync ─ rename
 * load(meta, contentDir)       ─ read ─ decode ─ info hash, piece count, boot, paths ─ stat files ─ equal? ─▶ have
 * ```
 *
 * A light save (`save(…, 'light')`, where the boot id is known) skips every fsync and records the
 * boot instead: it survives a killed process but not a power cut, after which the boot id differs
 * and `load` says "recheck". Each fsync holds the disk's writes for a journal commit (0.04–0.19 s
 * per save during a 1 GiB download on the bench VM, docs/performance.md round 12), so the saves
 * of a running download are light and those after it (stop, quiet writes) durable.
 *
 * The file records the have-bitfield and, for every non-pad file, its size and mtime (ns) as
 * they were right after the writes the bitfield covers. `load` trusts the bitfield only when the
 * file decodes, is for this torrent, and every file still has exactly those stamps; anything
 * else (missing, torn, garbage, another torrent, a file touched since) is `undefined`, and the
 * caller rechecks. Writes go to a temp file in the same folder, are fsynced and renamed over the
 * old file, so a kill -9 leaves either the old file or the new one, never a torn one.
 *
 * The record itself (its bytes, and whether it lets a restart skip the recheck) is
 * `resume-record.ts`; this module reads, stamps and writes the files.
 *
 * Ordering contract (the caller's part): `have` may only hold pieces whose disk write has
 * completed (the disk pool's write Observable emitted). `save` copies `have` before anything
 * else, then stats the files, so every stamp is taken after the writes of the pieces it vouches for.
 */
import { contentPath } from '../metainfo/content-path.js';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metainfo } from '../metainfo/metainfo.js';
import { toHex } from '../metainfo/index.js';
import { Bitfield, bitfieldByteLength } from '../pieces/bitfield.js';
import { errorCode } from './disk-error.js';
import {
  type FileStamp, RESUME_VERSION, type ResumeDecision, ResumeError, type ResumeRecord, type ResumeRejection, dataFiles,
  decideResume, decodeResumeRecord, encodeResumeRecord, foreignRecord,
} from './resume-record.js';

/** The folder for resume files of content downloaded into `contentDir`. */
export function defaultResumeDir(contentDir: string): string {
  return join(contentDir, '.rxtorrent');
}

export { contentPath };

export interface ResumeStoreOptions {
  /** Folder of the resume files (created on the first save), e.g. `defaultResumeDir(contentDir)`. */
  readonly dir: string;
  /** fsync the content files before recording them, so the record also survives a power cut; default true. */
  readonly syncContent?: boolean;
  /**
   * The running system's boot id, which light records carry; default `readBootId` (Linux's, else
   * `undefined`). Without one every save is durable and a light record is never trusted.
   */
  readonly bootId?: () => Promise<string | undefined>;
}

/**
 * `durable`: the content files, the record and its folder fsynced; the record survives a power
 * cut. `light`: no fsync, the record carries the boot id and holds only within this boot.
 */
export type SaveMode = 'durable' | 'light';

export interface ResumeStore {
  /**
   * The bitfield to start from without a recheck, or `undefined` (recheck everything). With no
   * record and no content file holding any byte (a fresh download), an empty bitfield: nothing
   * to check. Never rejects.
   */
  load(meta: Metainfo, contentDir: string): Promise<Bitfield | undefined>;
  /** `load` with the reason; never rejects. */
  inspect(meta: Metainfo, contentDir: string): Promise<ResumeDecision>;
  /** The stored record if it decodes and is this torrent's, whatever the files look like now. */
  read(meta: Metainfo): Promise<ResumeRecord | undefined>;
  /**
   * Records `have` (copied at the call) with the files' current stamps, atomically; `light`
   * (default `durable`) is durable when no boot id is known. A durable save writes and fsyncs
   * nothing when the durable record on disk already says the same (same pieces, files unchanged
   * since). Saves of one torrent run one after another. Rejects with `ResumeError`
   * (`save-failed`, `bad-bitfield`).
   */
  save(meta: Metainfo, contentDir: string, have: Bitfield, mode?: SaveMode): Promise<void>;
  /** Path of a torrent's resume file. */
  pathOf(meta: Metainfo): string;
}

export function createResumeStore(options: ResumeStoreOptions): ResumeStore {
  const syncContent = options.syncContent ?? true;
  let boot: Promise<string | undefined> | undefined;
  const bootId = (): Promise<string | undefined> => (boot ??= (options.bootId ?? readBootId)().catch(() => undefined));
  const chains = new Map<string, Promise<void>>();
  const pathOf = (meta: Metainfo): string => join(options.dir, `${meta.infoHashHex}.resume`);

  const readRaw = async (meta: Metainfo): Promise<ResumeRecord | ResumeRejection> => {
    const max = maxRecordBytes(meta);
    let handle;
    try {
      handle = await open(pathOf(meta), 'r');
    } catch (error) {
      const code = errorCode(error) ?? 'UNKNOWN';
      return code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', code };
    }
    try {
      const buffer = new Uint8Array(max + 1);
      let filled = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
        if (filled === buffer.length) return { kind: 'malformed', reason: `larger than ${max} bytes` };
      }
      return decodeResumeRecord(buffer.subarray(0, filled));
    } catch (error) {
      if (error instanceof ResumeError && error.detail.kind === 'malformed') return { kind: 'malformed', reason: error.detail.reason };
      return { kind: 'unreadable', code: errorCode(error) ?? 'UNKNOWN' };
    } finally {
      await handle.close().catch(() => undefined);
    }
  };

  const inspect = async (meta: Metainfo, contentDir: string): Promise<ResumeDecision> => {
    try {
      const record = await readRaw(meta);
      const current = await Promise.all(dataFiles(meta).map(({ file }) => stampOf(join(contentDir, ...contentPath(meta, file)))));
      if (!('have' in record)) {
        // No content on disk at all (a fresh download): there is nothing a check could find.
        const nothing = current.length > 0 && current.every((stamp) => stamp === undefined || stamp.size === 0);
        return nothing ? { kind: 'skip-recheck', have: new Bitfield(meta.pieceCount), durable: false } : { kind: 'recheck', reason: record };
      }
      return decideResume(meta, record, current, record.boot === undefined ? undefined : await bootId());
    } catch (error) {
      return { kind: 'recheck', reason: { kind: 'unreadable', code: errorCode(error) ?? 'UNKNOWN' } };
    }
  };

  /**
   * Whether the record on disk is durable and says exactly this: the same pieces, and files whose
   * stamps have not moved since it was written (so the fsyncs it was written after still cover
   * them). Then a durable save would only fsync again, and each fsync writes metadata through
   * and flushes the disk's cache: 0.2-0.4 s of stalled writes for every process on the bench VM
   * (docs/performance.md, round 15).
   */
  const alreadyDurable = async (meta: Metainfo, contentDir: string, have: Bitfield): Promise<boolean> => {
    const decision = await inspect(meta, contentDir);
    return decision.kind === 'skip-recheck' && decision.durable && decision.have.equals(have);
  };

  const saveNow = async (meta: Metainfo, contentDir: string, have: Bitfield, mode: SaveMode): Promise<void> => {
    const target = pathOf(meta);
    const temp = `${target}.${process.pid}-${toHex(randomBytes(6))}.tmp`;
    try {
      const light = mode === 'light' ? await bootId() : undefined;
      if (light === undefined && await alreadyDurable(meta, contentDir, have)) return;
      const files = dataFiles(meta).map(({ file }) => ({ path: contentPath(meta, file), full: join(contentDir, ...contentPath(meta, file)) }));
      if (syncContent && light === undefined) await Promise.all(files.map((file) => syncFile(file.full)));
      // Stamps after the sync and after the snapshot: they describe the files with every recorded piece in them.
      const stamps = await Promise.all(files.map((file) => stampOf(file.full)));
      const bytes = encodeResumeRecord({
        version: RESUME_VERSION, infoHash: meta.infoHash, pieceCount: meta.pieceCount, have,
        files: files.map((file, at) => ({ path: file.path, stamp: stamps[at] })),
        ...(light === undefined ? {} : { boot: light }),
      });
      await mkdir(options.dir, { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(bytes);
        if (light === undefined) await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      if (light === undefined) await syncFolder(options.dir);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw new ResumeError({ kind: 'save-failed', path: target, code: errorCode(error) ?? 'UNKNOWN' });
    }
    await removeStaleTemps(options.dir, `${meta.infoHashHex}.resume.`, temp);
  };

  return {
    pathOf,
    inspect,
    load: async (meta, contentDir) => {
      const decision = await inspect(meta, contentDir);
      return decision.kind === 'skip-recheck' ? decision.have : undefined;
    },
    read: async (meta) => {
      try {
        const record = await readRaw(meta);
        if (!('have' in record)) return undefined;
        return foreignRecord(meta, record) === undefined ? record : undefined;
      } catch {
        return undefined;
      }
    },
    save: (meta, contentDir, have, mode = 'durable') => {
      if (have.length !== meta.pieceCount) {
        return Promise.reject(new ResumeError({ kind: 'bad-bitfield', length: have.length, pieceCount: meta.pieceCount }));
      }
      const snapshot = have.clone(); // before any await: only pieces already written are in it
      const key = meta.infoHashHex;
      const previous = chains.get(key) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(() => saveNow(meta, contentDir, snapshot, mode));
      const settled = next.catch(() => undefined);
      chains.set(key, settled);
      void settled.then(() => {
        if (chains.get(key) === settled) chains.delete(key);
      });
      return next;
    },
  };
}


/**
 * Linux's id of the running boot (a new random UUID at every boot), or `undefined` where there is
 * none: then every save is durable.
 */
export async function readBootId(): Promise<string | undefined> {
  try {
    const id = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    return id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A generous bound on a record of this torrent, so a hostile file is never read whole. */
function maxRecordBytes(meta: Metainfo): number {
  const paths = meta.files.reduce((sum, file) => sum + 96 + file.path.reduce((n, s) => n + 8 + 4 * s.length, 4 * meta.name.length), 0);
  return 4096 + bitfieldByteLength(meta.pieceCount) + paths;
}

async function stampOf(path: string): Promise<FileStamp | undefined> {
  try {
    const stats = await lstat(path, { bigint: true });
    if (!stats.isFile()) return undefined;
    return { size: Number(stats.size), mtimeMs: Number(stats.mtimeNs / 1_000_000n), mtimeNs: Number(stats.mtimeNs % 1_000_000n) };
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** fsync of a content file; where the platform refuses it on a read-only handle, the page cache has to do. */
async function syncFile(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!['EPERM', 'EINVAL', 'EBADF', 'EACCES'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/** Makes the rename itself durable; folders cannot be opened for fsync on every platform. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort: Windows cannot open a folder this way
  }
}

async function removeStaleTemps(dir: string, prefix: string, keep: string): Promise<void> {
  try {
    const names = await readdir(dir);
    await Promise.all(names
      .filter((name) => name.startsWith(prefix) && name.endsWith('.tmp') && join(dir, name) !== keep)
      .map((name) => unlink(join(dir, name)).catch(() => undefined)));
  } catch {
    // leftovers are harmless: `load` reads only `<infohash>.resume`
  }
}
