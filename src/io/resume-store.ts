/**
 * Fast resume: one small file per torrent (`<dir>/<infohash>.resume`, bencoded) that says which
 * pieces are on disk, so a restart can skip hashing everything again. See docs/resume.md.
 *
 * ```
 * save(meta, contentDir, have) ─ snapshot have ─ fsync content ─ stat files ─ write tmp ─ fsync ─ rename
 * load(meta, contentDir)       ─ read ─ decode ─ info hash, piece count, paths ─ stat files ─ equal? ─▶ have
 * ```
 *
 * The file records the have-bitfield and, for every non-pad file, its size and mtime (ns) as
 * they were right after the writes the bitfield covers. `load` trusts the bitfield only when the
 * file decodes, is for this torrent, and every file still has exactly those stamps; anything
 * else (missing, torn, garbage, another torrent, a file touched since) is `undefined`, and the
 * caller rechecks. Writes go to a temp file in the same folder, are fsynced and renamed over the
 * old file, so a kill -9 leaves either the old file or the new one, never a torn one.
 *
 * Ordering contract (the caller's part): `have` may only hold pieces whose disk write has
 * completed (the disk pool's write Observable emitted). `save` copies `have` before anything
 * else, then stats the files, so every stamp is taken after the writes of the pieces it vouches for.
 */
import { contentPath } from '../metainfo/content-path.js';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type BencodeDict, type BencodeList, type BencodeValue, decodeBencode, encodeBencode } from '../bencode/index.js';
import { pieceSegments } from '../metainfo/file-layout.js';
import type { Metainfo, TorrentFile } from '../metainfo/metainfo.js';
import { toHex } from '../metainfo/index.js';
import { Bitfield, bitfieldByteLength } from '../pieces/bitfield.js';
import { errorCode } from './disk-error.js';

export const RESUME_VERSION = 1;

/** A file's size and modification time; `mtimeMs` whole milliseconds, `mtimeNs` the rest (0..999 999). */
export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly mtimeNs: number;
}

export interface RecordedFile {
  /** Below the content folder, as the disk pool writes it: `[name]` or `[name, ...path]`. */
  readonly path: readonly string[];
  /** `undefined`: the file did not exist when the record was saved. */
  readonly stamp: FileStamp | undefined;
}

export interface ResumeRecord {
  readonly version: number;
  readonly infoHash: Uint8Array;
  readonly pieceCount: number;
  readonly have: Bitfield;
  /** Every non-pad file of the torrent, in metainfo order. */
  readonly files: readonly RecordedFile[];
}

/** Why a restart has to recheck. */
export type ResumeRejection =
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly code: string }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'info-hash'; readonly found: string }
  | { readonly kind: 'piece-count'; readonly found: number; readonly expected: number }
  | { readonly kind: 'file-list'; readonly index: number }
  | {
      readonly kind: 'file-changed';
      readonly path: string;
      readonly recorded: FileStamp | undefined;
      readonly current: FileStamp | undefined;
    };

export type ResumeDecision =
  | { readonly kind: 'skip-recheck'; readonly have: Bitfield }
  | { readonly kind: 'recheck'; readonly reason: ResumeRejection };

export type ResumeErrorDetail =
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'bad-bitfield'; readonly length: number; readonly pieceCount: number }
  | { readonly kind: 'save-failed'; readonly path: string; readonly code: string };

export class ResumeError extends Error {
  override readonly name = 'ResumeError';

  constructor(readonly detail: ResumeErrorDetail) {
    super(describeDetail(detail));
  }
}

function describeDetail(detail: ResumeErrorDetail): string {
  switch (detail.kind) {
    case 'malformed':
      return `resume: malformed file (${detail.reason})`;
    case 'bad-bitfield':
      return `resume: bitfield of ${detail.length} pieces for a torrent of ${detail.pieceCount}`;
    case 'save-failed':
      return `resume: ${detail.code} while saving ${detail.path}`;
  }
}

/** The folder for resume files of content downloaded into `contentDir`. */
export function defaultResumeDir(contentDir: string): string {
  return join(contentDir, '.rxtorrent');
}

export { contentPath };

/**
 * Whether a restart may skip the recheck: `record` must be this torrent's (version, info hash,
 * piece count, file paths) and every file's `current` stamp (metainfo order, non-pad files) must
 * equal the recorded one; a file absent then and now is fine unless a recorded piece needs it.
 */
