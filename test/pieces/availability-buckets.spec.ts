import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AvailabilityBuckets } from '../../src/pieces/availability-buckets.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 0) || 200;

type Op = { kind: 'inc' | 'dec' | 'retire'; index: number };

/** Checks the whole structure against a model: counts, live set, order and bucket bounds. */
function checkInvariants(buckets: AvailabilityBuckets, counts: number[], retired: Set<number>): void {
  const n = counts.length;
  expect(buckets.liveCount).toBe(n - retired.size);
  const seen = new Set<number>();
  for (let position = 0; position < n; position++) seen.add(buckets.pieceAt(position));
  expect(seen.size).toBe(n);
  for (let level = 0; level < buckets.levels; level++) {
    for (let position = buckets.bucketStart(level); position < buckets.bucketEnd(level); position++) {
      const piece = buckets.pieceAt(position);
      expect(retired.has(piece)).toBe(false);
      expect(counts[piece]).toBe(level);
    }
  }
  expect(buckets.bucketStart(0)).toBe(0);
  expect(buckets.bucketEnd(buckets.levels - 1)).toBe(buckets.liveCount);
  for (let i = 0; i < n; i++) {
    expect(buckets.availability(i)).toBe(counts[i]);
    expect(buckets.isLive(i)).toBe(!retired.has(i));
  }
}

describe('AvailabilityBuckets', () => {
  it('orders live pieces by availability', () => {
    const buckets = new AvailabilityBuckets(4);
    buckets.increment(0);
    buckets.increment(0);
    buckets.increment(2);
    const order = [0, 1, 2, 3].map((p) => buckets.pieceAt(p));
    expect(order.map((piece) => buckets.availability(piece))).toEqual([0, 0, 1, 2]);
    expect(order[3]).toBe(0);
    expect(order[2]).toBe(2);
  });

  it('retired pieces leave the buckets but keep their counts', () => {
    const buckets = new AvailabilityBuckets(3);
    buckets.increment(1);
    buckets.retire(1);
    buckets.increment(1);
    expect(buckets.liveCount).toBe(2);
    expect(buckets.isLive(1)).toBe(false);
    expect(buckets.availability(1)).toBe(2);
    expect(buckets.pieceAt(2)).toBe(1);
  });

  it('keeps its invariants under any sequence of changes', () => {
    const spec = fc.integer({ min: 1, max: 30 }).chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.array(
          fc.record({ kind: fc.constantFrom<Op['kind']>('inc', 'inc', 'dec', 'retire'), index: fc.nat({ max: n - 1 }) }),
          { maxLength: 120 },
        ),
      ),
    );
    fc.assert(
      fc.property(spec, ([n, ops]) => {
        const buckets = new AvailabilityBuckets(n);
        const counts = new Array<number>(n).fill(0);
        const retired = new Set<number>();
        for (const op of ops) {
          if (op.kind === 'inc') {
            buckets.increment(op.index);
            counts[op.index] = (counts[op.index] ?? 0) + 1;
          } else if (op.kind === 'dec') {
            buckets.decrement(op.index);
            counts[op.index] = Math.max(0, (counts[op.index] ?? 0) - 1);
          } else {
            buckets.retire(op.index);
            retired.add(op.index);
          }
        }
        checkInvariants(buckets, counts, retired);
      }),
      { numRuns },
    );
  });
});
