import { type Observable, map } from 'rxjs';
import type { DiskPool, ReadSegment } from '../io/disk-pool.js';
import type { HashPool } from '../io/hash-pool.js';
import { pieceSegments } from '../metainfo/file-layout.js';
import { contentPath } from '../metainfo/content-path.js';
import type { Metainfo } from '../metainfo/metainfo.js';
import type { PieceStore } from '../torrent/supervisor-types.js';


interface Placed extends ReadSegment {
  /** Where the segment's bytes go in the requested range. */
  readonly at: number;
}

/**
 * A torrent's pieces on the shared hash pool and disk pool: the supervisor's `PieceStore`.
 * Pieces are split into file segments by the torrent's layout; pad files are never written, and
 * read back as the zeros they are.
 */
export function diskPieceStore(
  meta: Metainfo,
  dir: string,
  pools: { readonly disk: DiskPool; readonly hasher: HashPool; readonly allocate: (length: number) => Uint8Array },
): PieceStore {
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

  return {
    allocate: pools.allocate,
    verify: (index, data) => {
      const expected = meta.pieceHashes[index];
      if (expected === undefined) throw new RangeError(`piece ${index} out of range`);
      return pools.hasher.verify(data, expected);
    },
    write: (index, data) =>
      pools.disk.write({
        torrentId: meta.infoHashHex,
        root: dir,
        segments: placed(index, 0, data.length).map((segment) => ({
          path: segment.path,
          fileLength: segment.fileLength,
          fileOffset: segment.fileOffset,
          data: data.subarray(segment.at, segment.at + segment.length),
        })),
      }),
    read: (index, begin, length): Observable<Uint8Array> => {
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
    },
  };
}
