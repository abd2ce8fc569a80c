import { BencodeError, decodeBencodeWithSpans } from '../bencode/index.js';
import type { BencodeDict, BencodeValue } from '../bencode/index.js';
import type { Metainfo, TorrentFile } from './metainfo.js';
import { MetainfoError } from './metainfo-error.js';
import type { BencodeType } from './metainfo-error.js';
import { safePath } from './safe-path.js';

/**
 * Parses and validates a `.torrent` (BEP 3 with BEP 12 tiers, BEP 19 url-list, BEP 27 private,
 * BEP 47 pad files). The info hash is `sha1` over the exact raw bytes of the `info` value as they
 * appear in `bytes`, never over a re-encoding, so torrents with unsorted keys keep their identity.
 *
 * Strings are decoded as UTF-8 (invalid sequences become U+FFFD); `name.utf-8` and `path.utf-8`
 * win over `name` and `path` when present. Required fields of the wrong type are errors; optional
 * informational ones (`comment`, `created by`, `creation date`, `announce`, `announce-list`,
 * `url-list`) of the wrong type are ignored. See docs/metainfo.md for every rule and limit.
 */
export function parseMetainfo(
  bytes: Uint8Array,
  sha1: (data: Uint8Array) => Uint8Array,
  options?: MetainfoLimits,
): Metainfo {
  const limits = { ...DEFAULT_METAINFO_LIMITS, ...options };
  if (bytes.length > limits.maxTorrentBytes) {
    throw new MetainfoError({ kind: 'torrent-too-large', size: bytes.length, max: limits.maxTorrentBytes });
  }
  const { value: root, spans } = decodeOrThrow(bytes);
  if (!(root instanceof Map)) throw new MetainfoError({ kind: 'not-a-dict' });
  const info = required(root, 'info', 'dictionary', '');
  const infoSpan = spans.get('info');
  if (!(info instanceof Map) || infoSpan === undefined) {
    throw new MetainfoError({ kind: 'wrong-type', key: 'info', expected: 'dictionary' });
  }
  const infoBytes = bytes.subarray(infoSpan.start, infoSpan.end);
  const infoHash = sha1(infoBytes);

  const name = nameOf(info);
  const pieceLength = integer(info, 'piece length', 'info.');
  if (pieceLength <= 0 || pieceLength > limits.maxPieceLength) {
    throw new MetainfoError({ kind: 'bad-piece-length', pieceLength, max: limits.maxPieceLength });
  }
  const pieces = byteString(info, 'pieces', 'info.');
  if (pieces.length % 20 !== 0) {
    throw new MetainfoError({ kind: 'pieces-not-multiple-of-20', length: pieces.length });
  }
  const layout = readLayout(info, name, limits.maxFiles);
  if (layout.totalLength === 0) throw new MetainfoError({ kind: 'empty-torrent' });
  const pieceCount = Math.ceil(layout.totalLength / pieceLength);
  if (pieces.length / 20 !== pieceCount) {
    throw new MetainfoError({ kind: 'piece-count-mismatch', expected: pieceCount, actual: pieces.length / 20 });
  }
  const pieceHashes: Uint8Array[] = [];
  for (let at = 0; at < pieces.length; at += 20) pieceHashes.push(pieces.subarray(at, at + 20));

  const comment = optionalText(root, 'comment');
  const createdBy = optionalText(root, 'created by');
  const creationDate = root.get('creation date');
  return {
    infoHash,
    infoHashHex: toHex(infoHash),
    name,
    pieceLength,
    pieceHashes,
    pieceCount,
    files: layout.files,
    totalLength: layout.totalLength,
    singleFile: layout.singleFile,
    announce: announceTiers(root),
    private: info.get('private') === 1,
    urlList: urlList(root.get('url-list')),
    ...(comment === undefined ? {} : { comment }),
    ...(createdBy === undefined ? {} : { createdBy }),
    ...(typeof creationDate === 'number' ? { creationDate } : {}),
    infoBytes,
  };
}

export interface MetainfoLimits {
  /** Most files (pad files included) a torrent may list; default 100,000. */
  readonly maxFiles?: number;
  /** Largest accepted piece length; default 256 MiB. */
  readonly maxPieceLength?: number;
  /** Largest accepted `.torrent`; default 64 MiB. */
  readonly maxTorrentBytes?: number;
}

export const DEFAULT_METAINFO_LIMITS = {
  maxFiles: 100_000,
  maxPieceLength: 256 * 1024 * 1024,
  maxTorrentBytes: 64 * 1024 * 1024,
} as const;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function decodeOrThrow(bytes: Uint8Array): ReturnType<typeof decodeBencodeWithSpans> {
  try {
    return decodeBencodeWithSpans(bytes);
  } catch (error) {
    if (error instanceof BencodeError) throw new MetainfoError({ kind: 'bencode', bencode: error.detail });
    throw error;
  }
}

function required(dict: BencodeDict, key: string, expected: BencodeType, where: string): BencodeValue {
  const value = dict.get(key);
  if (value === undefined) throw new MetainfoError({ kind: 'missing-key', key: where + key });
  if (typeOf(value) !== expected) throw new MetainfoError({ kind: 'wrong-type', key: where + key, expected });
  return value;
}

function typeOf(value: BencodeValue): BencodeType {
  if (typeof value === 'number') return 'integer';
  if (value instanceof Uint8Array) return 'string';
  if (value instanceof Map) return 'dictionary';
  return 'list';
}

function integer(dict: BencodeDict, key: string, where: string): number {
  const value = required(dict, key, 'integer', where);
  return typeof value === 'number' ? value : 0;
}

function byteString(dict: BencodeDict, key: string, where: string): Uint8Array {
  const value = required(dict, key, 'string', where);
  return value instanceof Uint8Array ? value : new Uint8Array(0);
}

