/**
 * Supervisor, in virtual time: completion (with and without seeding), teardown, and what every
 * peer is told as pieces land: `have` to each live peer, `interested` / `not-interested` as what
 * the peer has that we lack changes. Reassignment, back-off, endgame, hash failures and choking
 * have their own spec files (supervisor-*.spec.ts).
 */
import { describe, expect, it } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import type { PeerEvent } from '../../src/peer/peer-events.js';
import type { SupervisorEvent } from '../../src/torrent/supervisor-types.js';
import { BLOCK, cmd, dial, ev, fakeStore, keyOf, opening, out, pieces, setup } from './fake-session.js';

const blocks: Record<string, PeerEvent> = {
  0: ev.block(0, 0), 1: ev.block(0, 1), 2: ev.block(1, 0), 3: ev.block(1, 1),
  4: ev.block(2, 0), 5: ev.block(2, 1), 6: ev.block(3, 0), 7: ev.block(3, 1),
};
const finalStats = (peers: number, seeds: number): SupervisorEvent => ({
  type: 'stats', received: 8 * BLOCK, uploaded: 0, failed: 0, downRate: 0, upRate: 0, peers, seeds, piecesDone: 4,
});

describe('supervisor: completion', () => {
  it('without seed: completes right after `complete` and unsubscribes every session and the candidates', marbles((m) => {
    const candidates$ = m.cold('ab', { a: dial(1), b: dial(2) });
    const a = m.cold<PeerEvent>('-(hfuw) 3ms (01234567)', { ...opening(1, 8), ...blocks });
    const b = m.cold<PeerEvent>('-(hf)', opening(2, 0)); // live, never unchokes us
    const { all$, store } = setup(m, { candidates$, scripts: { 1: a, 2: b } });

    m.expect(all$).toBeObservable('-ab 7ms (0123sC|)', {
      a: out.connected(1), b: out.connected(2),
      0: out.verified(0), 1: out.verified(1), 2: out.verified(2), 3: out.verified(3),
      s: finalStats(2, 2), C: out.complete,
    });
    m.expect(a).toHaveSubscriptions('^ 9ms !');
    m.expect(b).toHaveSubscriptions('-^ 8ms !');
    m.expect(candidates$).toHaveSubscriptions('^ 9ms !');
    m.flush();

    expect(store.written).toEqual([0, 1, 2, 3]);
  }));

  it('with seed: keeps running (and dialling) after `complete`; unsubscribing closes everything', marbles((m) => {
    const candidates$ = m.cold('ab 18ms c', { a: dial(1), b: dial(2), c: dial(3) });
    const a = m.cold<PeerEvent>('-(hfuw) 3ms (01234567)', { ...opening(1, 8), ...blocks });
    const b = m.cold<PeerEvent>('-(hf)', opening(2, 0));
    const c = m.cold<PeerEvent>('-(hf)', opening(3, 0));
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a, 2: b, 3: c }, options: { seed: true } });

    m.expect(events$, '^ 2500ms !').toBeObservable('-ab 7ms (0123C) 4ms c', {
      a: out.connected(1), b: out.connected(2), c: out.connected(3),
      0: out.verified(0), 1: out.verified(1), 2: out.verified(2), 3: out.verified(3), C: out.complete,
    });
    m.expect(a).toHaveSubscriptions('^ 2500ms !');
    m.expect(b).toHaveSubscriptions('-^ 2499ms !');
    m.expect(c).toHaveSubscriptions('20ms ^ 2480ms !');
    m.expect(candidates$).toHaveSubscriptions('^ 2500ms !');
    m.flush();

    expect(sessions.timeline(keyOf(3))).toEqual([]); // we have everything: never interested
  }));

  it('with every piece at the start and no seed: completes at once, dials nobody', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    const { all$, sessions } = setup(m, { candidates$, scripts: {}, have: pieces(0, 1, 2, 3) });

    m.expect(all$).toBeObservable('|');
    m.expect(candidates$).toHaveSubscriptions('(^!)');
    m.flush();

    expect(sessions.dials).toEqual([]);
  }));

  it('unsubscribing in the middle of a write lets the write finish, and reports nothing after the end', marbles((m) => {
    // A verified piece is written even when the torrent stops (the disk pool's close waits for it).
    const candidates$ = m.cold('a', { a: dial(1) });
    // A has piece 0 only: not a seed, so it is told `have` once the piece is on disk.
    const a = m.cold<PeerEvent>('-(hfuw) 3ms (01)', { ...opening(1, 2, [0]), ...blocks });
    const write = m.cold('20ms (x|)');
    const store = fakeStore({ write: () => write });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a }, store });

    m.expect(events$, '^ 14ms !').toBeObservable('-a', { a: out.connected(1) });
    m.expect(write).toHaveSubscriptions('10ms ^ 19ms !');
    m.expect(a).toHaveSubscriptions('^ 14ms !');
    m.flush();

    expect(store.verified).toEqual([[0, true]]);
    expect(store.written).toEqual([0]);
    expect(sessions.timeline(keyOf(1), 'have')).toEqual([]); // the session was closed at 15
  }));

  it('a slow write holds the piece until it is on disk', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    // A has piece 0 only: not a seed, so it is told `have` once the piece is on disk.
    const a = m.cold<PeerEvent>('-(hfuw) 3ms (01)', { ...opening(1, 2, [0]), ...blocks });
    const write = m.cold('20ms (x|)');
    const store = fakeStore({ write: () => write });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a }, store });

    m.expect(events$, '^ 40ms !').toBeObservable('-a 28ms v', { a: out.connected(1), v: out.verified(0) });
    m.expect(write).toHaveSubscriptions('10ms ^ 19ms !');
    m.flush();

    expect(sessions.timeline(keyOf(1), 'have')).toEqual([[30, cmd.have(0)]]);
  }));

  // Regression: the first closed session's blocks were handed to a peer that was about to close.
  it('shutdown: sends no request to the sessions it is closing', marbles((m) => {
    const candidates$ = m.cold('ab', { a: dial(1), b: dial(2) });
    const a = m.cold<PeerEvent>('-(hfuw)', opening(1, 2)); // piece 0
    const b = m.cold<PeerEvent>('-(hfuw)', opening(2, 4, [0, 1])); // piece 1, and still wants 2
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a, 2: b } });

    m.expect(events$, '^ 20ms !').toBeObservable('-ab', { a: out.connected(1), b: out.connected(2) });
    m.expect(b).toHaveSubscriptions('-^ 19ms !');
    m.flush();

    // actual: also [21, request 0:0], [21, request 0:1], sent while B is being closed
    expect(sessions.timeline(keyOf(2), 'request')).toEqual([[2, cmd.request(1, 0)], [2, cmd.request(1, 1)]]);
  }));
});

