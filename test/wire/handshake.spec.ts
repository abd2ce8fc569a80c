import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  decodeHandshake, decodeReserved, encodeHandshake, encodeReserved, HANDSHAKE_LENGTH,
} from '../../src/wire/handshake.js';
import { WireError } from '../../src/wire/wire-error.js';
import { fuzzRuns } from './arbitraries.js';

const infoHash = new Uint8Array(20).map((_, i) => i + 1);
const peerId = new TextEncoder().encode('-RX0001-abcdefghijkl');

describe('encodeHandshake', () => {
  it('lays out pstrlen, protocol, reserved, info hash and peer id in 68 bytes', () => {
    const bytes = encodeHandshake({ infoHash, peerId, reserved: encodeReserved({ fast: true, extended: true }) });
    expect(bytes).toHaveLength(HANDSHAKE_LENGTH);
    expect(bytes[0]).toBe(19);
    expect(new TextDecoder().decode(bytes.subarray(1, 20))).toBe('BitTorrent protocol');
    expect([...bytes.subarray(20, 28)]).toEqual([0, 0, 0, 0, 0, 0x10, 0, 0x04]);
    expect(bytes.subarray(28, 48)).toEqual(infoHash);
    expect(bytes.subarray(48, 68)).toEqual(peerId);
  });

  it('defaults reserved to zeros', () => {
    expect([...encodeHandshake({ infoHash, peerId }).subarray(20, 28)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it.each([
    ['infoHash', { infoHash: new Uint8Array(19), peerId }, 19, 20],
    ['peerId', { infoHash, peerId: new Uint8Array(21) }, 21, 20],
    ['reserved', { infoHash, peerId, reserved: new Uint8Array(7) }, 7, 8],
  ])('rejects a wrong-sized %s', (field, input, length, expected) => {
    expect(() => encodeHandshake(input)).toThrow(WireError);
    expect(() => encodeHandshake(input)).toThrow(expect.objectContaining({ detail: { kind: 'bad-field-size', field, length, expected } }));
  });
});

describe('reserved bits', () => {
  it('sets and reads each flag on its own bit', () => {
    expect([...encodeReserved({ dht: true })]).toEqual([0, 0, 0, 0, 0, 0, 0, 0x01]);
    expect([...encodeReserved({ fast: true })]).toEqual([0, 0, 0, 0, 0, 0, 0, 0x04]);
    expect([...encodeReserved({ extended: true })]).toEqual([0, 0, 0, 0, 0, 0x10, 0, 0]);
    expect(decodeReserved(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff, 0xfa])))
      .toEqual({ fast: false, extended: false, dht: false });
    expect(decodeReserved(new Uint8Array([0, 0, 0, 0, 0, 0x10, 0, 0x05]))).toEqual({ fast: true, extended: true, dht: true });
  });
});

describe('decodeHandshake', () => {
  it('decodes fields and extensions, as copies', () => {
    const bytes = encodeHandshake({ infoHash, peerId, reserved: encodeReserved({ extended: true, dht: true }) });
    const h = decodeHandshake(bytes);
    expect(h).toEqual({
      type: 'handshake', infoHash, peerId,
      reserved: new Uint8Array([0, 0, 0, 0, 0, 0x10, 0, 0x01]),
      extensions: { fast: false, extended: true, dht: true },
    });
    bytes.fill(0);
    expect(h.infoHash).toEqual(infoHash);
  });

  it('rejects a wrong length', () => {
    expect(() => decodeHandshake(new Uint8Array(67))).toThrow(expect.objectContaining({ detail: { kind: 'bad-handshake-length', length: 67 } }));
  });

  it('rejects a wrong protocol string and says what it saw', () => {
    const bytes = encodeHandshake({ infoHash, peerId });
    bytes[1] = 'b'.charCodeAt(0);
    expect(() => decodeHandshake(bytes)).toThrow(expect.objectContaining({
      detail: { kind: 'bad-protocol', pstrlen: 19, protocol: 'bitTorrent protocol' },
    }));
    bytes.set(new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    expect(() => decodeHandshake(bytes)).toThrow(/not a BitTorrent handshake \(pstrlen 71/);
  });

  it('round-trips any info hash, peer id and reserved bytes', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      (ih, id, reserved) => {
        const h = decodeHandshake(encodeHandshake({ infoHash: ih, peerId: id, reserved }));
        expect(h.infoHash).toEqual(ih);
        expect(h.peerId).toEqual(id);
        expect(h.reserved).toEqual(reserved);
        expect(h.extensions).toEqual(decodeReserved(reserved));
      },
    ), { numRuns: fuzzRuns(2000) });
  });
});
