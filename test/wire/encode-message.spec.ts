import { describe, it, expect } from 'vitest';
import { encodeMessage, encodePieceHeader, encodeRequests } from '../../src/wire/encode-message.js';
import type { PeerMessage } from '../../src/wire/messages.js';
import { WireError } from '../../src/wire/wire-error.js';
import { concat, hex } from './arbitraries.js';

const cases: [string, PeerMessage, string][] = [
  ['keep-alive', { type: 'keep-alive' }, '00000000'],
  ['choke', { type: 'choke' }, '00000001 00'],
  ['unchoke', { type: 'unchoke' }, '00000001 01'],
  ['interested', { type: 'interested' }, '00000001 02'],
  ['not-interested', { type: 'not-interested' }, '00000001 03'],
  ['have', { type: 'have', index: 0x01020304 }, '00000005 04 01020304'],
  ['bitfield', { type: 'bitfield', bits: hex('ff80') }, '00000003 05 ff80'],
  ['request', { type: 'request', index: 1, begin: 0x4000, length: 0x4000 }, '0000000d 06 00000001 00004000 00004000'],
  ['piece', { type: 'piece', index: 2, begin: 0, block: hex('aabbcc') }, '0000000c 07 00000002 00000000 aabbcc'],
  ['cancel', { type: 'cancel', index: 0xffffffff, begin: 1, length: 2 }, '0000000d 08 ffffffff 00000001 00000002'],
  ['port', { type: 'port', port: 6881 }, '00000003 09 1ae1'],
  ['suggest', { type: 'suggest', index: 7 }, '00000005 0d 00000007'],
  ['have-all', { type: 'have-all' }, '00000001 0e'],
  ['have-none', { type: 'have-none' }, '00000001 0f'],
  ['reject', { type: 'reject', index: 3, begin: 4, length: 5 }, '0000000d 10 00000003 00000004 00000005'],
  ['allowed-fast', { type: 'allowed-fast', index: 9 }, '00000005 11 00000009'],
  ['extended', { type: 'extended', id: 0, payload: hex('6465') }, '00000004 14 00 6465'],
  ['unknown', { type: 'unknown', id: 0x42, payload: hex('01') }, '00000002 42 01'],
];

describe('encodeMessage', () => {
  it.each(cases)('encodes %s', (_name, message, bytes) => {
    expect(encodeMessage(message)).toEqual(hex(bytes));
  });

  it('encodes an empty piece block and an empty extended payload', () => {
    expect(encodeMessage({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(0) })).toEqual(hex('00000009 07 00000000 00000000'));
    expect(encodeMessage({ type: 'extended', id: 3, payload: new Uint8Array(0) })).toEqual(hex('00000002 14 03'));
  });

  it.each([
    [{ type: 'have', index: -1 }, 'index'],
    [{ type: 'have', index: 2 ** 32 }, 'index'],
    [{ type: 'request', index: 0, begin: 1.5, length: 1 }, 'begin'],
    [{ type: 'port', port: 65536 }, 'port'],
    [{ type: 'extended', id: 256, payload: new Uint8Array(0) }, 'extended id'],
  ] satisfies [PeerMessage, string][])('rejects an out-of-range field: %o', (message, field) => {
    const err = catchError(() => encodeMessage(message));
    expect(err).toBeInstanceOf(WireError);
    expect(err?.detail).toMatchObject({ kind: 'out-of-range', field });
    expect(err?.message).toContain(field);
  });
});

describe('encodeRequests', () => {
  it('is the requests encodeMessage makes, back to back, and nothing for none', () => {
    const requests = [{ index: 0, begin: 0, length: 16384 }, { index: 1, begin: 0x4000, length: 7 }, { index: 0xffffffff, begin: 1, length: 2 }];
    expect(encodeRequests(requests)).toEqual(concat(requests.map((r) => encodeMessage({ type: 'request', ...r }))));
    expect(encodeRequests([])).toEqual(new Uint8Array(0));
  });

  it('rejects an out-of-range field anywhere in the batch', () => {
    const err = catchError(() => encodeRequests([{ index: 0, begin: 0, length: 1 }, { index: 0, begin: -1, length: 1 }]));
    expect(err?.detail).toMatchObject({ kind: 'out-of-range', field: 'begin' });
  });
});

describe('encodePieceHeader', () => {
  it('is the first 13 bytes of the encoded piece message', () => {
    const block = new Uint8Array(16384).map((_, i) => i & 0xff);
    const whole = encodeMessage({ type: 'piece', index: 12, begin: 16384, block });
    const header = encodePieceHeader(12, 16384, block.length);
    expect(header).toHaveLength(13);
    expect(concat([header, block])).toEqual(whole);
  });

  it('rejects a negative index', () => {
    expect(() => encodePieceHeader(-1, 0, 0)).toThrow(WireError);
  });
});

function catchError(f: () => unknown): WireError | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof WireError) return err;
    throw err;
  }
  return undefined;
}
