import { describe, expect, it } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import type { PeerCommand, PeerEvent } from '../../src/peer/peer-events.js';
import { ev, req, session, theirHandshake, wire } from './session-setup.js';

const h = theirHandshake();
const hFast = theirHandshake({ fast: true });
const r = (index: number, begin: number) => wire({ type: 'request', index, begin, length: 16 });
const unchoke: PeerCommand = { type: 'unchoke' };
const piece = (index: number, begin: number): PeerCommand => ({ type: 'piece', index, begin, data: new Uint8Array(16) });
const requestEvent = (index: number, begin: number): PeerEvent => ({ type: 'request', request: req(index, begin, 16) });

describe('peerSession: serving the peer', () => {
  it('closes on a request flood: more excess requests than the cap with no piece sent', marbles((m) => {
    // 3 are queued; the 4th to 6th over the cap are dropped; the 7th is one too many.
    const s = session(m, {
      data: '--h 6ms (abcdefg)',
      values: { h, a: r(0, 0), b: r(0, 16), c: r(0, 32), d: r(0, 48), e: r(0, 64), f: r(0, 80), g: r(0, 96) },
      commands: '---u',
      commandValues: { u: unchoke },
      options: { maxQueuedRequests: 3 },
    });
    m.expect(s.events$).toBeObservable('-cH 6ms (xyzC|)', {
      c: ev.connected, H: ev.handshake(),
      x: requestEvent(0, 0), y: requestEvent(0, 16), z: requestEvent(0, 32),
      C: ev.closed({ kind: 'request-flood', max: 3 }),
    });
    m.expect(s.connection$).toHaveSubscriptions('^ 8ms !');
  }));

  it('tolerates a peer that queues more than our reqq (as aria2 does): the excess is dropped', marbles((m) => {
    const s = session(m, {
      data: '--h 6ms (abcde)',
      values: { h, a: r(0, 0), b: r(0, 16), c: r(0, 32), d: r(0, 48), e: r(0, 64) },
      commands: '---u',
      commandValues: { u: unchoke },
      options: { maxQueuedRequests: 3 },
    });
    m.expect(s.events$, '^ 20ms !').toBeObservable('-cH 6ms (xyz)', {
      c: ev.connected, H: ev.handshake(),
      x: requestEvent(0, 0), y: requestEvent(0, 16), z: requestEvent(0, 32),
    });
    m.expect(s.connection$).toHaveSubscriptions('^ 20ms !');
  }));

  it('ignores requests while choking, rejects them with BEP 6, and closes on a bad index', marbles((m) => {
    const plain = session(m, { data: '--h-a', values: { h, a: r(0, 0) } });
    const fast = session(m, { data: '--h-a-b', values: { h: hFast, a: r(0, 0), b: r(9, 0) } });
    m.expect(plain.events$, '^ 9ms !').toBeObservable('-cH', { c: ev.connected, H: ev.handshake() });
    m.expect(fast.events$).toBeObservable('-cH---(C|)', {
      c: ev.connected, H: ev.handshake(true), C: ev.closed({ kind: 'bad-request', index: 9, begin: 0, length: 16 }),
    });
    m.flush();
    expect(plain.fake.written).toEqual([[1, 'handshake'], [2, 'bitfield f0']]);
    expect(fast.fake.written).toEqual([[1, 'handshake'], [2, 'bitfield f0'], [4, 'reject 0:0:16']]);
  }));

  it('closes on a request that runs past the end of its piece, when it knows piece lengths', marbles((m) => {
    const s = session(m, {
      data: '--h-ab', values: { h, a: r(0, 16), b: r(0, 24) }, commands: '---u', commandValues: { u: unchoke }, pieceLength: 32,
    });
    m.expect(s.events$).toBeObservable('-cH-x(C|)', {
      c: ev.connected, H: ev.handshake(), x: requestEvent(0, 16),
      C: ev.closed({ kind: 'bad-request', index: 0, begin: 24, length: 16 }),
    });
  }));

  it('answers with piece commands, drops cancelled ones, and waits for drain when the socket is full', marbles((m) => {
    const s = session(m, {
      data: '--h 2ms (abc) 2ms x',
      values: { h, a: r(0, 0), b: r(0, 16), c: r(0, 32), x: wire({ type: 'cancel', index: 0, begin: 32, length: 16 }) },
      commands: '---u 7ms (pqr)',
      commandValues: { u: unchoke, p: piece(0, 0), q: piece(0, 16), r: piece(0, 32) },
    });
    m.scheduler.schedule(() => { s.fake.writable = false; }, 10);
    m.scheduler.schedule(() => s.fake.drain.next(), 20);
    m.expect(s.events$, '^ 30ms !').toBeObservable('-cH 2ms (xyz) 2ms X', {
      c: ev.connected, H: ev.handshake(),
      x: requestEvent(0, 0), y: requestEvent(0, 16), z: requestEvent(0, 32),
      X: { type: 'cancel', request: req(0, 32, 16) },
    });
    m.flush();
    expect(s.fake.written.slice(2)).toEqual([[3, 'unchoke'], [11, 'piece 0:0:16'], [20, 'piece 0:16:16']]);
  }));

  it('announces at most uploadWindow requests at once; the rest wait, and a cancelled waiting one is never announced', marbles((m) => {
    // 4 requests with a window of 2: a and b are announced; the peer cancels d while it waits (a reject, no cancel event);
    // each piece sent makes room for the next waiting one (c, then nothing: d is gone).
    const s = session(m, {
      data: '--h 2ms (abcd) x',
      values: { h: hFast, a: r(0, 0), b: r(0, 16), c: r(0, 32), d: r(0, 48), x: wire({ type: 'cancel', index: 0, begin: 48, length: 16 }) },
      commands: '---u 7ms p-q-r',
      commandValues: { u: unchoke, p: piece(0, 0), q: piece(0, 16), r: piece(0, 32) },
      options: { uploadWindow: 2 },
    });
    m.expect(s.events$, '^ 30ms !').toBeObservable('-cH 2ms (ab) 2ms z', {
      c: ev.connected, H: ev.handshake(true),
      a: requestEvent(0, 0), b: requestEvent(0, 16), z: requestEvent(0, 32),
    });
    m.flush();
    expect(s.fake.written.slice(2)).toEqual([
      [3, 'unchoke'], [11, 'reject 0:48:16'], [11, 'piece 0:0:16'], [13, 'piece 0:16:16'], [15, 'piece 0:32:16'],
    ]);
  }));

  it('choking the peer drops its queue; with BEP 6 each request is rejected after the choke', marbles((m) => {
    const s = session(m, {
      data: '--h 2ms (ab)',
      values: { h: hFast, a: r(0, 0), b: r(0, 16) },
      commands: '---u 7ms k-p',
      commandValues: { u: unchoke, k: { type: 'choke' }, p: piece(0, 0) },
    });
    m.expect(s.events$, '^ 20ms !').toBeObservable('-cH 2ms (ab)', {
      c: ev.connected, H: ev.handshake(true), a: requestEvent(0, 0), b: requestEvent(0, 16),
    });
    m.flush();
    expect(s.fake.written.slice(2)).toEqual([[3, 'unchoke'], [11, 'choke'], [11, 'reject 0:0:16'], [11, 'reject 0:16:16']]);
  }));

  it('sends have and tracks interest without repeating itself; a bad have index closes', marbles((m) => {
    const s = session(m, {
      data: '--h',
      values: { h },
      commands: '---iij-v',
      commandValues: { i: { type: 'interested' }, j: { type: 'have', index: 5 }, v: { type: 'have', index: 8 } },
    });
    m.expect(s.events$).toBeObservable('-cH----(C|)', {
      c: ev.connected, H: ev.handshake(),
      C: ev.closed({ kind: 'bad-command', command: 'have', message: expect.stringContaining('8') }),
    });
    m.flush();
    expect(s.fake.written.slice(2)).toEqual([[3, 'interested'], [5, 'have 5']]);
  }));
});
