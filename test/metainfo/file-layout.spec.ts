import { describe, it, expect } from 'vitest';
import {
  blockCount,
  blockRange,
  fileRangeToPieces,
  LayoutError,
  pieceLength,
  pieceSegments,
} from '../../src/metainfo/index.js';
import { layout } from './layout-fixture.js';

describe('file layout', () => {
  const meta = layout([{ length: 10 }, { length: 6, pad: true }, { length: 0 }, { length: 20 }, { length: 3 }], 16);

  it('gives the piece lengths, the last one shorter', () => {
    expect([0, 1, 2].map((i) => pieceLength(meta, i))).toEqual([16, 16, 7]);
    expect(() => pieceLength(meta, 3)).toThrow(LayoutError);
    expect(() => pieceLength(meta, -1)).toThrow(LayoutError);
    expect(() => pieceLength(meta, 0.5)).toThrow(LayoutError);
  });

  it('splits pieces into file segments, skipping pad and zero-length files', () => {
    expect(pieceSegments(meta, 0)).toEqual([{ fileIndex: 0, fileOffset: 0, pieceOffset: 0, length: 10 }]);
    expect(pieceSegments(meta, 1)).toEqual([{ fileIndex: 3, fileOffset: 0, pieceOffset: 0, length: 16 }]);
    expect(pieceSegments(meta, 2)).toEqual([
      { fileIndex: 3, fileOffset: 16, pieceOffset: 0, length: 4 },
      { fileIndex: 4, fileOffset: 0, pieceOffset: 4, length: 3 },
    ]);
  });

  it('maps files to the pieces they touch', () => {
    expect(fileRangeToPieces(meta, 0)).toEqual({ first: 0, last: 0 });
    expect(fileRangeToPieces(meta, 1)).toEqual({ first: 0, last: 0 });
    expect(fileRangeToPieces(meta, 2)).toEqual({ first: 1, last: 0 });
    expect(fileRangeToPieces(meta, 3)).toEqual({ first: 1, last: 2 });
    expect(fileRangeToPieces(meta, 4)).toEqual({ first: 2, last: 2 });
    expect(() => fileRangeToPieces(meta, 5)).toThrow(LayoutError);
  });

  it('does block math with 16 KiB blocks by default', () => {
    expect(blockCount(16384)).toBe(1);
    expect(blockCount(16385)).toBe(2);
    expect(blockCount(262144)).toBe(16);
    expect(blockCount(1)).toBe(1);
    expect(blockRange(40000, 0)).toEqual({ begin: 0, length: 16384 });
    expect(blockRange(40000, 2)).toEqual({ begin: 32768, length: 7232 });
    expect(blockRange(10, 3, 3)).toEqual({ begin: 9, length: 1 });
    expect(() => blockRange(40000, 3)).toThrow(LayoutError);
    expect(() => blockRange(40000, -1)).toThrow(LayoutError);
  });

  it('stays fast with 100,000 files (binary search, not a scan)', () => {
    const many = layout(Array.from({ length: 100_000 }, (_, i) => ({ length: i % 5 === 0 ? 0 : 1000 })), 16384);
    const started = performance.now();
    let segments = 0;
    for (let piece = 0; piece < many.pieceCount; piece += 1) segments += pieceSegments(many, piece).length;
    expect(segments).toBeGreaterThanOrEqual(80_000);
    expect(performance.now() - started).toBeLessThan(1000);
  });

});
