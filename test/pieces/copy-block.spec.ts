import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyBlock } from '../../src/pieces/copy-block.js';

/** A target of `length` bytes at `phase` in plain or shared memory, pre-filled with 0xee. */
function target(kind: 'plain' | 'shared', length: number, phase: number): Uint8Array {
  const memory = kind === 'shared' ? new SharedArrayBuffer(length + 16) : new ArrayBuffer(length + 16);
  return new Uint8Array(memory, phase, length).fill(0xee);
}

function block(length: number, phase: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(length + 16), phase, length);
  for (let i = 0; i < length; i += 1) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

describe('copyBlock', () => {
  it('writes the same bytes as set, and nothing outside the block, at every alignment', () => {
    fc.assert(fc.property(
      fc.constantFrom<'plain' | 'shared'>('plain', 'shared'),
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 1, max: 600 }),
      fc.integer({ min: 0, max: 255 }),
      (kind, targetPhase, blockPhase, offset, length, seed) => {
        const source = block(length, blockPhase, seed);
        const actual = target(kind, offset + length + 9, targetPhase);
        const expected = new Uint8Array(actual.length).fill(0xee);
        expected.set(source, offset);
        copyBlock(actual, offset, source);
        expect([...actual]).toEqual([...expected]);
      },
    ));
  });

  it('copies a block larger than its bounce buffer into shared memory at an odd phase', () => {
    const source = block(40_000, 3, 7);
    const piece = target('shared', 100_000, 5);
    copyBlock(piece, 16_384, source);
    expect(piece.subarray(16_384, 56_384)).toEqual(source);
    expect(piece[16_383]).toBe(0xee);
    expect(piece[56_384]).toBe(0xee);
    const next = block(16_384, 6, 9); // the bounce buffer, grown, serves a smaller block again
    copyBlock(piece, 0, next);
    expect(piece.subarray(0, 16_384)).toEqual(next);
    expect(piece.subarray(16_384, 56_384)).toEqual(source);
  });
});
