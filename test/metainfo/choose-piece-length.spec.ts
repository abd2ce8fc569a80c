import { describe, it, expect } from 'vitest';
import { choosePieceLength } from '../../src/metainfo/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('choosePieceLength', () => {
  it.each([
    [0, 16 * KiB],
    [1, 16 * KiB],
    [10 * MiB, 16 * KiB],
    [31 * MiB, 16 * KiB],
    [32 * MiB, 32 * KiB],
    [700 * MiB, 512 * KiB],
    [4 * GiB, 4 * MiB],
    [32 * GiB, 16 * MiB],
    [1024 * GiB, 16 * MiB],
  ])('picks %i bytes → %i', (total, expected) => {
    expect(choosePieceLength(total)).toBe(expected);
  });

  it('aims at 1000–2000 pieces between the bounds, always a power of two', () => {
    for (let total = 33 * MiB; total < 32 * GiB; total = Math.floor(total * 1.37)) {
      const length = choosePieceLength(total);
      expect(Math.log2(length) % 1).toBe(0);
      const count = Math.ceil(total / length);
      expect(count).toBeGreaterThanOrEqual(1000);
      expect(count).toBeLessThanOrEqual(2000);
    }
  });
});
