import { describe, it, expect } from 'vitest';
import { decodeMessage } from '../../src/wire/decode-message.js';
import { MessageId } from '../../src/wire/messages.js';
import type { PeerMessage } from '../../src/wire/messages.js';
import { DEFAULT_WIRE_LIMITS } from '../../src/wire/message-limits.js';
import { WireError } from '../../src/wire/wire-error.js';
import { hex } from './arbitraries.js';

const cases: [string, number, string, PeerMessage][] = [
  ['choke', 0, '', { type: 'choke' }],
  ['unchoke', 1, '', { type: 'unchoke' }],
  ['interested', 2, '', { type: 'interested' }],
  ['not-interested', 3, '', { type: 'not-interested' }],
  ['have', 4, 'ffffffff', { type: 'have', index: 0xffffffff }],
  ['bitfield', 5, 'f0', { type: 'bitfield', bits: hex('f0') }],
  ['request', 6, '00000001 00004000 00004000', { type: 'request', index: 1, begin: 0x4000, length: 0x4000 }],
  ['piece', 7, '00000002 00000010 0102', { type: 'piece', index: 2, begin: 16, block: hex('0102') }],
  ['cancel', 8, '00000001 00000002 00000003', { type: 'cancel', index: 1, begin: 2, length: 3 }],
  ['port', 9, 'c8d5', { type: 'port', port: 51413 }],
  ['suggest', 0x0d, '00000005', { type: 'suggest', index: 5 }],
  ['have-all', 0x0e, '', { type: 'have-all' }],
  ['have-none', 0x0f, '', { type: 'have-none' }],
  ['reject', 0x10, '00000001 00000002 00000003', { type: 'reject', index: 1, begin: 2, length: 3 }],
  ['allowed-fast', 0x11, '0000000a', { type: 'allowed-fast', index: 10 }],
  ['extended', 20, '01 6431', { type: 'extended', id: 1, payload: hex('6431') }],
  ['unknown', 0x63, 'abcd', { type: 'unknown', id: 0x63, payload: hex('abcd') }],
  ['unknown without payload', 0xff, '', { type: 'unknown', id: 0xff, payload: new Uint8Array(0) }],
];

describe('decodeMessage', () => {
  it.each(cases)('decodes %s', (_name, id, payload, expected) => {
    expect(decodeMessage(id, hex(payload))).toEqual(expected);
  });

  it('returns views into the payload for piece, bitfield and extended (the frame owns them)', () => {
    const payload = hex('00000000 00000000 0a0b0c');
    const piece = decodeMessage(MessageId.piece, payload);
    if (piece.type !== 'piece') throw new Error(`expected a piece, got ${piece.type}`);
    expect(piece.block.buffer).toBe(payload.buffer);
    expect(piece.block.byteOffset).toBe(payload.byteOffset + 8);
    const bits = hex('ff');
    const bitfield = decodeMessage(MessageId.bitfield, bits);
    expect(bitfield.type === 'bitfield' && bitfield.bits.buffer === bits.buffer).toBe(true);
  });

  const badLengths: [string, number, number, number, number][] = [
    ['choke with a payload', MessageId.choke, 1, 0, 0],
    ['have-all with a payload', MessageId.haveAll, 4, 0, 0],
    ['have of 3 bytes', MessageId.have, 3, 4, 4],
    ['have of 5 bytes', MessageId.have, 5, 4, 4],
    ['suggest of 8 bytes', MessageId.suggest, 8, 4, 4],
    ['allowed-fast of 0 bytes', MessageId.allowedFast, 0, 4, 4],
    ['request of 13 bytes', MessageId.request, 13, 12, 12],
    ['cancel of 11 bytes', MessageId.cancel, 11, 12, 12],
    ['reject of 0 bytes', MessageId.reject, 0, 12, 12],
    ['port of 4 bytes', MessageId.port, 4, 2, 2],
    ['piece of 7 bytes', MessageId.piece, 7, 8, 8 + DEFAULT_WIRE_LIMITS.maxBlockLength],
    ['piece with a block over the limit', MessageId.piece, 9 + DEFAULT_WIRE_LIMITS.maxBlockLength, 8, 8 + DEFAULT_WIRE_LIMITS.maxBlockLength],
    ['empty bitfield', MessageId.bitfield, 0, 1, DEFAULT_WIRE_LIMITS.maxPieceCount / 8],
    ['extended without its id', MessageId.extended, 0, 1, 1 + DEFAULT_WIRE_LIMITS.maxExtendedLength],
  ];

  it.each(badLengths)('rejects %s with bad-length', (_name, id, length, min, max) => {
    let caught: unknown;
    try {
      decodeMessage(id, new Uint8Array(length));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WireError);
    expect(caught instanceof WireError && caught.detail).toEqual({ kind: 'bad-length', id, length, min, max });
    expect(caught instanceof WireError && caught.message).toMatch(new RegExp(`message id ${id} has a ${length}-byte payload`));
  });

  it('applies custom limits', () => {
    const limits = { maxBlockLength: 16, maxPieceCount: 16, maxExtendedLength: 4 };
    expect(() => decodeMessage(MessageId.piece, new Uint8Array(8 + 16), limits)).not.toThrow();
    expect(() => decodeMessage(MessageId.piece, new Uint8Array(8 + 17), limits)).toThrow(WireError);
    expect(() => decodeMessage(MessageId.bitfield, new Uint8Array(2), limits)).not.toThrow();
    expect(() => decodeMessage(MessageId.bitfield, new Uint8Array(3), limits)).toThrow(WireError);
    expect(() => decodeMessage(MessageId.extended, new Uint8Array(6), limits)).toThrow(WireError);
  });
});
