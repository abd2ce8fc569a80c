/**
 * Supervisor, in virtual time: blocks in flight with a peer that drops (its session closes, or it
 * chokes us and the session drops the requests) go back to the picker and are asked of another.
 */
import { describe, expect, it } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import type { PeerEvent } from '../../src/peer/peer-events.js';
import { ALL, cmd, dial, ev, keyOf, out, reasons, req, setup } from './fake-session.js';

/** '0'…'7': the 8 blocks of the torrent, piece by piece. */
const blocks: Record<string, PeerEvent> = {};
ALL.forEach((index) => {
  blocks[String(2 * index)] = ev.block(index, 0);
  blocks[String(2 * index + 1)] = ev.block(index, 1);
});

describe('supervisor: reassignment', () => {
  it('asks B for the blocks that were in flight with A when A\'s session closed, and completes from B', marbles((m) => {
    const candidates$ = m.cold('ab', { a: dial(1), b: dial(2) });
    // A (from 0): live at 1, wants 4 (pieces 0 and 1), closes at 10 without sending a block.
    const a = m.cold<PeerEvent>('-(hfuw) 3ms (c|)', {
      h: ev.handshake(1), f: ev.bitfield(0, 1, 2, 3), u: ev.unchoked, w: ev.want(4), c: ev.closed(reasons.remote),
    });
    // B (from 1): live at 2, wants 4 (pieces 2 and 3); wants 4 more at 12; sends every block at 20.
    const b = m.cold<PeerEvent>('-(hfuw) 4ms x 7ms (01234567)', {
      h: ev.handshake(2), f: ev.bitfield(0, 1, 2, 3), u: ev.unchoked, w: ev.want(4), x: ev.want(4), ...blocks,
    });
    const { events$, sessions, store } = setup(m, { candidates$, scripts: { 1: a, 2: b } });

    m.expect(events$).toBeObservable('-ab 7ms x 9ms (0123C|)', {
      a: out.connected(1), b: out.connected(2), x: out.closed(1, reasons.remote),
      0: out.verified(0), 1: out.verified(1), 2: out.verified(2), 3: out.verified(3), C: out.complete,
    });
    m.expect(a).toHaveSubscriptions('^ 9ms !');
    m.expect(b).toHaveSubscriptions('-^ 18ms !');
    m.expect(candidates$).toHaveSubscriptions('^ 19ms !');
    m.flush();

    expect(sessions.timeline(keyOf(1))).toEqual([
      [1, cmd.interested],
      [1, cmd.request(0, 0)], [1, cmd.request(0, 1)], [1, cmd.request(1, 0)], [1, cmd.request(1, 1)],
    ]);
    expect(sessions.timeline(keyOf(2))).toEqual([
      [2, cmd.interested],
      [2, cmd.request(2, 0)], [2, cmd.request(2, 1)], [2, cmd.request(3, 0)], [2, cmd.request(3, 1)],
      // A's four blocks, free again since A closed at 10:
      [12, cmd.request(0, 0)], [12, cmd.request(0, 1)], [12, cmd.request(1, 0)], [12, cmd.request(1, 1)],
      [20, cmd.notInterested], // B is a seed: no `have`
    ]);
    expect(store.written).toEqual([0, 1, 2, 3]);
  }));

  it('hands A\'s blocks to a peer that is waiting for work the moment A closes', marbles((m) => {
    const candidates$ = m.cold('ab', { a: dial(1), b: dial(2) });
    // A has everything and takes piece 0; B has pieces 0 and 1 only, takes piece 1 and still
    // wants 2 more: nothing it has is free (and no endgame: pieces 2 and 3 are untouched).
    const a = m.cold<PeerEvent>('-(hfuw) 3ms (c|)', {
      h: ev.handshake(1), f: ev.bitfield(0, 1, 2, 3), u: ev.unchoked, w: ev.want(2), c: ev.closed(reasons.remote),
    });
    const b = m.cold<PeerEvent>('-(hfuw)', { h: ev.handshake(2), f: ev.bitfield(0, 1), u: ev.unchoked, w: ev.want(4) });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a, 2: b } });

    m.expect(events$, '^ 30ms !').toBeObservable('-ab 7ms x', {
      a: out.connected(1), b: out.connected(2), x: out.closed(1, reasons.remote),
    });
    m.expect(a).toHaveSubscriptions('^ 9ms !');
    m.expect(b).toHaveSubscriptions('-^ 29ms !');
    m.flush();

    expect(sessions.timeline(keyOf(1), 'request')).toEqual([[1, cmd.request(0, 0)], [1, cmd.request(0, 1)]]);
    expect(sessions.timeline(keyOf(2), 'request')).toEqual([
      [2, cmd.request(1, 0)], [2, cmd.request(1, 1)],
      [10, cmd.request(0, 0)], [10, cmd.request(0, 1)],
    ]);
  }));

  it('asks another peer for the requests a choke dropped', marbles((m) => {
    const candidates$ = m.cold('ab', { a: dial(1), b: dial(2) });
    // A takes piece 0 at 1, chokes us at 10: the session drops both requests.
    const a = m.cold<PeerEvent>('-(hfuw) 3ms (kd)', {
      h: ev.handshake(1), f: ev.bitfield(0, 1, 2, 3), u: ev.unchoked, w: ev.want(2),
      k: ev.choked, d: ev.dropped([req(0, 0), req(0, 1)]),
    });
    // B takes piece 1 at 2, then wants 6 at 12 (piece 0 again, then 2 and 3) and sends them all at 20.
    const b = m.cold<PeerEvent>('-(hfuw) 4ms x 7ms (23014567)', {
      h: ev.handshake(2), f: ev.bitfield(0, 1, 2, 3), u: ev.unchoked, w: ev.want(2), x: ev.want(6), ...blocks,
    });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a, 2: b } });

    m.expect(events$).toBeObservable('-ab 17ms (1023C|)', {
      a: out.connected(1), b: out.connected(2),
      0: out.verified(0), 1: out.verified(1), 2: out.verified(2), 3: out.verified(3), C: out.complete,
    });
    m.expect(a).toHaveSubscriptions('^ 19ms !');
    m.expect(b).toHaveSubscriptions('-^ 18ms !');
    m.flush();

    expect(sessions.timeline(keyOf(1), 'request')).toEqual([[1, cmd.request(0, 0)], [1, cmd.request(0, 1)]]);
    expect(sessions.timeline(keyOf(2), 'request')).toEqual([
      [2, cmd.request(1, 0)], [2, cmd.request(1, 1)],
      [12, cmd.request(0, 0)], [12, cmd.request(0, 1)],
      [12, cmd.request(2, 0)], [12, cmd.request(2, 1)], [12, cmd.request(3, 0)], [12, cmd.request(3, 1)],
    ]);
  }));
});
