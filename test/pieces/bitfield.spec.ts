import { describe, expect, it } from 'vitest';
import { Bitfield, bitfieldByteLength } from '../../src/pieces/bitfield.js';
import { PiecesError } from '../../src/pieces/pieces-error.js';

function detailOf(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    if (error instanceof PiecesError) return error.detail;
    throw error;
  }
  throw new Error('expected a PiecesError');
}

describe('Bitfield', () => {
  it('uses BEP 3 bit order: the high bit of byte 0 is piece 0', () => {
    const field = new Bitfield(10);
    field.set(0);
    field.set(9);
    expect([...field.toBytes()]).toEqual([0x80, 0x40]);
    expect(field.get(0)).toBe(true);
    expect(field.get(1)).toBe(false);
    expect(field.get(9)).toBe(true);
  });

  it('keeps count as bits change and reports whether a bit changed', () => {
    const field = new Bitfield(12);
    expect(field.isEmpty).toBe(true);
    expect(field.set(3)).toBe(true);
    expect(field.set(3)).toBe(false);
    expect(field.set(11)).toBe(true);
    expect(field.count).toBe(2);
    expect(field.clear(3)).toBe(true);
    expect(field.clear(3)).toBe(false);
    expect(field.count).toBe(1);
  });

  it('setAll leaves the spare bits zero and is complete', () => {
    const field = new Bitfield(11);
    field.setAll();
    expect([...field.toBytes()]).toEqual([0xff, 0xe0]);
    expect(field.isComplete).toBe(true);
    expect(field.count).toBe(11);
    field.clearAll();
    expect(field.count).toBe(0);
    expect(Bitfield.full(16).toBytes()).toEqual(new Uint8Array([0xff, 0xff]));
  });

  it('a zero-piece bitfield is complete and empty', () => {
    const field = Bitfield.fromBytes(new Uint8Array(0), 0);
    expect(field.isComplete).toBe(true);
    expect(field.isEmpty).toBe(true);
    expect(field.nextSet(0)).toBe(-1);
  });

  it('fromBytes counts the bits and copies the input', () => {
    const bytes = Uint8Array.from([0b1010_0000, 0b1100_0000]);
    const field = Bitfield.fromBytes(bytes, 10);
    bytes[0] = 0;
    expect(field.count).toBe(4);
    expect([...field.setIndexes()]).toEqual([0, 2, 8, 9]);
    expect([...field.unsetIndexes()]).toEqual([1, 3, 4, 5, 6, 7]);
  });

  it('rejects a bitfield of the wrong byte length', () => {
    expect(Bitfield.fromBytes(new Uint8Array(3), 17).count).toBe(0);
    expect(detailOf(() => Bitfield.fromBytes(new Uint8Array(2), 17))).toEqual({
      kind: 'bad-bitfield-length',
      length: 2,
      expected: 3,
    });
    expect(detailOf(() => Bitfield.fromBytes(new Uint8Array(4), 17))).toEqual({
      kind: 'bad-bitfield-length',
      length: 4,
      expected: 3,
    });
  });

  it('rejects spare bits set after the last piece', () => {
    expect(Bitfield.fromBytes(Uint8Array.from([0xff, 0x80]), 9).isComplete).toBe(true);
    expect(detailOf(() => Bitfield.fromBytes(Uint8Array.from([0xff, 0x40]), 9))).toEqual({
      kind: 'spare-bits-set',
      pieceCount: 9,
    });
    expect(detailOf(() => Bitfield.fromBytes(Uint8Array.from([0x01]), 7))).toEqual({
      kind: 'spare-bits-set',
      pieceCount: 7,
    });
  });

  it('rejects indexes outside the pieces, fractions and negatives', () => {
    const field = new Bitfield(9);
    for (const index of [9, -1, 1.5, Number.NaN, 2 ** 32]) {
      expect(detailOf(() => field.get(index))).toEqual({ kind: 'piece-out-of-range', index, pieceCount: 9 });
    }
    expect(detailOf(() => field.set(9))).toMatchObject({ kind: 'piece-out-of-range' });
    expect(detailOf(() => new Bitfield(-1))).toEqual({ kind: 'bad-piece-count', pieceCount: -1 });
  });

  it('hasAll is a superset test, and checks sizes', () => {
    const ours = Bitfield.fromBytes(Uint8Array.from([0b1110_0000]), 4);
    const theirs = Bitfield.fromBytes(Uint8Array.from([0b0110_0000]), 4);
    expect(ours.hasAll(theirs)).toBe(true);
    expect(theirs.hasAll(ours)).toBe(false);
    theirs.set(3);
    expect(ours.hasAll(theirs)).toBe(false);
    expect(detailOf(() => ours.hasAll(new Bitfield(5)))).toMatchObject({ kind: 'bitfield-size-mismatch' });
  });

  it('nextSet and nextUnset skip whole bytes and stop at the last piece', () => {
    const field = new Bitfield(30);
    field.set(25);
    expect(field.nextSet(0)).toBe(25);
    expect(field.nextSet(26)).toBe(-1);
    field.setAll();
    field.clear(17);
    expect(field.nextUnset(0)).toBe(17);
    expect(field.nextUnset(18)).toBe(-1);
  });

  it('clone and equals', () => {
    const field = new Bitfield(20);
    field.set(5);
    const copy = field.clone();
    expect(copy.equals(field)).toBe(true);
    copy.set(6);
    expect(copy.equals(field)).toBe(false);
    expect(field.get(6)).toBe(false);
  });

  it('bitfieldByteLength is ceil(n / 8)', () => {
    expect([0, 1, 8, 9, 16].map(bitfieldByteLength)).toEqual([0, 1, 1, 2, 2]);
  });
});
