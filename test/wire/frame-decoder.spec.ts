import { describe, it, expect } from 'vitest';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';
import type { FrameDecoderOptions, FrameEvent } from '../../src/wire/frame-decoder.js';
import { encodeMessage } from '../../src/wire/encode-message.js';
import { encodeHandshake, encodeReserved } from '../../src/wire/handshake.js';
import type { PeerMessage } from '../../src/wire/messages.js';
import { WireError } from '../../src/wire/wire-error.js';
import type { WireErrorDetail } from '../../src/wire/wire-error.js';
import { concat, hex } from './arbitraries.js';

function decoder(options: FrameDecoderOptions = {}): { d: FrameDecoder; events: FrameEvent[] } {
  const events: FrameEvent[] = [];
  return { d: new FrameDecoder((e) => events.push(e), options), events };
}

function wireError(f: () => void): WireErrorDetail {
  try {
    f();
  } catch (err) {
    if (err instanceof WireError) return err.detail;
    throw err;
  }
  throw new Error('expected a WireError');
}

const infoHash = new Uint8Array(20).fill(7);
const peerId = new Uint8Array(20).fill(9);

describe('FrameDecoder', () => {
  it('emits each message of a chunk, in order', () => {
    const messages: PeerMessage[] = [
      { type: 'keep-alive' }, { type: 'unchoke' }, { type: 'have', index: 3 },
      { type: 'piece', index: 1, begin: 0, block: hex('0102030405') }, { type: 'have-none' },
    ];
    const { d, events } = decoder();
    d.push(concat(messages.map(encodeMessage)));
    expect(events).toEqual(messages);
    expect(d.bufferedBytes).toBe(0);
  });

  it('reassembles messages fed one byte at a time', () => {
    const messages: PeerMessage[] = [
      { type: 'request', index: 1, begin: 2, length: 3 },
      { type: 'extended', id: 0, payload: hex('64656565') },
      { type: 'bitfield', bits: hex('ff0f') },
    ];
    const bytes = concat(messages.map(encodeMessage));
    const { d, events } = decoder();
    for (let i = 0; i < bytes.length; i++) d.push(bytes.subarray(i, i + 1));
    expect(events).toEqual(messages);
  });

  it('emits a view when a block lies in one chunk, and one exact copy when it spans chunks', () => {
    const block = new Uint8Array(100).map((_, i) => i);
    const frame = encodeMessage({ type: 'piece', index: 0, begin: 0, block });
    const { d, events } = decoder();
    d.push(frame);
    d.push(frame.subarray(0, 50));
    d.push(frame.subarray(50));
    const [inOne, spanning] = events;
    if (inOne?.type !== 'piece' || spanning?.type !== 'piece') throw new Error('expected two pieces');
    expect(inOne.block.buffer).toBe(frame.buffer);
    expect(spanning.block.buffer).not.toBe(frame.buffer);
    expect(spanning.block.buffer.byteLength).toBe(108);
    expect(spanning.block).toEqual(block);
  });

  it('expects the handshake first when asked, then messages', () => {
    const hs = encodeHandshake({ infoHash, peerId, reserved: encodeReserved({ fast: true }) });
    const { d, events } = decoder({ handshake: true });
    d.push(concat([hs, encodeMessage({ type: 'have-all' })]).subarray(0, 30));
    expect(events).toEqual([]);
    d.push(concat([hs, encodeMessage({ type: 'have-all' })]).subarray(30));
    expect(events).toEqual([
      { type: 'handshake', infoHash, peerId, reserved: encodeReserved({ fast: true }), extensions: { fast: true, extended: false, dht: false } },
      { type: 'have-all' },
    ]);
  });

  it('rejects a non-BitTorrent peer from its first byte', () => {
    const { d } = decoder({ handshake: true });
    d.push(hex('13'));
    expect(wireError(() => d.push(hex('62')))).toEqual({ kind: 'bad-protocol', pstrlen: 0x13, protocol: 'b' });
  });

  it('rejects an oversized frame from its length prefix alone', () => {
    const { d } = decoder({ maxLength: 1000 });
    expect(wireError(() => d.push(hex('000003e9')))).toEqual({ kind: 'frame-too-large', length: 1001, max: 1000 });
  });

  it('rejects a frame bigger than the default limits before buffering it', () => {
    const { d } = decoder();
    expect(wireError(() => d.push(hex('7fffffff')))).toEqual({ kind: 'frame-too-large', length: 0x7fffffff, max: d.maxLength });
    expect(d.bufferedBytes).toBe(0);
  });

  it('rejects a mis-sized message as soon as its id is read', () => {
    const { d } = decoder();
    d.push(hex('00000009'));
    expect(wireError(() => d.push(hex('04')))).toEqual({ kind: 'bad-length', id: 4, length: 8, min: 4, max: 4 });
  });

  it('rejects a piece block above maxBlockLength as soon as its id is read', () => {
    const { d } = decoder({ maxBlockLength: 32 * 1024 });
    d.push(hex('00008009 07'));
    expect(d.bufferedBytes).toBe(0);
    const next = decoder({ maxBlockLength: 32 * 1024 });
    expect(wireError(() => next.d.push(hex('0000800a 07')))).toEqual({ kind: 'bad-length', id: 7, length: 32 * 1024 + 9, min: 8, max: 8 + 32 * 1024 });
  });

  it('accepts a 32 KiB block under the default limits', () => {
    const block = new Uint8Array(32 * 1024);
    const { d, events } = decoder();
    d.push(encodeMessage({ type: 'piece', index: 0, begin: 0, block }));
    expect(events).toEqual([{ type: 'piece', index: 0, begin: 0, block }]);
  });

  it('bounds a bitfield by maxPieceCount', () => {
    const { d } = decoder({ maxPieceCount: 16 });
    expect(wireError(() => d.push(hex('00000004 05 ff')))).toEqual({ kind: 'bad-length', id: 5, length: 3, min: 1, max: 2 });
  });

  it('passes unknown ids on by default and rejects them when asked', () => {
    const frame = hex('00000002 63 01');
    const lenient = decoder();
    lenient.d.push(frame);
    expect(lenient.events).toEqual([{ type: 'unknown', id: 0x63, payload: hex('01') }]);
    const strict = decoder({ unknownIds: 'error' });
    expect(wireError(() => strict.d.push(frame))).toEqual({ kind: 'unknown-id', id: 0x63 });
  });

  it('stays failed: later pushes throw the same error and emit nothing', () => {
    const { d, events } = decoder();
    const first = wireError(() => d.push(hex('00000001 04')));
    expect(wireError(() => d.push(encodeMessage({ type: 'choke' })))).toBe(first);
    expect(events).toEqual([]);
  });

  it('reports a stream that ends inside a frame', () => {
    const ok = decoder();
    ok.d.push(encodeMessage({ type: 'choke' }));
    expect(() => ok.d.end()).not.toThrow();
    const midLength = decoder();
    midLength.d.push(hex('0000'));
    expect(wireError(() => midLength.d.end())).toEqual({ kind: 'truncated', buffered: 2, expected: 4 });
    const midPayload = decoder();
    midPayload.d.push(hex('0000000d 06 0000'));
    expect(wireError(() => midPayload.d.end())).toEqual({ kind: 'truncated', buffered: 7, expected: 17 });
    const midHandshake = decoder({ handshake: true });
    midHandshake.d.push(encodeHandshake({ infoHash, peerId }).subarray(0, 40));
    expect(wireError(() => midHandshake.d.end())).toEqual({ kind: 'truncated', buffered: 40, expected: 68 });
  });

  it('stops emitting when closed from inside the sink', () => {
    const events: FrameEvent[] = [];
    const d: FrameDecoder = new FrameDecoder((e) => {
      events.push(e);
      d.close();
    });
    d.push(concat([encodeMessage({ type: 'choke' }), encodeMessage({ type: 'unchoke' })]));
    d.push(encodeMessage({ type: 'interested' }));
    expect(events).toEqual([{ type: 'choke' }]);
    expect(d.bufferedBytes).toBe(0);
  });

  it('keeps no more than the current frame buffered across many partial chunks', () => {
    const frame = encodeMessage({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(1000) });
    const stream = concat(Array.from({ length: 50 }, () => frame));
    const { d, events } = decoder({ maxLength: 1009 });
    for (let at = 0; at < stream.length; at += 700) {
      d.push(stream.subarray(at, at + 700));
      expect(d.bufferedBytes).toBeLessThan(1009 + 4);
    }
    expect(events).toHaveLength(50);
  });
});
