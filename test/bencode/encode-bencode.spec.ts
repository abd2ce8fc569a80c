import { describe, it, expect } from 'vitest';
import { BencodeError, encodeBencode } from '../../src/bencode/index.js';
import type { BencodeValue } from '../../src/bencode/index.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function encodeError(value: BencodeValue): string {
  try {
    encodeBencode(value);
  } catch (error) {
    if (error instanceof BencodeError) return error.detail.kind;
    throw error;
  }
  return 'no error';
}

describe('encodeBencode', () => {
  it('encodes every type', () => {
    expect(text(encodeBencode(42))).toBe('i42e');
    expect(text(encodeBencode(-3))).toBe('i-3e');
    expect(text(encodeBencode(-0))).toBe('i0e');
    expect(text(encodeBencode(ascii('spam')))).toBe('4:spam');
    expect(text(encodeBencode([ascii('a'), 1, []]))).toBe('l1:ai1elee');
    expect(text(encodeBencode(new Map()))).toBe('de');
  });

  it('sorts dictionary keys by raw bytes', () => {
    const dict = new Map<string, BencodeValue>([
      ['b', 1],
      ['a', 2],
      ['\u00ff', 3],
      ['B', 4],
      ['ab', 5],
    ]);
    const out = encodeBencode(dict);
    expect(Array.from(out)).toEqual(
      Array.from(ascii('d1:Bi4e1:ai2e2:abi5e1:bi1e1:')).concat([0xff], Array.from(ascii('i3ee'))),
    );
  });

  it('rejects what bencode cannot carry', () => {
    expect(encodeError(1.5)).toBe('unencodable-number');
    expect(encodeError(Number.MAX_SAFE_INTEGER + 1)).toBe('unencodable-number');
    expect(encodeError(Number.NaN)).toBe('unencodable-number');
    expect(encodeError(new Map([['\u0100', 1]]))).toBe('key-not-latin1');
  });
});