describe('supervisor: have and interest', () => {
  it('sends `have` to every live peer but seeds after each piece is stored, and interest follows what they have', marbles((m) => {
    const candidates$ = m.cold('abc', { a: dial(1), b: dial(2), c: dial(3) });
    // A has everything: piece 0 (asked at 1, in at 9), piece 1 (14, 17), pieces 2 and 3 (22, 25).
    const a = m.cold<PeerEvent>('-(hfuw) 2ms (01) 1ms w 2ms (23) 1ms x 2ms (4567)', {
      ...opening(1, 2), x: ev.want(4), ...blocks,
    });
    const b = m.cold<PeerEvent>('-(hf)', opening(2, 0, [0, 1])); // pieces 0 and 1
    const c = m.cold<PeerEvent>('-(hf)', opening(3, 0, [])); // nothing
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a, 2: b, 3: c } });

    m.expect(events$).toBeObservable('-abc 5ms 0 7ms 1 7ms (23C|)', {
      a: out.connected(1), b: out.connected(2), c: out.connected(3),
      0: out.verified(0), 1: out.verified(1), 2: out.verified(2), 3: out.verified(3), C: out.complete,
    });
    m.expect(a).toHaveSubscriptions('^ 24ms !');
    m.expect(b).toHaveSubscriptions('-^ 23ms !');
    m.expect(c).toHaveSubscriptions('--^ 22ms !');
    m.flush();

    // A is a seed: it hears no `have`, only that we are no longer interested.
    expect(sessions.timeline(keyOf(1))).toEqual([
      [1, cmd.interested], [1, cmd.request(0, 0)], [1, cmd.request(0, 1)],
      [14, cmd.request(1, 0)], [14, cmd.request(1, 1)],
      [22, cmd.request(2, 0)], [22, cmd.request(2, 1)], [22, cmd.request(3, 0)], [22, cmd.request(3, 1)],
      [25, cmd.notInterested],
    ]);
    expect(sessions.timeline(keyOf(2))).toEqual([
      [2, cmd.interested],
      [9, cmd.have(0)],
      [17, cmd.have(1)], [17, cmd.notInterested], // nothing left that B has and we lack
      [25, cmd.have(2)], [25, cmd.have(3)],
    ]);
    expect(sessions.timeline(keyOf(3))).toEqual([
      [9, cmd.have(0)], [17, cmd.have(1)], [25, cmd.have(2)], [25, cmd.have(3)],
    ]);
  }));

  it('becomes interested when a peer announces with `have` a piece we lack', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    const a = m.cold<PeerEvent>('-(hf) 1ms v', { ...opening(1, 0, []), v: ev.have(2) });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a } });

    m.expect(events$, '^ 10ms !').toBeObservable('-a', { a: out.connected(1) });
    m.expect(a).toHaveSubscriptions('^ 10ms !');
    m.flush();

    expect(sessions.timeline(keyOf(1))).toEqual([[6, cmd.interested]]);
  }));

  // Regression: a piece announced with `have` reached the picker but not the swarm's copy of the
  // peer's pieces, so it was never requested from that peer.
  it('asks a peer for a piece it announced with `have` after its bitfield', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    // Empty bitfield at 1, `have 2` at 6, unchoke and want 2 at 7.
    const a = m.cold<PeerEvent>('-(hf) 1ms v (uw)', { ...opening(1, 2, []), v: ev.have(2) });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a } });

    m.expect(events$, '^ 20ms !').toBeObservable('-a', { a: out.connected(1) });
    m.expect(a).toHaveSubscriptions('^ 20ms !');
    m.flush();

    // actual: [[6, interested]] and no request at all
    expect(sessions.timeline(keyOf(1))).toEqual([[6, cmd.interested], [7, cmd.request(2, 0)], [7, cmd.request(2, 1)]]);
  }));

  // The same, for a peer that sent no bitfield at all (BEP 3: a peer with nothing may skip it).
  it('asks a peer that sent no bitfield for a piece it announced with `have`', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    const a = m.cold<PeerEvent>('-h 1ms v (uw)', { ...opening(1, 2), v: ev.have(2) });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a } });

    m.expect(events$, '^ 20ms !').toBeObservable('-a', { a: out.connected(1) });
    m.flush();

    expect(sessions.timeline(keyOf(1), 'request')).toEqual([[4, cmd.request(2, 0)], [4, cmd.request(2, 1)]]);
  }));

  // The other side: interest raised by a `have` is withdrawn once we have that piece.
  it('withdraws interest once we have the piece a peer announced with `have`', marbles((m) => {
    const candidates$ = m.cold('ab', { a: dial(1), b: dial(2) });
    const a = m.cold<PeerEvent>('-(hfuw) 3ms (01)', { ...opening(1, 2), ...blocks }); // piece 0 at 10
    const b = m.cold<PeerEvent>('-(hf) v', { ...opening(2, 0, []), v: ev.have(0) }); // `have 0` at 6
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a, 2: b } });

    m.expect(events$, '^ 20ms !').toBeObservable('-ab 7ms v', {
      a: out.connected(1), b: out.connected(2), v: out.verified(0),
    });
    m.flush();

    // actual: [[6, interested], [10, have 0]]
    expect(sessions.timeline(keyOf(2))).toEqual([[6, cmd.interested], [10, cmd.have(0)], [10, cmd.notInterested]]);
  }));
});
