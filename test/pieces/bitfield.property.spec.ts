import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Bitfield, bitfieldByteLength } from '../../src/pieces/bitfield.js';
import { PiecesError } from '../../src/pieces/pieces-error.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 0) || 300;
/** `npm run fuzz` (100,000 runs) takes minutes here, past vitest's 60 s default. */
const timeout = Math.max(60_000, numRuns * 5);

/** A piece count and a set of indexes in it. */
const bitfieldSpec = fc
  .integer({ min: 0, max: 200 })
  .chain((pieceCount) =>
    fc.tuple(fc.constant(pieceCount), fc.uniqueArray(fc.nat({ max: Math.max(0, pieceCount - 1) }), { maxLength: pieceCount })),
  );

function build(pieceCount: number, indexes: readonly number[]): Bitfield {
  const field = new Bitfield(pieceCount);
  for (const i of indexes) field.set(i);
  return field;
}

describe('Bitfield properties', () => {
  it('fromBytes(toBytes(b)) equals b', () => {
    fc.assert(
      fc.property(bitfieldSpec, ([pieceCount, indexes]) => {
        const field = build(pieceCount, indexes);
        const again = Bitfield.fromBytes(field.toBytes(), pieceCount);
        expect(again.equals(field)).toBe(true);
        expect(again.count).toBe(indexes.length);
        expect([...again.setIndexes()]).toEqual([...indexes].sort((a, b) => a - b));
      }),
      { numRuns },
    );
  }, timeout);

  it('count, get, set indexes and unset indexes agree with a model', () => {
    fc.assert(
      fc.property(bitfieldSpec, ([pieceCount, indexes]) => {
        const field = build(pieceCount, indexes);
        const model = new Set(indexes);
        const unset: number[] = [];
        for (let i = 0; i < pieceCount; i++) {
          expect(field.get(i)).toBe(model.has(i));
          if (!model.has(i)) unset.push(i);
        }
        expect([...field.unsetIndexes()]).toEqual(unset);
        expect(field.isComplete).toBe(unset.length === 0);
      }),
      { numRuns },
    );
  }, timeout);

  it('any byte string with a spare bit set is rejected', () => {
    const spec = fc
      .integer({ min: 1, max: 200 })
      .filter((n) => n % 8 !== 0)
      .chain((n) =>
        fc.tuple(fc.constant(n), fc.uint8Array({ minLength: bitfieldByteLength(n), maxLength: bitfieldByteLength(n) }), fc.nat({ max: 7 - (n % 8) })),
      );
    fc.assert(
      fc.property(spec, ([pieceCount, bytes, spareBit]) => {
        const last = bytes.length - 1;
        bytes[last] = (bytes[last] ?? 0) | (1 << spareBit);
        expect(() => Bitfield.fromBytes(bytes, pieceCount)).toThrow(PiecesError);
      }),
      { numRuns },
    );
  }, timeout);

  it('any byte string of the wrong length is rejected; the right length with clear spare bits is not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.uint8Array({ maxLength: 30 }), (pieceCount, bytes) => {
        const spare = pieceCount & 7;
        if (bytes.length > 0 && spare !== 0) bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) & ~(0xff >>> spare);
        if (bytes.length === bitfieldByteLength(pieceCount)) {
          expect(Bitfield.fromBytes(bytes, pieceCount).toBytes()).toEqual(bytes);
        } else {
          expect(() => Bitfield.fromBytes(bytes, pieceCount)).toThrow(PiecesError);
        }
      }),
      { numRuns },
    );
  }, timeout);
});