function list(dict: BencodeDict, key: string, where: string): readonly BencodeValue[] {
  const value = required(dict, key, 'list', where);
  return Array.isArray(value) ? value : [];
}

/** `key.utf-8` when it is a string, else `key` (required). */
function preferUtf8(dict: BencodeDict, key: string, where: string): Uint8Array {
  const alternative = dict.get(`${key}.utf-8`);
  return alternative instanceof Uint8Array ? alternative : byteString(dict, key, where);
}

function nameOf(info: BencodeDict): string {
  const name = utf8.decode(preferUtf8(info, 'name', 'info.'));
  const checked = safePath([name]);
  if (!checked.ok) throw new MetainfoError({ kind: 'unsafe-path', path: name, reason: checked.reason });
  return checked.segments[0] ?? name;
}

interface Layout {
  readonly files: readonly TorrentFile[];
  readonly totalLength: number;
  readonly singleFile: boolean;
}

function readLayout(info: BencodeDict, name: string, maxFiles: number): Layout {
  const hasLength = info.has('length');
  const hasFiles = info.has('files');
  if (hasLength && hasFiles) throw new MetainfoError({ kind: 'ambiguous-layout' });
  if (!hasFiles) {
    if (!hasLength) throw new MetainfoError({ kind: 'missing-key', key: 'info.length' });
    const length = integer(info, 'length', 'info.');
    if (length < 0) throw new MetainfoError({ kind: 'negative-length', key: 'info.length', length });
    return { files: [{ path: [name], length, offset: 0, pad: false }], totalLength: length, singleFile: true };
  }
  const entries = list(info, 'files', 'info.');
  if (entries.length === 0) throw new MetainfoError({ kind: 'no-files' });
  if (entries.length > maxFiles) {
    throw new MetainfoError({ kind: 'too-many-files', count: entries.length, max: maxFiles });
  }
  const files: TorrentFile[] = [];
  const claimed = new PathClaims();
  let offset = 0;
  entries.forEach((entry, index) => {
    const where = `info.files[${index}].`;
    if (!(entry instanceof Map)) {
      throw new MetainfoError({ kind: 'wrong-type', key: `info.files[${index}]`, expected: 'dictionary' });
    }
    const length = integer(entry, 'length', where);
    if (length < 0) throw new MetainfoError({ kind: 'negative-length', key: `${where}length`, length });
    const path = filePath(entry, where);
    const attr = entry.get('attr');
    const pad = attr instanceof Uint8Array && attr.includes(0x70);
    if (!pad) claimed.claim(path);
    files.push({ path, length, offset, pad });
    offset += length;
    if (!Number.isSafeInteger(offset)) {
      throw new MetainfoError({ kind: 'total-length-overflow', key: `${where}length` });
    }
  });
  return { files, totalLength: offset, singleFile: false };
}

function filePath(entry: BencodeDict, where: string): readonly string[] {
  const alternative = entry.get('path.utf-8');
  const useAlternative = Array.isArray(alternative) && alternative.every((s) => s instanceof Uint8Array);
  const raw = useAlternative ? alternative : list(entry, 'path', where);
  const segments = raw.map((segment, index) => {
    if (!(segment instanceof Uint8Array)) {
      throw new MetainfoError({ kind: 'wrong-type', key: `${where}path[${index}]`, expected: 'string' });
    }
    return utf8.decode(segment);
  });
  const checked = safePath(segments);
  if (!checked.ok) {
    throw new MetainfoError({ kind: 'unsafe-path', path: segments.join('/'), reason: checked.reason });
  }
  return checked.segments;
}

/** Refuses two files at one path, and a file where another file needs a folder. */
class PathClaims {
  private readonly files = new Set<string>();
  private readonly folders = new Set<string>();

  claim(path: readonly string[]): void {
    const joined = path.join('/');
    if (this.files.has(joined) || this.folders.has(joined)) {
      throw new MetainfoError({ kind: 'duplicate-path', path: joined });
    }
    this.files.add(joined);
    for (let depth = 1; depth < path.length; depth += 1) {
      const folder = path.slice(0, depth).join('/');
      if (this.files.has(folder)) throw new MetainfoError({ kind: 'duplicate-path', path: folder });
      this.folders.add(folder);
    }
  }
}

function optionalText(dict: BencodeDict, key: string): string | undefined {
  const alternative = dict.get(`${key}.utf-8`);
  const value = alternative instanceof Uint8Array ? alternative : dict.get(key);
  return value instanceof Uint8Array ? utf8.decode(value) : undefined;
}

function announceTiers(root: BencodeDict): readonly (readonly string[])[] {
  const tiers: string[][] = [];
  const announceList = root.get('announce-list');
  if (Array.isArray(announceList)) {
    for (const tier of announceList) {
      if (!Array.isArray(tier)) continue;
      const urls = tier.filter((url) => url instanceof Uint8Array).map((url) => utf8.decode(url));
      const nonEmpty = urls.filter((url) => url.length > 0);
      if (nonEmpty.length > 0) tiers.push(nonEmpty);
    }
  }
  if (tiers.length > 0) return tiers;
  const announce = root.get('announce');
  return announce instanceof Uint8Array && announce.length > 0 ? [[utf8.decode(announce)]] : [];
}

function urlList(value: BencodeValue | undefined): readonly string[] {
  if (value instanceof Uint8Array) return value.length > 0 ? [utf8.decode(value)] : [];
  if (!Array.isArray(value)) return [];
  return value
    .filter((url) => url instanceof Uint8Array && url.length > 0)
    .map((url) => (url instanceof Uint8Array ? utf8.decode(url) : ''));
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
