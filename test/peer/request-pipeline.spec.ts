import { describe, expect, it } from 'vitest';
import { blockSlot } from '../../src/peer/block-key.js';
import { RequestPipeline } from '../../src/peer/request-pipeline.js';
import { RENEW_AFTER_INSERTS } from '../../src/pieces/young-tables.js';

const BLOCK = 16 * 1024;
const req = (index: number, begin: number, length = BLOCK) => ({ index, begin, length });

describe('RequestPipeline', () => {
  it('settles a request once, only with the length that was asked', () => {
    const pipeline = new RequestPipeline(8);
    pipeline.add(req(3, BLOCK), 0);
    expect(pipeline.has(req(3, BLOCK))).toBe(true);
    expect(pipeline.has(req(3, BLOCK, 100))).toBe(false);
    expect(pipeline.settle(3, BLOCK, 100)).toBeUndefined();
    expect(pipeline.settle(3, 0, BLOCK)).toBeUndefined();
    expect(pipeline.settle(3, BLOCK, BLOCK)).toEqual(req(3, BLOCK));
    expect(pipeline.settle(3, BLOCK, BLOCK)).toBeUndefined();
    expect(pipeline.size).toBe(0);
  });

  it('remembers abandoned requests by position and length, once each, at most abandonedCap', () => {
    const pipeline = new RequestPipeline(2);
    for (const index of [0, 1, 2]) pipeline.add(req(index, 0), 0);
    for (const index of [0, 1, 2]) expect(pipeline.abandon(req(index, 0))).toBe(true);
    expect(pipeline.abandon(req(0, 0))).toBe(false); // no longer in flight
    expect(pipeline.forget(0, 0, BLOCK)).toBe(false); // the oldest was dropped past the cap
    expect(pipeline.forget(1, 0, 100)).toBe(false); // another length is not that request
    expect(pipeline.forget(1, 0, BLOCK)).toBe(true);
    expect(pipeline.forget(1, 0, BLOCK)).toBe(false);
    expect(pipeline.forget(2, 0, BLOCK)).toBe(true);
  });

  it('keeps blocks of pieces past 2^21 apart, where a numeric key would lose precision', () => {
    const big = 0x200000 + 5;
    expect(typeof blockSlot(0x1fffff, 0)).toBe('number');
    expect(typeof blockSlot(big, 0)).toBe('string');
    const pipeline = new RequestPipeline(8);
    pipeline.add(req(big, 0), 0);
    pipeline.add(req(big, BLOCK), 0);
    pipeline.add(req(big + 1, 0), 0);
    expect(pipeline.size).toBe(3);
    expect(pipeline.settle(big, BLOCK, BLOCK)).toEqual(req(big, BLOCK));
    expect(pipeline.has(req(big, 0))).toBe(true);
    expect(pipeline.has(req(big + 1, 0))).toBe(true);
  });

  it('lists expired requests oldest first and starts the clocks again', () => {
    const pipeline = new RequestPipeline(8);
    pipeline.add(req(0, 0), 100);
    pipeline.add(req(0, BLOCK), 200);
    expect(pipeline.oldestSentAt()).toBe(100);
    expect(pipeline.expired(250, 100)).toEqual([req(0, 0)]);
    pipeline.restartClocks(300);
    expect(pipeline.expired(350, 100)).toEqual([]);
  });

  it('keeps every request in flight, in the order sent, across the renewals of its table', () => {
    const pipeline = new RequestPipeline(8);
    const window = 250; // a deep pipeline: the oldest is answered as each new one is sent
    const total = 3 * RENEW_AFTER_INSERTS + 7;
    for (let i = 0; i < total; i += 1) {
      pipeline.add(req(i, 0), i);
      if (i >= window) expect(pipeline.settle(i - window, 0, BLOCK)).toEqual(req(i - window, 0));
    }
    expect(pipeline.size).toBe(window);
    expect(pipeline.oldestSentAt()).toBe(total - window);
    expect(pipeline.has(req(total - 1, 0))).toBe(true);
    expect(pipeline.has(req(total - window - 1, 0))).toBe(false);
    expect(pipeline.expired(total - window + 2, 1)).toEqual([req(total - window, 0), req(total - window + 1, 0)]);
    expect(pipeline.abandonAll()).toHaveLength(window);
    expect(pipeline.forget(total - 1, 0, BLOCK)).toBe(true);
  });
});
