import { PiecesError } from './pieces-error.js';

/** Largest piece count a bitfield accepts: indexes stay inside 32-bit integer arithmetic. */
export const MAX_PIECE_COUNT = 0x7fff_ffff;

/** Set bits per byte value, so `count` of a peer's bitfield is one table look-up per byte. */
const POPCOUNT = new Uint8Array(256);
for (let v = 1; v < 256; v++) POPCOUNT[v] = (v & 1) + (POPCOUNT[v >>> 1] ?? 0);

/** Bytes a bitfield of `pieceCount` pieces takes on the wire: ceil(pieceCount / 8). */
export function bitfieldByteLength(pieceCount: number): number {
  return Math.ceil(pieceCount / 8);
}

/**
 * One bit per piece over a Uint8Array, in BEP 3 order: the high bit of byte 0 is piece 0, and the
 * spare bits after the last piece are always zero. `count` is kept as bits change, so
 * `isComplete` and progress are O(1).
 *
 * Indexes are checked: an index outside 0 .. length - 1 (a hostile `have`) is a `PiecesError`,
 * never a silent out-of-bounds write.
 *
 * ```ts
 * const ours = new Bitfield(1000);
 * const theirs = Bitfield.fromBytes(message.bitfield, 1000); // throws on a hostile bitfield
 * const interesting = !ours.hasAll(theirs);
 * ```
 */
export class Bitfield {
  /** Number of pieces (bits), not bytes. */
  readonly length: number;
  private readonly bytes: Uint8Array;
  private setCount = 0;

  /** An empty bitfield (no piece set) of `length` pieces. */
  constructor(length: number) {
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_PIECE_COUNT) {
      throw new PiecesError({ kind: 'bad-piece-count', pieceCount: length });
    }
    this.length = length;
    this.bytes = new Uint8Array(bitfieldByteLength(length));
  }

  /**
   * Reads a bitfield message payload (copied). The byte length must be ceil(pieceCount / 8) and
   * the spare bits zero; either violation is a `PiecesError` (BEP 3 says drop the peer).
   */
  static fromBytes(bytes: Uint8Array, pieceCount: number): Bitfield {
    const field = new Bitfield(pieceCount);
    if (bytes.length !== field.bytes.length) {
      throw new PiecesError({ kind: 'bad-bitfield-length', length: bytes.length, expected: field.bytes.length });
    }
    const spare = pieceCount & 7;
    if (spare !== 0 && ((bytes[bytes.length - 1] ?? 0) & (0xff >>> spare)) !== 0) {
      throw new PiecesError({ kind: 'spare-bits-set', pieceCount });
    }
    field.bytes.set(bytes);
    let count = 0;
    for (let i = 0; i < bytes.length; i++) count += POPCOUNT[bytes[i] ?? 0] ?? 0;
    field.setCount = count;
    return field;
  }

  /** A bitfield with every piece set (what a BEP 6 `have all` stands for). */
  static full(length: number): Bitfield {
    const field = new Bitfield(length);
    field.setAll();
    return field;
  }

  /** Number of pieces set. */
  get count(): number {
    return this.setCount;
  }

  /** Every piece is set (a zero-piece bitfield is complete). */
  get isComplete(): boolean {
    return this.setCount === this.length;
  }

  /** No piece is set. */
  get isEmpty(): boolean {
    return this.setCount === 0;
  }

  get(index: number): boolean {
    this.check(index);
    return ((this.bytes[index >>> 3] ?? 0) & (0x80 >>> (index & 7))) !== 0;
  }

  /** Sets a piece; returns true if it was not set before. */
  set(index: number): boolean {
    this.check(index);
    const at = index >>> 3;
    const mask = 0x80 >>> (index & 7);
    const byte = this.bytes[at] ?? 0;
    if ((byte & mask) !== 0) return false;
    this.bytes[at] = byte | mask;
    this.setCount++;
    return true;
  }

  /** Clears a piece; returns true if it was set before. */
  clear(index: number): boolean {
    this.check(index);
    const at = index >>> 3;
    const mask = 0x80 >>> (index & 7);
    const byte = this.bytes[at] ?? 0;
    if ((byte & mask) === 0) return false;
    this.bytes[at] = byte & ~mask;
    this.setCount--;
    return true;
  }

  /** Sets every piece, leaving the spare bits zero. */
  setAll(): void {
    this.bytes.fill(0xff);
    const spare = this.length & 7;
    if (spare !== 0) this.bytes[this.bytes.length - 1] = (0xff << (8 - spare)) & 0xff;
    this.setCount = this.length;
  }

  /** Clears every piece. */
  clearAll(): void {
    this.bytes.fill(0);
    this.setCount = 0;
  }

  /**
   * Every piece set in `other` is set here. `!ours.hasAll(theirs)` is "the peer has a piece we
   * lack" (interest); `theirs.hasAll(ours)` with `ours.isComplete` is "the peer is a seed".
   */
  hasAll(other: Bitfield): boolean {
    this.checkSameLength(other);
    for (let i = 0; i < this.bytes.length; i++) {
      const theirs = other.bytes[i] ?? 0;
      if ((theirs & (this.bytes[i] ?? 0)) !== theirs) return false;
    }
    return true;
  }

  /** First set index at or after `from`, or -1. Skips whole zero bytes; allocates nothing. */
  nextSet(from: number): number {
    let i = Math.max(0, from);
    while (i < this.length) {
      const at = i >>> 3;
      const byte = (this.bytes[at] ?? 0) & (0xff >>> (i & 7));
      if (byte === 0) {
        i = (at + 1) << 3;
        continue;
      }
      const found = (at << 3) + Math.clz32(byte) - 24;
      return found < this.length ? found : -1;
    }
    return -1;
  }

  /** First unset index at or after `from`, or -1. Skips whole full bytes; allocates nothing. */
  nextUnset(from: number): number {
    let i = Math.max(0, from);
    while (i < this.length) {
      const at = i >>> 3;
      const byte = ~(this.bytes[at] ?? 0) & (0xff >>> (i & 7));
      if (byte === 0) {
        i = (at + 1) << 3;
        continue;
      }
      const found = (at << 3) + Math.clz32(byte) - 24;
      return found < this.length ? found : -1;
    }
    return -1;
  }

  /** Set indexes in ascending order. */
  *setIndexes(): IterableIterator<number> {
    for (let i = this.nextSet(0); i >= 0; i = this.nextSet(i + 1)) yield i;
  }

  /** Unset indexes in ascending order. */
  *unsetIndexes(): IterableIterator<number> {
    for (let i = this.nextUnset(0); i >= 0; i = this.nextUnset(i + 1)) yield i;
  }

  /** The bitfield message payload: a copy, spare bits zero. */
  toBytes(): Uint8Array {
    return this.bytes.slice();
  }

  clone(): Bitfield {
    return Bitfield.fromBytes(this.bytes, this.length);
  }

  equals(other: Bitfield): boolean {
    if (other.length !== this.length || other.setCount !== this.setCount) return false;
    for (let i = 0; i < this.bytes.length; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }

  private check(index: number): void {
    // `>>> 0` rejects fractions and negatives in the same comparison.
    if (index >>> 0 !== index || index >= this.length) {
      throw new PiecesError({ kind: 'piece-out-of-range', index, pieceCount: this.length });
    }
  }

  private checkSameLength(other: Bitfield): void {
    if (other.length !== this.length) {
      throw new PiecesError({ kind: 'bitfield-size-mismatch', length: other.length, expected: this.length });
    }
  }
}
