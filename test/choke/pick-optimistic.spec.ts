import { describe, it, expect } from 'vitest';
import { pickOptimistic } from '../../src/choke/pick-optimistic.js';

/** `random` values 0, 0.01, …, 0.99: each 1 % of the unit interval once. */
const grid = Array.from({ length: 100 }, (_, i) => i / 100);

const tally = (pick: (random: () => number) => string | undefined): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const r of grid) {
    const id = pick(() => r) ?? 'none';
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
};

describe('pickOptimistic', () => {
  it('picks nobody from no candidates, without drawing a random number', () => {
    let draws = 0;
    expect(pickOptimistic([], () => {
      draws += 1;
      return 0.5;
    })).toBeUndefined();
    expect(draws).toBe(0);
  });

  it('picks uniformly among equal candidates, in id order', () => {
    expect(pickOptimistic(['c', 'a', 'b'], () => 0)).toBe('a');
    expect(pickOptimistic(['c', 'a', 'b'], () => 0.5)).toBe('b');
    expect(pickOptimistic(['c', 'a', 'b'], () => 0.99)).toBe('c');
    expect(tally((random) => pickOptimistic(['a', 'b', 'c', 'd'], random))).toEqual({ a: 25, b: 25, c: 25, d: 25 });
  });

  it('does not depend on the order of the candidates', () => {
    for (const r of grid) {
      expect(pickOptimistic(['d', 'b', 'a', 'c'], () => r)).toBe(pickOptimistic(['a', 'b', 'c', 'd'], () => r));
    }
  });

  it('makes newly connected peers three times as likely', () => {
    const newPeers = new Set(['b']);
    expect(tally((random) => pickOptimistic(['a', 'b'], random, { newPeers }))).toEqual({ a: 25, b: 75 });
    expect(tally((random) => pickOptimistic(['a', 'b', 'c'], random, { newPeers }))).toEqual({ a: 20, b: 60, c: 20 });
    expect(tally((random) => pickOptimistic(['a', 'b'], random, { newPeers, newPeerWeight: 1 }))).toEqual({ a: 50, b: 50 });
  });

  it('survives a random source that returns 1 or out-of-range values', () => {
    expect(pickOptimistic(['a', 'b'], () => 1)).toBe('b');
    expect(pickOptimistic(['a', 'b'], () => 7)).toBe('b');
    expect(pickOptimistic(['a', 'b'], () => -1)).toBe('a');
  });
});
