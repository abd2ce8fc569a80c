import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { announceOrder, promoteTracker, shuffleTiers } from '../../src/tracker/tracker-tiers.js';

const runs = Number(process.env.FUZZ_RUNS ?? 0) || 200;

describe('tracker tiers (BEP 12)', () => {
  it('shuffles within tiers only, keeping tier order, dropping empty tiers', () => {
    const tiers = [['a', 'b', 'c'], [], ['d', 'e']];
    const shuffled = shuffleTiers(tiers, () => 0);
    expect(shuffled).toEqual([['b', 'c', 'a'], ['e', 'd']]);
    expect(shuffleTiers(tiers, () => 0.999)).toEqual([['a', 'b', 'c'], ['d', 'e']]);
  });

  it('shuffling is a permutation of each tier', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(fc.string(), { maxLength: 6 }), { maxLength: 4 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
        (tiers, stream) => {
          const shuffled = shuffleTiers(tiers, () => stream.next().value);
          expect(shuffled.map((tier) => [...tier].sort())).toEqual(tiers.filter((t) => t.length > 0).map((t) => [...t].sort()));
        },
      ),
      { numRuns: runs },
    );
  });

  it('promotes a tracker to the front of its own tier', () => {
    expect(promoteTracker([['a', 'b', 'c'], ['d', 'e']], 'c')).toEqual([['c', 'a', 'b'], ['d', 'e']]);
    expect(promoteTracker([['a', 'b'], ['d', 'e']], 'e')).toEqual([['a', 'b'], ['e', 'd']]);
    expect(announceOrder([['a'], ['b', 'c']])).toEqual(['a', 'b', 'c']);
  });
});
