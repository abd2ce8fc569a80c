import { describe, expect, it } from 'vitest';
import { filter } from 'rxjs';
import { marbles } from '../helpers/marbles.js';
import type { PeerCommand } from '../../src/peer/peer-events.js';
import { block, ev, req, requestCommand, session, theirHandshake, wire } from './session-setup.js';

const h = theirHandshake();
const hFast = theirHandshake({ fast: true });
const u = wire({ type: 'unchoke' });
const k = wire({ type: 'choke' });
const a = requestCommand(0, 0, 16);
const b = requestCommand(0, 16, 16);

describe('peerSession: the request pipeline', () => {
  it('asks for at least 5 requests when unchoked, and for more as the rate grows', marbles((m) => {
    const requests: Record<string, PeerCommand> = {};
    for (let i = 0; i < 5; i++) requests['abcde'.charAt(i)] = requestCommand(0, i * 16, 16);
    const s = session(m, {
      data: '--hu 6ms (pq)',
      values: { h, u, p: block(0, 0, 16), q: block(0, 16, 16) },
      commands: '-----(abcde)',
      commandValues: requests,
      options: { blockSize: 4, rateInterval: 1000 },
    });
    // Slow start: 16 B in the window's first 100 ms is 160 B/s: ceil(160 · 2 / 4) = 80 in flight,
    // 4 are (want 76); 32 B is 320 B/s: 160, 3 are (want 157). After the window the measured
    // 32 B/s counts: ceil(32 · 2 / 4) = 16 in flight, 3 are (want 13).
    m.expect(s.events$, '^ 1010ms !').toBeObservable('-cH(Uw) 3ms (PvQx) 986ms (Ry)', {
      c: ev.connected,
      H: ev.handshake(),
      U: { type: 'unchoked' },
      w: ev.want(5),
      P: ev.block(0, 0, 16),
      v: ev.want(76),
      Q: ev.block(0, 16, 16),
      x: ev.want(157),
      R: { type: 'rate', down: 32, up: 0 },
      y: ev.want(13),
    });
    m.expect(s.commands$).toHaveSubscriptions('--^ 1008ms !');
    m.flush();
    expect(s.fake.written.slice(2).map(([at, what]) => `${at} ${what}`)).toEqual([
      '5 request 0:0:16', '5 request 0:16:16', '5 request 0:32:16', '5 request 0:48:16', '5 request 0:64:16',
    ]);
  }));

  it('asks once while its want is unfilled, not per block; a choke clears what it was owed', marbles((m) => {
    const requests: Record<string, PeerCommand> = {};
    for (let i = 0; i < 5; i++) requests['abcde'.charAt(i)] = requestCommand(0, i * 16, 16);
    const s = session(m, {
      data: '--hu 6ms (pqrst) 4ms (ku)',
      values: { h, u, k, p: block(0, 0, 16), q: block(0, 16, 16), r: block(0, 32, 16), s: block(0, 48, 16), t: block(0, 64, 16) },
      commands: '-----(abcde)',
      commandValues: requests,
      options: { blockSize: 4, rateInterval: 1000, maxPipeline: 40 },
    });
    // The first block makes the depth 40 (the cap), 4 in flight: want 36. No request comes, so
    // the next four blocks leave the session owed 36 while it would take 37 to 40: less than a
    // batch (40 / 2) more, so it does not ask again. The choke ends the want; the unchoke asks
    // for the whole depth.
    m.expect(s.events$, '^ 40ms !').toBeObservable('-cH(Uw) 3ms (PvQRST) 3ms (KUx)', {
      c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5),
      P: ev.block(0, 0, 16), Q: ev.block(0, 16, 16), R: ev.block(0, 32, 16), S: ev.block(0, 48, 16), T: ev.block(0, 64, 16),
      v: ev.want(36), K: { type: 'choked' }, x: ev.want(40),
    });
  }));

  it('sends a `requests` batch in one write, and reports what does not fit in one event', marbles((m) => {
    const batch = [0, 1, 2, 3, 4, 5, 6].map((i) => req(0, i * 16, 16));
    const s = session(m, {
      data: '--hu',
      values: { h, u },
      commands: '----------r',
      commandValues: { r: { type: 'requests', requests: batch } },
      options: { maxPipeline: 5 },
    });
    m.expect(s.events$, '^ 20ms !').toBeObservable('-cH(Uw) 3ms F', {
      c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5),
      F: { type: 'requests-dropped', requests: batch.slice(5), reason: 'full' },
    });
    m.flush();
    expect(s.fake.written.slice(2)).toEqual(batch.slice(0, 5).map((r) => [10, `request 0:${r.begin}:16`]));
    expect(s.fake.writes.filter(([at]) => at === 10)).toEqual([[10, 1]]); // one write of one buffer: the 5 frames
  }));

  it('reports the rate in whole bytes per second', marbles((m) => {
    const s = session(m, {
      data: '--hu 6ms (pq)',
      values: { h, u, p: block(0, 0, 16), q: block(0, 16, 16) },
      commands: '-----(ab)',
      commandValues: { a, b },
      options: { rateInterval: 3000 },
    });
    // 32 B in the 3 s window that starts with the handshake is 10.67 B/s.
    const rates$ = s.events$.pipe(filter((event) => event.type === 'rate'));
    m.expect(rates$, '^ 3010ms !').toBeObservable('-- 3000ms R', { R: { type: 'rate', down: 11, up: 0 } });
    m.flush();
  }));

  it('times a request out after 30 s: cancel, event, and a late block is dropped quietly', marbles((m) => {
    const s = session(m, {
      data: '--hu 30006ms p',
      values: { h, u, p: block(0, 0, 16) },
      commands: '-----a',
      commandValues: { a },
    });
    // The timeout frees one slot, but the supervisor still owes 4 of the first want: less than a
    // batch (5 / 2) more, so the session does not ask again.
    m.expect(s.events$, '^ 30020ms !').toBeObservable('-cH(Uw) 29998ms T', {
      c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5),
      T: { type: 'request-timeout', request: req(0, 0, 16) },
    });
    m.flush();
    expect(s.fake.written.slice(2)).toEqual([[5, 'request 0:0:16'], [30005, 'cancel 0:0:16']]);
  }));

  it('without BEP 6 a choke drops every request in flight; requests while choked are dropped', marbles((m) => {
    const s = session(m, {
      data: '--hu 5ms k-p',
      values: { h, u, k, p: block(0, 0, 16) },
      commands: '-----(ab) 7ms c',
      commandValues: { a, b, c: requestCommand(1, 0, 16) },
    });
    m.expect(s.events$, '^ 20ms !').toBeObservable('-cH(Uw) 2ms (KD) 3ms E', {
      c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5),
      K: { type: 'choked' },
      D: { type: 'requests-dropped', requests: [req(0, 0, 16), req(0, 16, 16)], reason: 'choked' },
      E: { type: 'requests-dropped', requests: [req(1, 0, 16)], reason: 'choked' },
    });
  }));

  it('with BEP 6 a choke keeps requests in flight until their reject', marbles((m) => {
    const s = session(m, {
      data: '--hu 5ms k-j-u',
      values: { h: hFast, u, k, j: wire({ type: 'reject', index: 0, begin: 16, length: 16 }) },
      commands: '-----(ab)',
      commandValues: { a, b },
    });
    m.expect(s.events$, '^ 20ms !').toBeObservable('-cH(Uw) 2ms K-J-(Ux)', {
      c: ev.connected, H: ev.handshake(true), U: { type: 'unchoked' }, w: ev.want(5),
      K: { type: 'choked' },
      J: { type: 'rejected', request: req(0, 16, 16) },
      x: ev.want(4),
    });
  }));

  it('closes on a block that was never requested', marbles((m) => {
    const s = session(m, { data: '--hu 6ms p', values: { h, u, p: block(3, 0, 16) } });
    m.expect(s.events$).toBeObservable('-cH(Uw) 3ms (C|)', {
      c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5),
      C: ev.closed({ kind: 'unrequested-block', index: 3, begin: 0, length: 16 }),
    });
    m.expect(s.connection$).toHaveSubscriptions('^ 9ms !');
    m.expect(s.data$).toHaveSubscriptions('-^ 8ms !');
    m.expect(s.commands$).toHaveSubscriptions('--^ 7ms !');
  }));

  it('closes on a have for a piece that does not exist, and on a bitfield with spare bits', marbles((m) => {
    const have = session(m, { data: '--hx', values: { h, x: wire({ type: 'have', index: 8 }) } });
    const spare = session(m, { data: '--hx', values: { h, x: wire({ type: 'bitfield', bits: new Uint8Array([0x00, 0x80]) }) } });
    m.expect(have.events$).toBeObservable('-cH(C|)', {
      c: ev.connected, H: ev.handshake(), C: ev.closed({ kind: 'have-out-of-range', index: 8, pieceCount: 8 }),
    });
    // A 2-byte bitfield for 8 pieces already breaks the decoder's size limit.
    m.expect(spare.events$).toBeObservable('-cH(C|)', {
      c: ev.connected, H: ev.handshake(), C: ev.closed({ kind: 'wire', error: { kind: 'bad-length', id: 5, length: 2, min: 1, max: 1 } }),
    });
  }));
});

