import { describe, it, expect } from 'vitest';
import { of } from 'rxjs';
import { frames } from '../../src/operators/frames.js';
import { encodeMessage } from '../../src/wire/encode-message.js';
import { encodeHandshake, encodeReserved } from '../../src/wire/handshake.js';
import { WireError } from '../../src/wire/wire-error.js';
import { marbles } from '../helpers/marbles.js';

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

const have7 = encodeMessage({ type: 'have', index: 7 });
const unchoke = encodeMessage({ type: 'unchoke' });
const block = bytes(1, 2, 3);
const piece = encodeMessage({ type: 'piece', index: 1, begin: 16384, block });
const infoHash = new Uint8Array(20).fill(0xab);
const peerId = new Uint8Array(20).fill(0x2d);
const handshake = encodeHandshake({ infoHash, peerId, reserved: encodeReserved({ extended: true }) });

describe('frames', () => {
  it('emits whole messages from chunks split anywhere', marbles((m) => {
    const source = m.cold('-a-b-c-d----|', {
      a: concat(unchoke, have7).subarray(0, 2),
      b: concat(unchoke, have7).subarray(2, 7),
      c: concat(unchoke, have7).subarray(7),
      d: concat(piece, unchoke),
    });
    m.expect(source.pipe(frames())).toBeObservable('---u-h-(pv)-|', {
      u: { type: 'unchoke' },
      h: { type: 'have', index: 7 },
      p: { type: 'piece', index: 1, begin: 16384, block },
      v: { type: 'unchoke' },
    });
    m.expect(source).toHaveSubscriptions('^-----------!');
  }));

  it('emits the handshake first when one is expected', marbles((m) => {
    const source = m.cold('-a-b----|', { a: handshake.subarray(0, 50), b: concat(handshake.subarray(50), have7) });
    m.expect(source.pipe(frames({ handshake: true }))).toBeObservable('---(sh)-|', {
      s: { type: 'handshake', infoHash, peerId, reserved: encodeReserved({ extended: true }), extensions: { fast: false, extended: true, dht: false } },
      h: { type: 'have', index: 7 },
    });
    m.expect(source).toHaveSubscriptions('^-------!');
  }));

  it('unsubscribing the output unsubscribes the source', marbles((m) => {
    const source = m.cold('-a-a-a-a-|', { a: unchoke });
    m.expect(source.pipe(frames()), '^----!').toBeObservable('-u-u--', { u: { type: 'unchoke' } });
    m.expect(source).toHaveSubscriptions('^----!');
  }));

  it('errors once with a WireError after a bad frame and unsubscribes the source', marbles((m) => {
    const source = m.cold('-a-b-a-|', { a: unchoke, b: bytes(0, 0, 0, 9, 4) });
    m.expect(source.pipe(frames())).toBeObservable('-u-#', { u: { type: 'unchoke' } },
      new WireError({ kind: 'bad-length', id: 4, length: 8, min: 4, max: 4 }));
    m.expect(source).toHaveSubscriptions('^--!');
  }));

  it('errors with frame-too-large before buffering an oversized frame', marbles((m) => {
    const source = m.cold('-a-b-|', { a: bytes(0, 0, 1, 0), b: new Uint8Array(256) });
    m.expect(source.pipe(frames({ maxLength: 255 }))).toBeObservable('-#', undefined,
      new WireError({ kind: 'frame-too-large', length: 256, max: 255 }));
    m.expect(source).toHaveSubscriptions('^!');
  }));

  it('errors with truncated when the source completes inside a frame', marbles((m) => {
    const source = m.cold('-a-|', { a: have7.subarray(0, 6) });
    m.expect(source.pipe(frames())).toBeObservable('---#', undefined,
      new WireError({ kind: 'truncated', buffered: 6, expected: 9 }));
    m.expect(source).toHaveSubscriptions('^--!');
  }));

  it('passes a source error through', marbles((m) => {
    const source = m.cold('-a-#', { a: unchoke }, new Error('socket reset'));
    m.expect(source.pipe(frames())).toBeObservable('-u-#', { u: { type: 'unchoke' } }, new Error('socket reset'));
    m.expect(source).toHaveSubscriptions('^--!');
  }));

  it('errors with a WireError instance carrying the detail', () => {
    const errors: unknown[] = [];
    const sink = { next: () => undefined, error: (e: unknown) => errors.push(e) };
    of(bytes(0x13), bytes(0x62), unchoke).pipe(frames({ handshake: true })).subscribe(sink);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(WireError);
    expect(errors[0] instanceof WireError && errors[0].detail.kind).toBe('bad-protocol');
  });
});
