import { describe, it, expect } from 'vitest';
import { BencodeError, decodeBencode, decodeBencodeWithSpans } from '../../src/bencode/index.js';
import type { BencodeErrorDetail } from '../../src/bencode/index.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

function rejection(input: string | Uint8Array, maxDepth?: number): BencodeErrorDetail {
  const bytes = typeof input === 'string' ? ascii(input) : input;
  try {
    decodeBencode(bytes, maxDepth === undefined ? undefined : { maxDepth });
  } catch (error) {
    expect(error).toBeInstanceOf(BencodeError);
    if (error instanceof BencodeError) {
      expect(error.message).not.toContain('\n');
      return error.detail;
    }
  }
  throw new Error(`expected ${String(input)} to be rejected`);
}

describe('decodeBencode', () => {
  it('decodes integers, strings, lists and dictionaries', () => {
    expect(decodeBencode(ascii('i42e'))).toBe(42);
    expect(decodeBencode(ascii('i-7e'))).toBe(-7);
    expect(decodeBencode(ascii('i0e'))).toBe(0);
    expect(decodeBencode(ascii('4:spam'))).toEqual(ascii('spam'));
    expect(decodeBencode(ascii('0:'))).toEqual(new Uint8Array(0));
    expect(decodeBencode(ascii('l4:spami3ee'))).toEqual([ascii('spam'), 3]);
    expect(decodeBencode(ascii('d3:cow3:moo4:spaml1:aee'))).toEqual(
      new Map<string, unknown>([
        ['cow', ascii('moo')],
        ['spam', [ascii('a')]],
      ]),
    );
    expect(decodeBencode(ascii('le'))).toEqual([]);
    expect(decodeBencode(ascii('de'))).toEqual(new Map());
  });

  it('accepts the largest safe integers and unsorted keys', () => {
    expect(decodeBencode(ascii(`i${Number.MAX_SAFE_INTEGER}e`))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeBencode(ascii(`i${Number.MIN_SAFE_INTEGER}e`))).toBe(Number.MIN_SAFE_INTEGER);
    const dict = decodeBencode(ascii('d1:bi1e1:ai2ee'));
    expect(dict).toBeInstanceOf(Map);
    expect(dict instanceof Map ? [...dict.keys()] : []).toEqual(['b', 'a']);
  });

  it('decodes keys as latin1, byte for byte', () => {
    const bytes = new Uint8Array([0x64, 0x32, 0x3a, 0xc3, 0xff, 0x69, 0x31, 0x65, 0x65]);
    const dict = decodeBencode(bytes);
    expect(dict instanceof Map ? [...dict.keys()] : []).toEqual(['\u00c3\u00ff']);
  });

  it.each([
    ['i03e', 'integer-leading-zero', 0],
    ['i-03e', 'integer-leading-zero', 0],
    ['i-0e', 'integer-negative-zero', 0],
    ['ie', 'integer-empty', 0],
    ['i-e', 'integer-empty', 0],
    ['i12', 'unexpected-end', 3],
    ['i1x2e', 'unexpected-byte', 2],
    ['i9007199254740992e', 'integer-out-of-range', 0],
    ['i-9007199254740992e', 'integer-out-of-range', 0],
    ['i99999999999999999999999999e', 'integer-out-of-range', 0],
    ['5:abc', 'string-out-of-bounds', 0],
    ['99999999999999999999999:a', 'string-out-of-bounds', 0],
    ['03:abc', 'string-length-leading-zero', 0],
    ['00:', 'string-length-leading-zero', 0],
    ['3abc', 'unexpected-byte', 1],
    ['12', 'unexpected-end', 2],
    ['i1ei2e', 'trailing-bytes', 3],
    ['4:spamx', 'trailing-bytes', 6],
    ['le1', 'trailing-bytes', 2],
    ['d1:ai1e1:ai2ee', 'duplicate-key', 7],
    ['di1ei2ee', 'non-string-key', 1],
    ['dlei2ee', 'non-string-key', 1],
    ['d1:ae', 'missing-value', 4],
    ['l4:spam', 'unterminated', 0],
    ['li1ed1:ai1e', 'unterminated', 4],
    ['d', 'unterminated', 0],
    ['', 'unexpected-end', 0],
    ['e', 'unexpected-byte', 0],
    ['x', 'unexpected-byte', 0],
    ['lxe', 'unexpected-byte', 1],
  ])('rejects %j as %s at byte %i', (input, kind, offset) => {
    const detail = rejection(input);
    expect(detail.kind).toBe(kind);
    expect('offset' in detail ? detail.offset : undefined).toBe(offset);
  });

  it('caps nesting at maxDepth (default 64) without overflowing the stack', () => {
    const nested = (depth: number): string => 'l'.repeat(depth) + 'e'.repeat(depth);
    expect(decodeBencode(ascii(nested(64)))).toBeDefined();
    expect(rejection(nested(65))).toEqual({ kind: 'too-deep', offset: 64, maxDepth: 64 });
    expect(rejection(nested(3), 2).kind).toBe('too-deep');
    expect(decodeBencode(ascii(nested(3)), { maxDepth: 3 })).toEqual([[[]]]);
    // A million open lists: rejected at depth 64, long before any recursion could matter.
    expect(rejection('l'.repeat(1_000_000)).kind).toBe('too-deep');
    expect(decodeBencode(ascii(nested(10_000)), { maxDepth: 10_000 })).toBeDefined();
  });

  it('reports duplicate keys with the key and non-string-key in nested dicts', () => {
    expect(rejection('d1:xd1:ki1e1:ki2eee')).toEqual({ kind: 'duplicate-key', offset: 11, key: 'k' });
    expect(rejection('d1:xdi1ei1eee')).toEqual({ kind: 'non-string-key', offset: 5 });
  });

  it('returns byte strings as views, and decodes a multi-megabyte string quickly', () => {
    const payload = new Uint8Array(8 * 1024 * 1024).fill(7);
    const prefix = ascii(`d6:pieces${payload.length}:`);
    const bytes = new Uint8Array(prefix.length + payload.length + 1);
    bytes.set(prefix);
    bytes.set(payload, prefix.length);
    bytes[bytes.length - 1] = 0x65;
    const started = performance.now();
    const dict = decodeBencode(bytes);
    expect(performance.now() - started).toBeLessThan(500);
    const pieces = dict instanceof Map ? dict.get('pieces') : undefined;
    expect(pieces instanceof Uint8Array ? pieces.length : -1).toBe(payload.length);
    expect(pieces instanceof Uint8Array ? pieces.buffer : undefined).toBe(bytes.buffer);
  });
});

describe('decodeBencodeWithSpans', () => {
  it('reports the raw byte span of each top-level dictionary value', () => {
    const text = 'd8:announce3:url4:infod4:name1:x6:lengthi5ee3:zzzi1ee';
    const bytes = ascii(text);
    const { value, spans } = decodeBencodeWithSpans(bytes);
    expect(value).toBeInstanceOf(Map);
    const info = spans.get('info');
    expect(info).toBeDefined();
    if (info === undefined) return;
    expect(new TextDecoder().decode(bytes.subarray(info.start, info.end))).toBe('d4:name1:x6:lengthi5ee');
    const announce = spans.get('announce');
    expect(announce && text.slice(announce.start, announce.end)).toBe('3:url');
    const zzz = spans.get('zzz');
    expect(zzz && text.slice(zzz.start, zzz.end)).toBe('i1e');
    expect(spans.has('name')).toBe(false);
  });

  it('has no spans when the top value is not a dictionary', () => {
    expect(decodeBencodeWithSpans(ascii('ld1:ai1eee')).spans.size).toBe(0);
  });
});
