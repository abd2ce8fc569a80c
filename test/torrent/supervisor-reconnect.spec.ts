/**
 * Supervisor, in virtual time: a dialled peer that drops is dialled again after the
 * PeerDirectory back-off (5 s · 2ⁿ, minus up to half of it from `random`), until `maxFailures`
 * failures in a row or a permanent close reason.
 */
import { describe, expect, it } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import type { PeerEvent } from '../../src/peer/peer-events.js';
import { dial, ev, keyOf, out, reasons, scriptedRandom, setup } from './fake-session.js';

describe('supervisor: reconnect back-off', () => {
  it('dials a failing peer again after 5 s, 10 s, 20 s, 40 s (jittered) and gives up after 5 failures', marbles((m) => {
    // Offered again while it waits (3 s) and after it is given up (100 s): both ignored.
    const candidates$ = m.cold('a 2999ms a 96999ms a', { a: dial(1) });
    const refused = m.cold<PeerEvent>('--(c|)', { c: ev.closed(reasons.refused) });
    const { random, draws } = scriptedRandom([0.2, 0.6, 1, 0]);
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: refused }, random });

    // Each failure at +2; the delays: 5000·(1 − 0.5·0.2) = 4500, 10000·(1 − 0.5·0.6) = 7000,
    // 20000·(1 − 0.5·1) = 10000, 40000·(1 − 0) = 40000; the fifth failure is the last.
    m.expect(events$, '^ 200s !').toBeObservable('');
    m.expect(refused).toHaveSubscriptions([
      '^-!',
      '4502ms ^-!',
      '11504ms ^-!',
      '21506ms ^-!',
      '61508ms ^-!',
    ]);
    m.flush();

    expect(sessions.dials.map((d) => d.frame)).toEqual([0, 4502, 11504, 21506, 61508]);
    expect(draws()).toBe(4);
  }));

  it('follows the directory options: initial delay, factor, maxFailures', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    const refused = m.cold<PeerEvent>('-(c|)', { c: ev.closed(reasons.refused) });
    const { events$ } = setup(m, {
      candidates$,
      scripts: { 1: refused },
      options: {
        directory: { reconnect: { initialDelay: 1_000, factor: 3, maxDelay: 5_000, jitter: 0 }, maxFailures: 3, maxKnown: 10 },
      },
    });

    // Failures at 1, 1002, 4003; delays 1000 and 3000; the third failure gives it up.
    m.expect(events$, '^ 60s !').toBeObservable('');
    m.expect(refused).toHaveSubscriptions(['^!', '1001ms ^!', '4002ms ^!']);
  }));

  it('never dials again a peer closed for a permanent reason (wrong info hash)', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    const wrong = m.cold<PeerEvent>('--(c|)', { c: ev.closed(reasons.wrongHash) });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: wrong } });

    m.expect(events$, '^ 600s !').toBeObservable('');
    m.expect(wrong).toHaveSubscriptions('^-!');
    m.flush();

    expect(sessions.dials).toHaveLength(1);
  }));

  it('after a live session, the failure count starts over: 5 s again, then 5 s for the first failure', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    const live = m.cold<PeerEvent>('-h 3ms (c|)', { h: ev.handshake(1), c: ev.closed(reasons.remote) });
    const refused = m.cold<PeerEvent>('--(c|)', { c: ev.closed(reasons.refused) });
    const again = m.cold<PeerEvent>('-h', { h: ev.handshake(1) });
    const { events$ } = setup(m, { candidates$, scripts: { 1: [live, refused, again] } });

    // Live 1..5 (closed by the peer), redialled at 5005 (fails at 5007), redialled at 10007.
    m.expect(events$, '^ 20s !').toBeObservable('-a 3ms b 10002ms a', {
      a: out.connected(1), b: out.closed(1, reasons.remote),
    });
    m.expect(live).toHaveSubscriptions('^ 4ms !');
    m.expect(refused).toHaveSubscriptions('5005ms ^-!');
    m.expect(again).toHaveSubscriptions('10007ms ^ 9993ms !');
  }));

  it('cancels a pending redial when unsubscribed', marbles((m) => {
    const candidates$ = m.cold('a', { a: dial(1) });
    const refused = m.cold<PeerEvent>('--(c|)', { c: ev.closed(reasons.refused) });
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: refused } });

    m.expect(events$, '^ 3s !').toBeObservable('');
    m.expect(refused).toHaveSubscriptions('^-!');
    m.expect(candidates$).toHaveSubscriptions('^ 3000ms !');
    m.flush();

    expect(sessions.dials.map((d) => [d.frame, d.key])).toEqual([[0, keyOf(1)]]);
  }));
});
