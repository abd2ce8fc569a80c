import { describe, it, expect } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import { choker } from '../../src/choke/choker.js';
import type { ChokeChanges, ChokerInput } from '../../src/choke/choker.js';
import type { ChokePeer } from '../../src/choke/choke-decision.js';

const peer = (id: string, downRate: number, upRate = 0, extra: Partial<ChokePeer> = {}): ChokePeer => ({
  id,
  interested: true,
  downRate,
  upRate,
  ...extra,
});
const snapshot = (peers: ChokePeer[], seeding = false): ChokerInput => ({ peers, seeding });
const change = (unchoke: string[], choke: string[] = []): ChokeChanges => ({ unchoke, choke });

/** A random source that replays `values` (the last one repeats) and counts its draws. */
function scripted(values: number[]): { random: () => number; draws: () => number } {
  let drawn = 0;
  return {
    random: () => values[Math.min(drawn++, values.length - 1)] ?? 0,
    draws: () => drawn,
  };
}

// Small virtual times keep the diagrams readable: ticks every 10 frames, rotation after 30.
const fast = { interval: 10, optimisticInterval: 30, regularSlots: 2 };
const five = [peer('a', 50), peer('b', 40), peer('c', 10), peer('d', 5), peer('e', 1)];

describe('choker', () => {
  it('with the defaults, decides every 10 s: four regular slots by download rate and one optimistic', marbles((m) => {
    const peers = [...five, peer('f', 3), peer('g', 2, 0, { interested: false })];
    const input = m.hot('s', { s: snapshot(peers) });
    const { random } = scripted([0]);
    // At 10 s: regular a b c d; the optimistic slot goes to the first of e, f (g is not interested).
    m.expect(choker(input, { scheduler: m.scheduler, random }), '^ 25s !').toBeObservable('10s u', {
      u: change(['a', 'b', 'c', 'd', 'e']),
    });
    m.expect(input).toHaveSubscriptions('^ 25s !');
  }));

  it('ranks by what we give them while seeding', marbles((m) => {
    const peers = [peer('a', 50, 1), peer('b', 40, 2), peer('c', 10, 30), peer('d', 5, 20), peer('e', 1, 10)];
    const input = m.hot('s', { s: snapshot(peers, true) });
    const { random } = scripted([0]);
    // Regular c d (upload rates 30, 20); optimistic: the first of a b e.
    m.expect(choker(input, { scheduler: m.scheduler, random }, fast), '^ 15ms !').toBeObservable('10ms u', {
      u: change(['a', 'c', 'd']),
    });
    m.expect(input).toHaveSubscriptions('^ 15ms !');
  }));

  it('rotates the optimistic unchoke every optimisticInterval with the injected random', marbles((m) => {
    const input = m.hot('s', { s: snapshot(five) });
    const { random, draws } = scripted([0, 0.6, 0]);
    // 10: a b regular, c optimistic (0 → first of c d e).
    // 40: rotate among d e (c is excluded): 0.6 → e.   70: among c d: 0 → c.
    m.expect(choker(input, { scheduler: m.scheduler, random }, fast), '^ 75ms !').toBeObservable(
      '10ms u 29ms v 29ms w',
      { u: change(['a', 'b', 'c']), v: change(['e'], ['c']), w: change(['c'], ['e']) },
    );
    m.expect(input).toHaveSubscriptions('^ 75ms !');
    m.flush();
    expect(draws()).toBe(3);
  }));

  it('makes a newcomer three times as likely to be the next optimistic unchoke', marbles((m) => {
    // f connects at 35; at 40 the candidates are d e f with f weighing 3: 0.5 → f (uniformly: e).
    const input = m.hot('s 34ms t', { s: snapshot(five), t: snapshot([...five, peer('f', 0)]) });
    const { random } = scripted([0, 0.5]);
    m.expect(choker(input, { scheduler: m.scheduler, random }, fast), '^ 45ms !').toBeObservable(
      '10ms u 29ms v',
      { u: change(['a', 'b', 'c']), v: change(['f'], ['c']) },
    );
    m.expect(input).toHaveSubscriptions('^ 45ms !');
  }));

  it('emits only the changes, and nothing when nothing changed', marbles((m) => {
    // At 15 d overtakes b: at 20 b is choked and d unchoked; the optimistic c stays.
    const faster = [peer('a', 50), peer('b', 40), peer('c', 10), peer('d', 45), peer('e', 1)];
    const input = m.hot('s 14ms t', { s: snapshot(five), t: snapshot(faster) });
    const { random } = scripted([0]);
    m.expect(choker(input, { scheduler: m.scheduler, random }, { ...fast, optimisticInterval: 1000 }), '^ 65ms !')
      .toBeObservable('10ms u 9ms v', { u: change(['a', 'b', 'c']), v: change(['d'], ['b']) });
    m.expect(input).toHaveSubscriptions('^ 65ms !');
  }));

  it('chokes a peer that loses interest and fills the optimistic slot it leaves at once', marbles((m) => {
    const bored = five.map((p) => (p.id === 'c' ? { ...p, interested: false } : p));
    const input = m.hot('s 14ms t', { s: snapshot(five), t: snapshot(bored) });
    const { random } = scripted([0]);
    m.expect(choker(input, { scheduler: m.scheduler, random }, fast), '^ 25ms !').toBeObservable(
      '10ms u 9ms v',
      { u: change(['a', 'b', 'c']), v: change(['d'], ['c']) },
    );
    m.expect(input).toHaveSubscriptions('^ 25ms !');
  }));

  it('forgets a peer that leaves: never tells it to choke, and starts afresh when it returns', marbles((m) => {
    const withoutB = five.filter((p) => p.id !== 'b');
    const input = m.hot('s 24ms t 19ms r', { s: snapshot(five), t: snapshot(withoutB), r: snapshot(five) });
    const { random } = scripted([0]);
    // 10: a b + optimistic c.  25: b leaves.  30: c earns b's regular slot; the empty optimistic
    // slot goes to d at once (b is not choked: it is gone).  45: b returns.  50: b takes its
    // regular slot back, c has none and is not the optimistic one any more.
    m.expect(choker(input, { scheduler: m.scheduler, random }, fast), '^ 55ms !').toBeObservable(
      '10ms u 19ms v 19ms w',
      { u: change(['a', 'b', 'c']), v: change(['d']), w: change(['b'], ['c']) },
    );
    m.expect(input).toHaveSubscriptions('^ 55ms !');
  }));

  it('forgets an optimistic peer that leaves and picks another at the next tick', marbles((m) => {
    const withoutC = five.filter((p) => p.id !== 'c');
    const input = m.hot('s 14ms t', { s: snapshot(five), t: snapshot(withoutC) });
    const { random } = scripted([0]);
    m.expect(choker(input, { scheduler: m.scheduler, random }, fast), '^ 25ms !').toBeObservable(
      '10ms u 9ms v',
      { u: change(['a', 'b', 'c']), v: change(['d']) },
    );
    m.expect(input).toHaveSubscriptions('^ 25ms !');
  }));

  it('says nothing before the first snapshot, and nothing for an empty swarm', marbles((m) => {
    const input = m.hot('25ms s', { s: snapshot([]) });
    const { random, draws } = scripted([0]);
    m.expect(choker(input, { scheduler: m.scheduler, random }, fast), '^ 60ms !').toBeObservable('');
    m.expect(input).toHaveSubscriptions('^ 60ms !');
    m.flush();
    expect(draws()).toBe(0);
  }));

  it('completes when its input completes, and passes an input error on', marbles((m) => {
    const done = m.hot('s 14ms |', { s: snapshot(five) });
    const { random } = scripted([0]);
    m.expect(choker(done, { scheduler: m.scheduler, random }, fast)).toBeObservable('10ms u 4ms |', {
      u: change(['a', 'b', 'c']),
    });
    m.expect(done).toHaveSubscriptions('^ 14ms !');

    const failed = m.cold('s 4ms #', { s: snapshot(five) }, new Error('supervisor died'));
    m.expect(choker(failed, { scheduler: m.scheduler, random }, fast)).toBeObservable(
      '5ms #',
      undefined,
      new Error('supervisor died'),
    );
    m.expect(failed).toHaveSubscriptions('^ 4ms !');
  }));

  it('with eager, decides on each snapshot too, so a newly interested peer is served at once', marbles((m) => {
    const input = m.hot('-s-r-t', {
      s: snapshot([peer('a', 50)]),
      r: snapshot([peer('a', 10), peer('b', 40, 0, { interested: false })]),
      t: snapshot([peer('a', 50), peer('b', 40, 0, { interested: false }), peer('c', 1)]),
    });
    const { random } = scripted([0]);
    // At 1: a takes a regular slot at once. At 3 only rates changed: no decision before the tick.
    // At 5: c is interested and a slot is free.
    m.expect(choker(input, { scheduler: m.scheduler, random }, { ...fast, eager: true }), '^ 8ms !').toBeObservable(
      '-u---v',
      { u: change(['a']), v: change(['c']) },
    );
    m.expect(input).toHaveSubscriptions('^ 8ms !');
  }));
});
