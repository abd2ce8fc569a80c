import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeExtensionHandshake, encodeExtensionHandshake } from '../../src/peer/extension-handshake.js';

describe('extension handshake (BEP 10)', () => {
  it('encodes m, reqq, v (and p) as a sorted bencoded dictionary', () => {
    const bytes = encodeExtensionHandshake({ client: 'rxtorrent 0.1.0', reqq: 250, port: 6881 });
    expect(new TextDecoder().decode(bytes)).toBe('d1:mde1:pi6881e4:reqqi250e1:v15:rxtorrent 0.1.0e');
  });

  it('reads back what it wrote', () => {
    expect(decodeExtensionHandshake(encodeExtensionHandshake({ client: 'x', reqq: 7 }))).toEqual({ client: 'x', reqq: 7 });
  });

  it('reads fields of the wrong type as absent and never throws', () => {
    expect(decodeExtensionHandshake(new TextEncoder().encode('d4:reqq3:abc1:vi5ee'))).toEqual({ client: undefined, reqq: undefined });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      decodeExtensionHandshake(bytes);
    }));
  });
});
