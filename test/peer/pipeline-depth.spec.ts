import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_PIPELINE_DEPTH, pipelineDepth } from '../../src/peer/pipeline-depth.js';

describe('pipelineDepth', () => {
  it('covers 2 s of transfer in 16 KiB blocks, between 5 and 250', () => {
    expect(pipelineDepth(0)).toBe(5);
    expect(pipelineDepth(100 * 1024)).toBe(13);
    expect(pipelineDepth(1024 * 1024)).toBe(128);
    expect(pipelineDepth(10 * 1024 * 1024)).toBe(250);
  });

  it('respects a smaller max (the peer reqq), even below the min', () => {
    expect(pipelineDepth(1024 * 1024, { ...DEFAULT_PIPELINE_DEPTH, max: 64 })).toBe(64);
    expect(pipelineDepth(0, { ...DEFAULT_PIPELINE_DEPTH, max: 2 })).toBe(2);
  });

  it('is monotone in the rate and always within bounds', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }), (x, y) => {
      const [lo, hi] = x <= y ? [x, y] : [y, x];
      const a = pipelineDepth(lo);
      const b = pipelineDepth(hi);
      return a <= b && a >= 5 && b <= 250;
    }));
  });
});
