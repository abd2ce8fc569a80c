/**
 * Supervisor, in virtual time: the endgame (duplicate requests, cancels when the block arrives)
 * and hash failures (the piece goes back, its peers get strikes, `maxStrikes` closes them).
 */
import { describe, expect, it } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import type { PeerEvent } from '../../src/peer/peer-events.js';
import type { SupervisorEvent } from '../../src/torrent/supervisor-types.js';
import { cmd, dial, ev, fakeStore, keyOf, opening, out, reasons, setup } from './fake-session.js';

/** '0'…'7': the 8 blocks of the torrent, piece by piece. */
const blocks: Record<string, PeerEvent> = {
  0: ev.block(0, 0), 1: ev.block(0, 1), 2: ev.block(1, 0), 3: ev.block(1, 1),
  4: ev.block(2, 0), 5: ev.block(2, 1), 6: ev.block(3, 0), 7: ev.block(3, 1),
};

describe('supervisor: endgame', () => {
  it('gives B duplicates of the blocks in flight with A, and cancels each where it did not arrive', marbles((m) => {
    const candidates$ = m.cold('a 19ms b', { a: dial(1), b: dial(2) });
    // A takes all 8 blocks at 1, sends pieces 0–2 at 10 and block 3:0 at 30.
    const a = m.cold<PeerEvent>('-(hfuw) 3ms (012345) 12ms 6', { ...opening(1, 8), ...blocks });
    // B (from 20) wants 2 at 21: only duplicates are left. It sends block 3:1 at 40.
    const b = m.cold<PeerEvent>('-(hfuw) 13ms 7', { ...opening(2, 2), ...blocks });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a, 2: b } });

    m.expect(events$).toBeObservable('-a 8ms (012) 6ms b 18ms (3C|)', {
      a: out.connected(1), b: out.connected(2),
      0: out.verified(0), 1: out.verified(1), 2: out.verified(2), 3: out.verified(3), C: out.complete,
    });
    m.expect(a).toHaveSubscriptions('^ 39ms !');
    m.expect(b).toHaveSubscriptions('20ms ^ 19ms !');
    m.flush();

    expect(sessions.timeline(keyOf(1))).toEqual([
      [1, cmd.interested],
      ...[0, 1, 2, 3].flatMap((index) => [[1, cmd.request(index, 0)], [1, cmd.request(index, 1)]]),
      [40, cmd.cancel(3, 1)], // B's copy came first
      [40, cmd.notInterested], // A and B are seeds: no `have` for them
    ]);
    expect(sessions.timeline(keyOf(2))).toEqual([
      [21, cmd.interested],
      [21, cmd.request(3, 0)], [21, cmd.request(3, 1)], // duplicates of A's last blocks
      [30, cmd.cancel(3, 0)], // A's copy came first
      [40, cmd.notInterested],
    ]);
  }));
});

const banned = (n: number, index: number): SupervisorEvent => ({ type: 'peer-banned', key: keyOf(n), index });

describe('supervisor: hash failures', () => {
  it('puts a failed piece back, strikes the peer that sent all of it, and bans it at maxStrikes (3)', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    // A wants 2 (piece 0) at 1 and sends it at 9; wants 2 at 15, sends at 18; wants 2 at 24, sends at 27.
    const a = m.cold<PeerEvent>('-(hfuw) 2ms (01) 2ms w 2ms (01) 2ms w 2ms (01)', { ...opening(1, 2), ...blocks });
    const store = fakeStore({ verify: { 0: [false] } });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a }, store, options: { maxStrikes: 3 } });

    m.expect(events$, '^ 600s !').toBeObservable('-a 7ms f 8ms f 8ms (fkx)', {
      a: out.connected(1), f: out.failed(0, 1), k: banned(1, 0), x: out.closed(1, reasons.local),
    });
    m.expect(a).toHaveSubscriptions('^ 26ms !'); // closed at 27, never dialled again
    m.flush();

    expect(sessions.timeline(keyOf(1))).toEqual([
      [1, cmd.interested],
      [1, cmd.request(0, 0)], [1, cmd.request(0, 1)],
      [15, cmd.request(0, 0)], [15, cmd.request(0, 1)], // the same piece, from scratch
      [24, cmd.request(0, 0)], [24, cmd.request(0, 1)],
      [27, cmd.close],
    ]);
    expect(store.verified).toEqual([[0, false], [0, false], [0, false]]);
    expect(store.written).toEqual([]);
    expect(sessions.dials).toHaveLength(1);
  }));

  it('blames only the peer whose block differs from the good copy, never the honest one', marbles((m) => {
    const candidates$ = m.cold('ab', { a: dial(1), b: dial(2) });
    // A is asked for 0:0 at 1 and sends a corrupt copy at 10; B is asked for 0:1 at 2 and sends it
    // at 12: the piece fails (two contributors, nobody blamed yet). B then wants 2 at 17 and sends
    // the whole piece at 20: it verifies, block 0 differs from A's copy, so A alone is banned.
    const corrupt: PeerEvent = { type: 'block', index: 0, begin: 0, data: new Uint8Array(16 * 1024).fill(99) };
    const a = m.cold<PeerEvent>('-(hfuw) 3ms c', { ...opening(1, 1), c: corrupt });
    const b = m.cold<PeerEvent>('-(hfuw) 4ms 1 4ms W 2ms (01)', { ...opening(2, 1), ...blocks, W: ev.want(2) });
    const store = fakeStore({ verify: { 0: [false, true] } });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a, 2: b }, store });

    m.expect(events$, '^ 600s !').toBeObservable('-ab 9ms f 7ms (kxv)', {
      a: out.connected(1), b: out.connected(2), f: out.failed(0, 1, 2),
      k: banned(1, 0), x: out.closed(1, reasons.local), v: out.verified(0),
    });
    m.expect(a).toHaveSubscriptions('^ 19ms !');
    m.expect(b).toHaveSubscriptions('-^ 599999ms !');
    m.flush();

    expect(sessions.timeline(keyOf(1), 'request', 'close')).toEqual([[1, cmd.request(0, 0)], [20, cmd.close]]);
    expect(sessions.timeline(keyOf(2), 'close')).toEqual([]);
    expect(store.written).toEqual([0]);
  }));

  it('a piece that fails once is fetched again and verified; one strike does not close the peer', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    const a = m.cold<PeerEvent>('-(hfuw) 2ms (01) 2ms w 2ms (01)', { ...opening(1, 2), ...blocks });
    const store = fakeStore({ verify: { 0: [false, true] } });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a }, store, options: { maxStrikes: 2 } });

    m.expect(events$, '^ 30ms !').toBeObservable('-a 7ms f 8ms v', {
      a: out.connected(1), f: out.failed(0, 1), v: out.verified(0),
    });
    m.expect(a).toHaveSubscriptions('^ 30ms !');
    m.flush();

    expect(store.written).toEqual([0]);
    expect(sessions.timeline(keyOf(1), 'close')).toEqual([]);
    // The failed copy stays with the corruption tracker; only the stored one goes back for reuse.
    expect(store.allocated).toHaveLength(2);
    expect(store.released).toEqual([store.allocated[1]]);
    expect(store.released[0]).toBe(store.allocated[1]);
  }));
});
