import { LayoutError } from './layout-error.js';
import type { Metainfo } from './metainfo.js';

/**
 * Piece ↔ file arithmetic over the torrent's concatenated data. Pure and cheap: a piece's files
 * are found by binary search over file offsets, so a torrent with 100,000 files costs O(log n)
 * per piece, not a scan.
 *
 * ```
 * data:    |---- file 0 ----|pad|-------- file 2 --------|
 * pieces:  |  piece 0  |  piece 1  |  piece 2  | piece 3 |
 * piece 1 → [file 0 tail] (pad skipped) [file 2 head]
 * ```
 */
export type LayoutInput = Pick<Metainfo, 'files' | 'pieceLength' | 'totalLength' | 'pieceCount'>;

export interface PieceSegment {
  readonly fileIndex: number;
  /** Where the segment starts inside the file. */
  readonly fileOffset: number;
  /** Where the segment starts inside the piece. */
  readonly pieceOffset: number;
  readonly length: number;
}

export const BLOCK_SIZE = 16_384;

/** Length of piece `index`: `pieceLength`, except the last piece, which may be shorter. */
export function pieceLength(meta: LayoutInput, index: number): number {
  checkPieceIndex(meta, index);
  const start = index * meta.pieceLength;
  return Math.min(meta.pieceLength, meta.totalLength - start);
}

/**
 * The file ranges that make up piece `index`, in order. Pad files (never written) and
 * zero-length files are skipped, so the segments cover exactly the bytes that live on disk.
 */
export function pieceSegments(meta: LayoutInput, index: number): PieceSegment[] {
  const length = pieceLength(meta, index);
  const pieceStart = index * meta.pieceLength;
  const pieceEnd = pieceStart + length;
  const segments: PieceSegment[] = [];
  const files = meta.files;
  for (let fileIndex = fileAt(meta, pieceStart); fileIndex < files.length; fileIndex += 1) {
    const file = files[fileIndex];
    if (file === undefined || file.offset >= pieceEnd) break;
    const fileEnd = file.offset + file.length;
    if (file.pad || file.length === 0 || fileEnd <= pieceStart) continue;
    const start = Math.max(pieceStart, file.offset);
    const end = Math.min(pieceEnd, fileEnd);
    segments.push({ fileIndex, fileOffset: start - file.offset, pieceOffset: start - pieceStart, length: end - start });
  }
  return segments;
}

/** Index of the last file whose offset is ≤ `position` (0 when none is). */
function fileAt(meta: LayoutInput, position: number): number {
  let low = 0;
  let high = meta.files.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    const file = meta.files[middle];
    if (file !== undefined && file.offset <= position) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** Blocks in a piece of `pieceLen` bytes (the last block may be shorter). */
export function blockCount(pieceLen: number, blockSize: number = BLOCK_SIZE): number {
  return Math.ceil(pieceLen / blockSize);
}

/** `begin` and `length` of block `blockIndex` inside a piece of `pieceLen` bytes. */
export function blockRange(
  pieceLen: number,
  blockIndex: number,
  blockSize: number = BLOCK_SIZE,
): { readonly begin: number; readonly length: number } {
  const begin = blockIndex * blockSize;
  if (!Number.isInteger(blockIndex) || blockIndex < 0 || begin >= pieceLen) {
    throw new LayoutError({ kind: 'block-out-of-range', blockIndex, pieceLength: pieceLen });
  }
  return { begin, length: Math.min(blockSize, pieceLen - begin) };
}

/**
 * First and last piece (inclusive) that hold bytes of file `fileIndex`. A zero-length file
 * holds none: it gets the empty range `{ first: p, last: p - 1 }`.
 */
export function fileRangeToPieces(
  meta: LayoutInput,
  fileIndex: number,
): { readonly first: number; readonly last: number } {
  const file = meta.files[fileIndex];
  if (file === undefined) throw new LayoutError({ kind: 'file-out-of-range', fileIndex, fileCount: meta.files.length });
  const first = Math.floor(file.offset / meta.pieceLength);
  if (file.length === 0) return { first, last: first - 1 };
  return { first, last: Math.floor((file.offset + file.length - 1) / meta.pieceLength) };
}

function checkPieceIndex(meta: LayoutInput, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= meta.pieceCount) {
    throw new LayoutError({ kind: 'piece-out-of-range', pieceIndex: index, pieceCount: meta.pieceCount });
  }
}