export function decideResume(meta: Metainfo, record: ResumeRecord, current: readonly (FileStamp | undefined)[]): ResumeDecision {
  const recheck = (reason: ResumeRejection): ResumeDecision => ({ kind: 'recheck', reason });
  if (record.version !== RESUME_VERSION) return recheck({ kind: 'version', version: record.version });
  if (!sameBytes(record.infoHash, meta.infoHash)) return recheck({ kind: 'info-hash', found: toHex(record.infoHash) });
  if (record.pieceCount !== meta.pieceCount || record.have.length !== meta.pieceCount) {
    return recheck({ kind: 'piece-count', found: record.pieceCount, expected: meta.pieceCount });
  }
  const files = dataFiles(meta);
  if (record.files.length !== files.length) return recheck({ kind: 'file-list', index: Math.min(record.files.length, files.length) });
  const needed = new Set<number>();
  for (const index of record.have.setIndexes()) {
    for (const segment of pieceSegments(meta, index)) needed.add(segment.fileIndex);
  }
  for (const [at, { file, index }] of files.entries()) {
    const recorded = record.files[at];
    if (recorded === undefined || !samePath(recorded.path, contentPath(meta, file))) return recheck({ kind: 'file-list', index: at });
    const now = current[at];
    const path = recorded.path.join('/');
    if (!sameStamp(recorded.stamp, now) || (needed.has(index) && recorded.stamp === undefined)) {
      return recheck({ kind: 'file-changed', path, recorded: recorded.stamp, current: now });
    }
  }
  return { kind: 'skip-recheck', have: record.have.clone() };
}

export function encodeResumeRecord(record: ResumeRecord): Uint8Array {
  const utf8 = new TextEncoder();
  const files: BencodeValue[] = record.files.map((file) => {
    const entry = new Map<string, BencodeValue>([['path', file.path.map((segment) => utf8.encode(segment))]]);
    if (file.stamp !== undefined) {
      entry.set('size', file.stamp.size).set('mtime', file.stamp.mtimeMs).set('mtime-ns', file.stamp.mtimeNs);
    }
    return entry;
  });
  return encodeBencode(new Map<string, BencodeValue>([
    ['version', record.version],
    ['info-hash', record.infoHash],
    ['piece-count', record.pieceCount],
    ['have', record.have.toBytes()],
    ['files', files],
  ]));
}

/** Reads a resume file's bytes; anything that is not a well-formed record is a `ResumeError`. */
export function decodeResumeRecord(bytes: Uint8Array): ResumeRecord {
  let value: BencodeValue;
  try {
    value = decodeBencode(bytes, { maxDepth: 4 });
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : 'not bencode');
  }
  const top = dict(value, 'top level');
  const version = int(top.get('version'), 'version');
  const infoHash = bytesOf(top.get('info-hash'), 'info-hash');
  if (infoHash.length !== 20) throw malformed('info-hash is not 20 bytes');
  const pieceCount = int(top.get('piece-count'), 'piece-count');
  const haveBytes = bytesOf(top.get('have'), 'have');
  if (pieceCount < 0 || haveBytes.length !== bitfieldByteLength(pieceCount)) throw malformed('have does not fit piece-count');
  let have: Bitfield;
  try {
    have = Bitfield.fromBytes(haveBytes, pieceCount);
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : 'bad have');
  }
  const list = listOf(top.get('files'), 'files');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const files = list.map((item: BencodeValue, at: number): RecordedFile => {
    const entry = dict(item, `files[${at}]`);
    const segments = listOf(entry.get('path'), `files[${at}].path`);
    if (segments.length === 0) throw malformed(`files[${at}].path is empty`);
    const path = segments.map((segment: BencodeValue) => {
      try {
        return utf8.decode(bytesOf(segment, `files[${at}].path`));
      } catch (error) {
        throw error instanceof ResumeError ? error : malformed(`files[${at}].path is not UTF-8`);
      }
    });
    if (!entry.has('size')) return { path, stamp: undefined };
    const stamp = {
      size: int(entry.get('size'), `files[${at}].size`),
      mtimeMs: int(entry.get('mtime'), `files[${at}].mtime`),
      mtimeNs: int(entry.get('mtime-ns'), `files[${at}].mtime-ns`),
    };
    if (stamp.size < 0 || Math.abs(stamp.mtimeNs) >= 1_000_000) throw malformed(`files[${at}] stamp out of range`);
    return { path, stamp };
  });
  return { version, infoHash: infoHash.slice(), pieceCount, have, files };
}

