import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { safePath, sanitiseSegment } from '../../src/metainfo/index.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 0) || 1000;
const timeout = Math.max(60_000, numRuns * 5);

describe('safePath properties', () => {
  it('never returns a segment that could escape or that Windows rejects (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 8, unit: 'binary' }), { maxLength: 4 }), (segments) => {
        const result = safePath(segments);
        if (!result.ok) return;
        for (const segment of result.segments) {
          expect(segment).not.toMatch(/^\.{1,2}$|[/\\\u0000<>:"|?*\u0001-\u001f]|[. ]$/);
          expect(segment.length).toBeGreaterThan(0);
        }
      }),
      { numRuns },
    );
  }, timeout);

  it('sanitising is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), (segment) => {
        const once = sanitiseSegment(segment);
        expect(sanitiseSegment(once)).toBe(once);
      }),
      { numRuns },
    );
  }, timeout);
});
