import type { BencodeErrorDetail } from '../bencode/index.js';
import type { UnsafePathReason } from './safe-path.js';

export type BencodeType = 'integer' | 'string' | 'list' | 'dictionary';

/** Why a `.torrent` was rejected. `key` is a dotted location such as `info.files[3].length`. */
export type MetainfoErrorDetail =
  | { readonly kind: 'bencode'; readonly bencode: BencodeErrorDetail }
  | { readonly kind: 'not-a-dict' }
  | { readonly kind: 'missing-key'; readonly key: string }
  | { readonly kind: 'wrong-type'; readonly key: string; readonly expected: BencodeType }
  | { readonly kind: 'negative-length'; readonly key: string; readonly length: number }
  | { readonly kind: 'ambiguous-layout' }
  | { readonly kind: 'bad-piece-length'; readonly pieceLength: number; readonly max: number }
  | { readonly kind: 'pieces-not-multiple-of-20'; readonly length: number }
  | { readonly kind: 'piece-count-mismatch'; readonly expected: number; readonly actual: number }
  | { readonly kind: 'unsafe-path'; readonly path: string; readonly reason: UnsafePathReason }
  | { readonly kind: 'duplicate-path'; readonly path: string }
  | { readonly kind: 'no-files' }
  | { readonly kind: 'empty-torrent' }
  | { readonly kind: 'too-many-files'; readonly count: number; readonly max: number }
  | { readonly kind: 'total-length-overflow'; readonly key: string }
  | { readonly kind: 'torrent-too-large'; readonly size: number; readonly max: number }
  // From the file-reading edge (`readTorrentFile`).
  | { readonly kind: 'file-not-found'; readonly path: string }
  | { readonly kind: 'read-failed'; readonly path: string; readonly reason: string };

function describe(detail: MetainfoErrorDetail): string {
  switch (detail.kind) {
    case 'bencode':
      return `torrent: not valid bencode (${detail.bencode.kind})`;
    case 'not-a-dict':
      return 'torrent: the top-level value is not a dictionary';
    case 'missing-key':
      return `torrent: missing key "${detail.key}"`;
    case 'wrong-type':
      return `torrent: "${detail.key}" should be a ${detail.expected}`;
    case 'negative-length':
      return `torrent: "${detail.key}" is negative (${detail.length})`;
    case 'ambiguous-layout':
      return 'torrent: info has both "length" and "files"';
    case 'bad-piece-length':
      return `torrent: piece length ${detail.pieceLength} is not between 1 and ${detail.max}`;
    case 'pieces-not-multiple-of-20':
      return `torrent: "pieces" is ${detail.length} bytes, not a multiple of 20`;
    case 'piece-count-mismatch':
      return `torrent: expected ${detail.expected} piece hashes, found ${detail.actual}`;
    case 'unsafe-path':
      return `torrent: unsafe file path ${JSON.stringify(detail.path)} (${detail.reason})`;
    case 'duplicate-path':
      return `torrent: two files share the path ${JSON.stringify(detail.path)}`;
    case 'no-files':
      return 'torrent: "files" is empty';
    case 'empty-torrent':
      return 'torrent: total length is 0, nothing to share';
    case 'too-many-files':
      return `torrent: ${detail.count} files, more than the limit of ${detail.max}`;
    case 'total-length-overflow':
      return `torrent: total length overflows at "${detail.key}"`;
    case 'torrent-too-large':
      return `torrent: file is ${detail.size} bytes, more than the limit of ${detail.max}`;
    case 'file-not-found':
      return `torrent: no such file ${JSON.stringify(detail.path)}`;
    case 'read-failed':
      return `torrent: cannot read ${JSON.stringify(detail.path)}: ${detail.reason}`;
  }
}

export class MetainfoError extends Error {
  override readonly name = 'MetainfoError';

  constructor(readonly detail: MetainfoErrorDetail) {
    super(describe(detail));
  }
}
