/**
 * Supervisor, in virtual time: the upload side. The choker runs eagerly (a peer that becomes
 * interested while a slot is free is unchoked at once), its optimistic unchoke rotates every
 * `optimisticInterval` with the injected random, and its changes go out as choke / unchoke.
 */
import { describe, expect, it } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import type { PeerCommand, PeerEvent } from '../../src/peer/peer-events.js';
import { cmd, dial, ev, keyOf, out, pieces, scriptedRandom, setup } from './fake-session.js';

// Peers with no piece: we are never interested in them, so only choke / unchoke go out.
const leecher = (n: number): Record<string, PeerEvent> => ({
  h: ev.handshake(n), f: ev.bitfield(), i: ev.interested, n: ev.notInterested,
});
const options = { chokeInterval: 10_000, optimisticInterval: 30_000 };

describe('supervisor: choking', () => {
  it('unchokes each peer the moment it becomes interested while slots are free', marbles((m) => {
    const candidates$ = m.cold('abcd', { a: dial(1), b: dial(2), c: dial(3), d: dial(4) });
    // Live at 1, 2, 3, 4; interested at 10, 20, 30 (D never).
    const a = m.cold<PeerEvent>('-(hf) 5ms i', leecher(1));
    const b = m.cold<PeerEvent>('-(hf) 14ms i', leecher(2));
    const c = m.cold<PeerEvent>('-(hf) 23ms i', leecher(3));
    const d = m.cold<PeerEvent>('-(hf)', leecher(4));
    const { random, draws } = scriptedRandom([0]);
    const { events$, sessions } = setup(m, {
      candidates$, scripts: { 1: a, 2: b, 3: c, 4: d }, random, have: pieces(0, 1), options,
    });

    m.expect(events$, '^ 25s !').toBeObservable('-abcd', {
      a: out.connected(1), b: out.connected(2), c: out.connected(3), d: out.connected(4),
    });
    [a, b, c, d].forEach((script, from) => {
      m.expect(script).toHaveSubscriptions(`${from}ms ^ ${25_000 - from}ms !`);
    });
    m.flush();

    expect(sessions.timeline(keyOf(1))).toEqual([[10, cmd.unchoke]]);
    expect(sessions.timeline(keyOf(2))).toEqual([[20, cmd.unchoke]]);
    expect(sessions.timeline(keyOf(3))).toEqual([[30, cmd.unchoke]]);
    expect(sessions.timeline(keyOf(4))).toEqual([]);
    expect(draws()).toBe(0); // four slots, three interested: no optimistic pick needed
  }));

  it('chokes a peer at once when it loses interest', marbles((m) => {
    const candidates$ = m.cold('ab', { a: dial(1), b: dial(2) });
    const a = m.cold<PeerEvent>('-(hf) 5ms i 9ms n', leecher(1)); // interested at 10, not at 20
    const b = m.cold<PeerEvent>('-(hf) 7ms i', leecher(2)); // interested at 13
    const { events$, sessions } = setup(m, { candidates$, scripts: { 1: a, 2: b }, have: pieces(0, 1), options });

    m.expect(events$, '^ 15s !').toBeObservable('-ab', { a: out.connected(1), b: out.connected(2) });
    m.expect(a).toHaveSubscriptions('^ 15s !');
    m.flush();

    expect(sessions.timeline(keyOf(1))).toEqual([[10, cmd.unchoke], [20, cmd.choke]]);
    expect(sessions.timeline(keyOf(2))).toEqual([[13, cmd.unchoke]]);
  }));

  it('rotates the optimistic unchoke every optimisticInterval with the scripted random', marbles((m) => {
    const candidates$ = m.cold('abcd', { a: dial(1), b: dial(2), c: dial(3), d: dial(4) });
    const a = m.cold<PeerEvent>('-(hf) 5ms i', leecher(1));
    const b = m.cold<PeerEvent>('-(hf) 14ms i', leecher(2));
    const c = m.cold<PeerEvent>('-(hf) 23ms i', leecher(3));
    const d = m.cold<PeerEvent>('-(hf) 32ms i', leecher(4));
    const { random, draws } = scriptedRandom([0.5, 0.7, 0.2]);
    const { events$, sessions } = setup(m, {
      candidates$, scripts: { 1: a, 2: b, 3: c, 4: d }, random, have: pieces(0, 1),
      options: { ...options, uploadSlots: 1 },
    });

    // One regular slot: A (all rates 0, ties by id). 10: A unchoked. 20: B, the only candidate,
    // becomes the optimistic unchoke (draw 1). 30, 40: C and D wait, B keeps the slot.
    // Tick 40000 (≥ 30 s after 20): among C, D (not new any more), 0.7·2 = 1.4 → D (draw 2).
    // Tick 70000: among B, C, 0.2·2 = 0.4 → B (draw 3).
    m.expect(events$, '^ 75s !').toBeObservable('-abcd', {
      a: out.connected(1), b: out.connected(2), c: out.connected(3), d: out.connected(4),
    });
    m.expect(d).toHaveSubscriptions('3ms ^ 74997ms !');
    let drawsBeforeEnd = 0;
    m.scheduler.schedule(() => { drawsBeforeEnd = draws(); }, 75_000);
    m.flush();

    // Before the unsubscription at 75001 (what happens during it: see "shutdown" below).
    const before = (key: string): [number, PeerCommand][] => sessions.timeline(key).filter(([frame]) => frame <= 75_000);
    expect(before(keyOf(1))).toEqual([[10, cmd.unchoke]]);
    expect(before(keyOf(2))).toEqual([[20, cmd.unchoke], [40_000, cmd.choke], [70_000, cmd.unchoke]]);
    expect(before(keyOf(3))).toEqual([]);
    expect(before(keyOf(4))).toEqual([[40_000, cmd.unchoke], [70_000, cmd.choke]]);
    expect(drawsBeforeEnd).toBe(3);
  }));

  // Regression: closing the sessions one by one fed the eager choker new snapshots, which
  // unchoked sessions that were themselves being closed.
  it('shutdown: sends no choke / unchoke to the sessions it is closing', marbles((m) => {
    const candidates$ = m.cold('abc', { a: dial(1), b: dial(2), c: dial(3) });
    const a = m.cold<PeerEvent>('-(hf) 5ms i', leecher(1)); // interested at 10: regular slot
    const b = m.cold<PeerEvent>('-(hf) 14ms i', leecher(2)); // 20: the optimistic slot
    const c = m.cold<PeerEvent>('-(hf) 23ms i', leecher(3)); // 30: waits
    const { events$, sessions } = setup(m, {
      candidates$, scripts: { 1: a, 2: b, 3: c }, have: pieces(0, 1), options: { ...options, uploadSlots: 1 },
    });

    m.expect(events$, '^ 100ms !').toBeObservable('-abc', {
      a: out.connected(1), b: out.connected(2), c: out.connected(3),
    });
    m.expect(c).toHaveSubscriptions('2ms ^ 98ms !');
    m.flush();

    expect(sessions.timeline(keyOf(1))).toEqual([[10, cmd.unchoke]]);
    expect(sessions.timeline(keyOf(2))).toEqual([[20, cmd.unchoke]]);
    expect(sessions.timeline(keyOf(3))).toEqual([]); // actual: [[101, unchoke]] while it is being closed
  }));
});
