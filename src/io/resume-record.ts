/**
 * The fast-resume record (docs/resume.md), pure: its bencoded form (`encodeResumeRecord`,
 * `decodeResumeRecord`, which turns anything that is not a well-formed record into a
 * `ResumeError`) and the decision it supports (`decideResume`: this torrent's record, every file
 * stamped as recorded, or a recheck and why). Reading, stamping and writing files is
 * `resume-store.ts`'s part.
 */
import { type BencodeDict, type BencodeList, type BencodeValue, decodeBencode, encodeBencode } from '../bencode/index.js';
import { contentPath } from '../metainfo/content-path.js';
import { pieceSegments } from '../metainfo/file-layout.js';
import type { Metainfo, TorrentFile } from '../metainfo/metainfo.js';
import { toHex } from '../metainfo/index.js';
import { Bitfield, bitfieldByteLength } from '../pieces/bitfield.js';

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
  /**
   * Set on a light record, written without any fsync: the boot (Linux's boot id) it is good for.
   * A killed process loses nothing the page cache holds, a power cut does, and the next boot has
   * another id, so the record is trusted only within the boot that wrote it.
   */
  readonly boot?: string;
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
  | { readonly kind: 'other-boot'; readonly recorded: string; readonly current: string | undefined }
  | {
      readonly kind: 'file-changed';
      readonly path: string;
      readonly recorded: FileStamp | undefined;
      readonly current: FileStamp | undefined;
    };

export type ResumeDecision =
  /** `durable`: the record was written with every fsync (not a light one holding for this boot only). */
  | { readonly kind: 'skip-recheck'; readonly have: Bitfield; readonly durable: boolean }
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

/**
 * Why `record` is not this torrent's (its version, info hash or piece count), or undefined when
 * it is; the files' stamps are `decideResume`'s business.
 */
export function foreignRecord(meta: Metainfo, record: ResumeRecord): ResumeRejection | undefined {
  if (record.version !== RESUME_VERSION) return { kind: 'version', version: record.version };
  if (!sameBytes(record.infoHash, meta.infoHash)) return { kind: 'info-hash', found: toHex(record.infoHash) };
  if (record.pieceCount !== meta.pieceCount || record.have.length !== meta.pieceCount) {
    return { kind: 'piece-count', found: record.pieceCount, expected: meta.pieceCount };
  }
  return undefined;
}

/**
 * Whether a restart may skip the recheck: `record` must be this torrent's (version, info hash,
 * piece count, file paths), a light record must come from this boot (`bootId`), and every file's
 * `current` stamp (metainfo order, non-pad files) must equal the recorded one; a file absent then
 * and now is fine unless a recorded piece needs it.
 */
export function decideResume(
  meta: Metainfo, record: ResumeRecord, current: readonly (FileStamp | undefined)[], bootId?: string,
): ResumeDecision {
  const recheck = (reason: ResumeRejection): ResumeDecision => ({ kind: 'recheck', reason });
  const foreign = foreignRecord(meta, record);
  if (foreign !== undefined) return recheck(foreign);
  if (record.boot !== undefined && record.boot !== bootId) return recheck({ kind: 'other-boot', recorded: record.boot, current: bootId });
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
  return { kind: 'skip-recheck', have: record.have.clone(), durable: record.boot === undefined };
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
  const top = new Map<string, BencodeValue>([
    ['version', record.version],
    ['info-hash', record.infoHash],
    ['piece-count', record.pieceCount],
    ['have', record.have.toBytes()],
    ['files', files],
  ]);
  if (record.boot !== undefined) top.set('boot', utf8.encode(record.boot));
  return encodeBencode(top);
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
  const record = { version, infoHash: infoHash.slice(), pieceCount, have, files };
  if (!top.has('boot')) return record;
  try {
    return { ...record, boot: utf8.decode(bytesOf(top.get('boot'), 'boot')) };
  } catch (error) {
    throw error instanceof ResumeError ? error : malformed('boot is not UTF-8');
  }
}

/** The torrent's files that hold data (not pad files), with their metainfo index. */
export function dataFiles(meta: Metainfo): { readonly file: TorrentFile; readonly index: number }[] {
  return meta.files.flatMap((file, index) => (file.pad ? [] : [{ file, index }]));
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