describe('peerSession: keep-alive and idle', () => {
  it('sends a keep-alive after 2 minutes without sending', marbles((m) => {
    const kk = wire({ type: 'keep-alive' });
    const s = session(m, {
      data: '--h 59999ms k 59999ms k 59999ms k 59999ms k',
      values: { h, k: kk },
      ourBitfield: [0x00],
    });
    m.expect(s.events$, '^ 250000ms !').toBeObservable('-cH', { c: ev.connected, H: ev.handshake() });
    m.flush();
    expect(s.fake.written).toEqual([[1, 'handshake'], [120002, 'keep-alive'], [240002, 'keep-alive']]);
  }));

  it('closes after 3 minutes with nothing received', marbles((m) => {
    const s = session(m, { data: '--h', values: { h } });
    m.expect(s.events$).toBeObservable('-cH 179999ms (C|)', {
      c: ev.connected, H: ev.handshake(), C: ev.closed({ kind: 'idle-timeout', ms: 180_000 }),
    });
    m.expect(s.connection$).toHaveSubscriptions('^ 180001ms !');
    m.expect(s.data$).toHaveSubscriptions('-^ 180000ms !');
  }));

  it('does not blame the peer for silence while reading is paused', marbles((m) => {
    const s = session(m, {
      data: '--h',
      values: { h },
      commands: '---p 299996ms r',
      commandValues: { p: { type: 'pause' }, r: { type: 'resume' } },
    });
    m.expect(s.events$).toBeObservable('-cH 479997ms (C|)', {
      c: ev.connected, H: ev.handshake(), C: ev.closed({ kind: 'idle-timeout', ms: 180_000 }),
    });
    m.flush();
    expect(s.fake.calls).toEqual([[3, 'pause'], [300000, 'resume']]);
  }));
});
