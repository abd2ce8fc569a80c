import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { BencodeError, decodeBencode, encodeBencode } from '../../src/bencode/index.js';
import type { BencodeValue } from '../../src/bencode/index.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 0) || 2000;
const timeout = Math.max(60_000, numRuns * 5);

const latin1Key = fc
  .uint8Array({ maxLength: 8 })
  .map((bytes) => String.fromCharCode(...bytes));

const { value: bencodeValue } = fc.letrec<{ value: BencodeValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.uint8Array({ maxLength: 32 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .uniqueArray(fc.tuple(latin1Key, tie('value')), { maxLength: 5, selector: ([key]) => key })
      .map((entries) => new Map(entries)),
  ),
}));

describe('bencode properties', () => {
  it('decode(encode(v)) equals v', () => {
    fc.assert(
      fc.property(bencodeValue, (value) => {
        expect(decodeBencode(encodeBencode(value), { maxDepth: 1000 })).toEqual(value);
      }),
      { numRuns },
    );
  }, timeout);

  it('encode(decode(b)) equals b for canonical input', () => {
    fc.assert(
      fc.property(bencodeValue, (value) => {
        const bytes = encodeBencode(value);
        expect(encodeBencode(decodeBencode(bytes, { maxDepth: 1000 }))).toEqual(bytes);
      }),
      { numRuns },
    );
  }, timeout);

  const bencodeish = fc
    .array(
      fc.oneof(
        fc.constantFrom(...'ilde:-0123456789'.split('')),
        fc.string({ maxLength: 3 }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => new TextEncoder().encode(parts.join('')));

  it('arbitrary bytes give a value or a BencodeError, never another throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), bencodeish), (bytes) => {
        try {
          decodeBencode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(BencodeError);
        }
      }),
      { numRuns: numRuns * 4 },
    );
  }, timeout);

  it('a decoded value re-encodes to a value that decodes the same', () => {
    fc.assert(
      fc.property(bencodeish, (bytes) => {
        let value: BencodeValue;
        try {
          value = decodeBencode(bytes);
        } catch {
          return;
        }
        expect(decodeBencode(encodeBencode(value))).toEqual(value);
      }),
      { numRuns: numRuns * 4 },
    );
  }, timeout);
});
