import { type Observable, defer, map, mergeMap } from '../rx.js';
import type { DiskPool, ReadSegment } from '../io/disk-pool.js';
import type { HashPool } from '../io/hash-pool.js';
import { type PieceSegment, pieceLength, pieceSegments } from '../metainfo/file-layout.js';
import { contentPath } from '../metainfo/content-path.js';
import type { Metainfo } from '../metainfo/metainfo.js';
import { DIRECT_ALIGNMENT } from '../io/aligned-memory.js';
import type { PieceStore } from '../torrent/supervisor-types.js';
import { PieceReadCache } from './piece-read-cache.js';

interface Placed extends ReadSegment {
  /** Where the segment's bytes go in the requested range. */
  readonly at: number;
}

export interface DiskPieceStoreOptions {
  /**
   * Bytes of whole pieces kept in memory to answer uploads, per torrent; default 16 MiB. A piece
   * larger than this is never kept; 0 reads every block from disk.
   */
  readonly readCacheBytes?: number;
}

const DEFAULT_READ_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * A torrent's pieces on the shared hash pool and disk pool: the supervisor's `PieceStore`.
 * Pieces are split into file segments by the torrent's layout; pad files are never written, and
 * read back as the zeros they are.
 *
 * A block read for an upload reads its whole piece once and answers the piece's other blocks
 * from memory (`PieceReadCache`). `check` (the data check) always reads the disk and keeps
 * nothing, so a file cut short under us is found.
 */
export function diskPieceStore(
  meta: Metainfo,
  dir: string,
  pools: {
    readonly disk: DiskPool;
    readonly hasher: HashPool;
    /**
     * A buffer of `length` bytes whose first byte sits `phase` bytes past a 4 KiB boundary (a
     * `PieceBufferPool`): the phase that lines the piece's largest file segment up with its file
     * offset, so the storage writes it with `O_DIRECT` without a bounce copy.
     */
    readonly allocate: (length: number, phase: number) => Uint8Array;
    readonly release?: (data: Uint8Array) => void;
  },
  options: DiskPieceStoreOptions = {},
): PieceStore {
  const readCacheBytes = options.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES;

  const placed = (index: number, begin: number, length: number): Placed[] => {
    const end = begin + length;
    const out: Placed[] = [];
    for (const segment of pieceSegments(meta, index)) {
      const from = Math.max(begin, segment.pieceOffset);
      const to = Math.min(end, segment.pieceOffset + segment.length);
      if (to <= from) continue;
      const file = meta.files[segment.fileIndex];
      if (file === undefined) continue;
      out.push({
        path: contentPath(meta, file),
        fileLength: file.length,
        fileOffset: segment.fileOffset + (from - segment.pieceOffset),
        length: to - from,
        at: from - begin,
      });
    }
    return out;
  };

  const readRange = (index: number, begin: number, length: number): Observable<Uint8Array> => {
    const segments = placed(index, begin, length);
    const contiguous = segments.reduce((sum, segment) => sum + segment.length, 0) === length;
    return pools.disk.read({ root: dir, segments }).pipe(
      map((bytes) => {
        if (contiguous) return bytes;
        const out = new Uint8Array(length); // pad files read as zeros
        let from = 0;
        for (const segment of segments) {
          out.set(bytes.subarray(from, from + segment.length), segment.at);
          from += segment.length;
        }
        return out;
      }),
    );
  };

  const cache = readCacheBytes > 0
    ? new PieceReadCache(readCacheBytes, (index) => readRange(index, 0, pieceLength(meta, index)))
    : undefined;
  // A range past the piece's end reads as it always did (zeros beyond it), not as a clipped view.
  const inCache = (index: number, begin: number, length: number): boolean => {
    const whole = pieceLength(meta, index);
    return whole <= readCacheBytes && begin + length <= whole;
  };

  /** Where in a 4 KiB page the piece's buffer starts: its largest segment's file offset, aligned. */
  const phase = (index: number): number => {
    let largest: PieceSegment | undefined;
    for (const segment of pieceSegments(meta, index)) {
      if (largest === undefined || segment.length > largest.length) largest = segment;
    }
    if (largest === undefined) return 0;
    const shift = (largest.fileOffset - largest.pieceOffset) % DIRECT_ALIGNMENT;
    return shift < 0 ? shift + DIRECT_ALIGNMENT : shift;
  };

  const verify = (index: number, data: Uint8Array): Observable<boolean> => {
    const expected = meta.pieceHashes[index];
    if (expected === undefined) throw new RangeError(`piece ${index} out of range`);
    return pools.hasher.verify(data, expected);
  };

  return {
    allocate: (length, index) => pools.allocate(length, phase(index)),
    ...(pools.release === undefined ? {} : { release: pools.release }),
    verify,
    warm: () => pools.hasher.warm(),
    write: (index, data) => {
      const request = {
        torrentId: meta.infoHashHex,
        root: dir,
        segments: placed(index, 0, data.length).map((segment) => ({
          path: segment.path,
          fileLength: segment.fileLength,
          fileOffset: segment.fileOffset,
          data: data.subarray(segment.at, segment.at + segment.length),
        })),
      };
      return defer(() => {
        cache?.forget(index); // a recheck may rewrite a piece we served before
        return pools.disk.write(request);
      });
    },
    read: (index, begin, length) => (cache !== undefined && inCache(index, begin, length)
      ? cache.block(index, begin, length)
      : readRange(index, begin, length)),
    check: (index) => readRange(index, 0, pieceLength(meta, index)).pipe(mergeMap((data) => verify(index, data))),
  };
}
