import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffDelay } from '../../src/operators/backoff-delay.js';

const runs = Number(process.env.FUZZ_RUNS ?? 0) || 1000;

describe('backoffDelay', () => {
  it('grows by the factor and stops at the cap', () => {
    const config = { initialDelay: 5_000, factor: 2, maxDelay: 30 * 60_000 };
    const delays = [0, 1, 2, 3, 8, 9, 20].map((n) => backoffDelay(n, config, () => 0.5));
    expect(delays).toEqual([5_000, 10_000, 20_000, 40_000, 1_280_000, 1_800_000, 1_800_000]);
  });

  it('defaults to a factor of 2 and no jitter', () => {
    expect(backoffDelay(3, { initialDelay: 100, maxDelay: 10_000 }, () => 0.99)).toBe(800);
  });

  it('draws jitter below the nominal delay, never above the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.9999, noNaN: true }),
        (attempt, jitter, r) => {
          const config = { initialDelay: 1_000, factor: 2, maxDelay: 60_000, jitter };
          const nominal = Math.min(60_000, 1_000 * 2 ** attempt);
          const d = backoffDelay(attempt, config, () => r);
          expect(d).toBeLessThanOrEqual(nominal);
          expect(d).toBeGreaterThanOrEqual(Math.floor(nominal * (1 - jitter)));
        },
      ),
      { numRuns: runs },
    );
  });

  it('spreads delays when jitter is on', () => {
    const config = { initialDelay: 1_000, maxDelay: 60_000, jitter: 0.5 };
    expect(backoffDelay(0, config, () => 0)).toBe(1_000);
    expect(backoffDelay(0, config, () => 0.5)).toBe(750);
    expect(backoffDelay(0, config, () => 1)).toBe(500);
  });
});
