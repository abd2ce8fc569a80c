import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  decodeCompactPeers,
  encodeCompactPeers,
  formatIPv6,
  parseIPv4,
  parseIPv6,
} from '../../src/tracker/compact-peers.js';

const runs = Number(process.env.FUZZ_RUNS ?? 0) || 200;

describe('compact peers', () => {
  it('decodes IPv4 entries and drops port 0', () => {
    const bytes = Uint8Array.from([127, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0, 0, 192, 168, 1, 9, 0, 80]);
    expect(decodeCompactPeers(bytes, 4)).toEqual([
      { host: '127.0.0.1', port: 6881 },
      { host: '192.168.1.9', port: 80 },
    ]);
  });

  it('decodes IPv6 entries without brackets', () => {
    const bytes = new Uint8Array(18);
    bytes[15] = 1;
    bytes[16] = 0x1a;
    bytes[17] = 0xe1;
    expect(decodeCompactPeers(bytes, 6)).toEqual([{ host: '::1', port: 6881 }]);
  });

  it('rejects a length that is not a whole number of entries', () => {
    expect(decodeCompactPeers(new Uint8Array(7), 4)).toBeUndefined();
    expect(decodeCompactPeers(new Uint8Array(17), 6)).toBeUndefined();
  });

  it('formats IPv6 per RFC 5952', () => {
    expect(formatIPv6(parseIPv6('2001:db8:0:0:1:0:0:1') ?? new Uint8Array(16))).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6(new Uint8Array(16))).toBe('::');
    expect(formatIPv6(parseIPv6('1:0:2:0:3:0:4:0') ?? new Uint8Array(16))).toBe('1:0:2:0:3:0:4:0');
    expect(parseIPv6('1::2::3')).toBeUndefined();
    expect(parseIPv4('256.0.0.1')).toBeUndefined();
    expect(parseIPv4('01.0.0.1')).toBeUndefined();
  });

  it('encode then decode is the identity (ports 1..65535)', () => {
    const v4 = fc.record({ host: fc.ipV4(), port: fc.integer({ min: 1, max: 65535 }) });
    const v6 = fc.record({
      host: fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIPv6),
      port: fc.integer({ min: 1, max: 65535 }),
    });
    fc.assert(
      fc.property(fc.array(v4, { maxLength: 20 }), fc.array(v6, { maxLength: 20 }), (peers4, peers6) => {
        expect(decodeCompactPeers(encodeCompactPeers(peers4, 4), 4)).toEqual(peers4);
        expect(decodeCompactPeers(encodeCompactPeers(peers6, 6), 6)).toEqual(peers6);
      }),
      { numRuns: runs },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(4 as const, 6 as const), (bytes, family) => {
        const peers = decodeCompactPeers(bytes, family);
        if (peers !== undefined) for (const peer of peers) expect(peer.port).toBeGreaterThan(0);
      }),
      { numRuns: runs },
    );
  });
});
