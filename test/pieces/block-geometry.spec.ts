import { describe, expect, it } from 'vitest';
import { BlockGeometry } from '../../src/pieces/block-geometry.js';
import { PiecesError } from '../../src/pieces/pieces-error.js';

describe('BlockGeometry', () => {
  const geometry = new BlockGeometry(3, (i) => (i === 2 ? 9 : 16), 4);

  it('numbers blocks with a stride of the longest piece', () => {
    expect(geometry.stride).toBe(4);
    expect(geometry.blockCount(2)).toBe(3);
    expect(geometry.key(2, 1)).toBe(9);
    expect(geometry.requestOf(9)).toEqual({ index: 2, begin: 4, length: 4 });
    expect(geometry.requestOf(10)).toEqual({ index: 2, begin: 8, length: 1 });
    expect([geometry.indexOfKey(7), geometry.blockOfKey(7)]).toEqual([1, 3]);
  });

  it('accepts exactly the blocks of a piece', () => {
    expect(geometry.blockOf({ index: 2, begin: 8, length: 1 })).toBe(2);
    for (const req of [
      { index: 2, begin: 8, length: 4 },
      { index: 0, begin: 2, length: 4 },
      { index: 0, begin: 16, length: 4 },
      { index: 0, begin: -4, length: 4 },
      { index: 3, begin: 0, length: 4 },
    ]) {
      expect(() => geometry.blockOf(req)).toThrow(PiecesError);
    }
  });

  it('rejects a zero block size and non-positive piece lengths', () => {
    expect(() => new BlockGeometry(1, () => 4, 0)).toThrow(PiecesError);
    expect(() => new BlockGeometry(2, (i) => (i === 1 ? -1 : 4), 4)).toThrow(PiecesError);
  });
});
