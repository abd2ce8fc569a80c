import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  peekTransactionId,
} from '../../src/tracker/udp-tracker-messages.js';
import { TrackerError } from '../../src/tracker/tracker-error.js';
import type { AnnounceParams } from '../../src/tracker/announce-types.js';

const runs = Number(process.env.FUZZ_RUNS ?? 0) || 2000;

const params: AnnounceParams = {
  infoHash: new Uint8Array(20).fill(0xaa),
  peerId: new Uint8Array(20).fill(0xbb),
  port: 6881,
  uploaded: 3,
  downloaded: 2 ** 40,
  left: 1,
};

function datagram(...words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((word, i) => view.setUint32(i * 4, word));
  return out;
}

describe('UDP tracker messages (BEP 15)', () => {
  it('encodes a connect request with the protocol id', () => {
    const bytes = encodeConnectRequest(0xdeadbeef);
    expect([...bytes]).toEqual([0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]);
  });

  it('encodes an announce request field by field', () => {
    const connectionId = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const bytes = encodeAnnounceRequest(connectionId, 42, { ...params, event: 'stopped', key: 0xffffffff });
    const view = new DataView(bytes.buffer);
    expect(bytes.length).toBe(98);
    expect([...bytes.subarray(0, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(view.getUint32(8)).toBe(1);
    expect(view.getUint32(12)).toBe(42);
    expect(bytes.subarray(16, 36)).toEqual(params.infoHash);
    expect(bytes.subarray(36, 56)).toEqual(params.peerId);
    expect(view.getBigUint64(56)).toBe(2n ** 40n);
    expect(view.getBigUint64(64)).toBe(1n);
    expect(view.getBigUint64(72)).toBe(3n);
    expect(view.getUint32(80)).toBe(3);
    expect(view.getUint32(84)).toBe(0);
    expect(view.getUint32(88)).toBe(0xffffffff);
    expect(view.getInt32(92)).toBe(-1);
    expect(view.getUint16(96)).toBe(6881);
  });

  it.each([
    [undefined, 0],
    ['completed', 1],
    ['started', 2],
    ['stopped', 3],
  ] as const)('event %s has code %i', (event, code) => {
    const bytes = encodeAnnounceRequest(new Uint8Array(8), 1, event === undefined ? params : { ...params, event });
    expect(new DataView(bytes.buffer).getUint32(80)).toBe(code);
  });

  it('writes num_want when given', () => {
    const bytes = encodeAnnounceRequest(new Uint8Array(8), 1, { ...params, numWant: 30 });
    expect(new DataView(bytes.buffer).getInt32(92)).toBe(30);
  });

  it('decodes connect, announce (v4 and v6) and error responses', () => {
    const connect = new Uint8Array(16);
    connect.set(datagram(0, 7));
    connect.set([9, 9, 9, 9, 9, 9, 9, 9], 8);
    expect(decodeUdpResponse(connect, 4)).toEqual({ action: 'connect', transactionId: 7, connectionId: new Uint8Array(8).fill(9) });

    const announce = new Uint8Array(26);
    announce.set(datagram(1, 8, 1800, 5, 6));
    announce.set([127, 0, 0, 1, 0x1a, 0xe1], 20);
    expect(decodeUdpResponse(announce, 4)).toEqual({
      action: 'announce',
      transactionId: 8,
      interval: 1800,
      leechers: 5,
      seeders: 6,
      peers: [{ host: '127.0.0.1', port: 6881 }],
    });

    const announce6 = new Uint8Array(38);
    announce6.set(datagram(1, 8, 1800, 5, 6));
    announce6[35] = 1;
    announce6[37] = 80;
    expect(decodeUdpResponse(announce6, 6)).toMatchObject({ peers: [{ host: '::1', port: 80 }] });

    const error = new Uint8Array([...datagram(3, 9), ...new TextEncoder().encode('nope')]);
    expect(decodeUdpResponse(error, 4)).toEqual({ action: 'error', transactionId: 9, message: 'nope' });
  });

  it.each([
    ['short datagram', new Uint8Array(7)],
    ['short connect', datagram(0, 1, 2)],
    ['short announce', datagram(1, 1, 2, 3)],
    ['ragged peers', new Uint8Array([...datagram(1, 1, 2, 3, 4), 1, 2, 3])],
    ['unknown action', datagram(9, 1)],
  ])('rejects a %s', (_name, bytes) => {
    expect(() => decodeUdpResponse(bytes, 4)).toThrow(TrackerError);
  });

  it('peeks the transaction id', () => {
    expect(peekTransactionId(datagram(1, 0x01020304))).toBe(0x01020304);
    expect(peekTransactionId(new Uint8Array(7))).toBeUndefined();
  });

  it('throws nothing but TrackerError on arbitrary datagrams', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.constantFrom(4 as const, 6 as const), (bytes, family) => {
        try {
          const response = decodeUdpResponse(bytes, family);
          expect(response.transactionId).toBe(peekTransactionId(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(TrackerError);
        }
      }),
      { numRuns: runs },
    );
  });
});