export interface ResumeStoreOptions {
  /** Folder of the resume files (created on the first save), e.g. `defaultResumeDir(contentDir)`. */
  readonly dir: string;
  /** fsync the content files before recording them, so the record also survives a power cut; default true. */
  readonly syncContent?: boolean;
}

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
   * Records `have` (copied at the call) with the files' current stamps, atomically. Saves of one
   * torrent run one after another. Rejects with `ResumeError` (`save-failed`, `bad-bitfield`).
   */
  save(meta: Metainfo, contentDir: string, have: Bitfield): Promise<void>;
  /** Path of a torrent's resume file. */
  pathOf(meta: Metainfo): string;
}

export function createResumeStore(options: ResumeStoreOptions): ResumeStore {
  const syncContent = options.syncContent ?? true;
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
        return nothing ? { kind: 'skip-recheck', have: new Bitfield(meta.pieceCount) } : { kind: 'recheck', reason: record };
      }
      return decideResume(meta, record, current);
    } catch (error) {
      return { kind: 'recheck', reason: { kind: 'unreadable', code: errorCode(error) ?? 'UNKNOWN' } };
    }
  };

  const saveNow = async (meta: Metainfo, contentDir: string, have: Bitfield): Promise<void> => {
    const target = pathOf(meta);
    const temp = `${target}.${process.pid}-${toHex(randomBytes(6))}.tmp`;
    try {
      const files = dataFiles(meta).map(({ file }) => ({ path: contentPath(meta, file), full: join(contentDir, ...contentPath(meta, file)) }));
      if (syncContent) await Promise.all(files.map((file) => syncFile(file.full)));
      // Stamps after the sync and after the snapshot: they describe the files with every recorded piece in them.
      const stamps = await Promise.all(files.map((file) => stampOf(file.full)));
      const bytes = encodeResumeRecord({
        version: RESUME_VERSION, infoHash: meta.infoHash, pieceCount: meta.pieceCount, have,
        files: files.map((file, at) => ({ path: file.path, stamp: stamps[at] })),
      });
      await mkdir(options.dir, { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      await syncFolder(options.dir);
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
        return record.version === RESUME_VERSION && sameBytes(record.infoHash, meta.infoHash) && record.pieceCount === meta.pieceCount
          ? record : undefined;
      } catch {
        return undefined;
      }
    },
    save: (meta, contentDir, have) => {
      if (have.length !== meta.pieceCount) {
        return Promise.reject(new ResumeError({ kind: 'bad-bitfield', length: have.length, pieceCount: meta.pieceCount }));
      }
      const snapshot = have.clone(); // before any await: only pieces already written are in it
      const key = meta.infoHashHex;
      const previous = chains.get(key) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(() => saveNow(meta, contentDir, snapshot));
      const settled = next.catch(() => undefined);
      chains.set(key, settled);
      void settled.then(() => {
        if (chains.get(key) === settled) chains.delete(key);
      });
      return next;
    },
  };
}

function dataFiles(meta: Metainfo): { readonly file: TorrentFile; readonly index: number }[] {
  return meta.files.flatMap((file, index) => (file.pad ? [] : [{ file, index }]));
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

function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.mtimeNs === b.mtimeNs;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, at) => byte === b[at]);
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((segment, at) => segment === b[at]);
}

function malformed(reason: string): ResumeError {
  return new ResumeError({ kind: 'malformed', reason });
}

function dict(value: BencodeValue | undefined, what: string): BencodeDict {
  if (value instanceof Map) return value;
  throw malformed(`${what} is not a dictionary`);
}

function int(value: BencodeValue | undefined, what: string): number {
  if (typeof value === 'number') return value;
  throw malformed(`${what} is not an integer`);
}

function listOf(value: BencodeValue | undefined, what: string): BencodeList {
  if (value !== undefined && isList(value)) return value;
  throw malformed(`${what} is not a list`);
}

function isList(value: BencodeValue): value is BencodeList {
  return Array.isArray(value);
}

function bytesOf(value: BencodeValue | undefined, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw malformed(`${what} is not a byte string`);
}
