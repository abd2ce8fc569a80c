import { describe, expect, it } from 'vitest';
import { CorruptionTracker } from '../../src/torrent/corruption-tracker.js';

const BLOCK = 4;
const piece = (...blocks: number[]): Uint8Array => new Uint8Array(blocks.flatMap((b) => [b, b, b, b]));

describe('CorruptionTracker', () => {
  it('names the single peer that sent a whole failed piece at once', () => {
    const tracker = new CorruptionTracker(BLOCK);
    tracker.record(0, 0, 'a');
    tracker.record(0, 4, 'a');
    expect(tracker.failed(0, piece(9, 9))).toBe('a');
  });

  it('blames nobody for a shared failure, then only the peers whose blocks differ from the good copy', () => {
    const tracker = new CorruptionTracker(BLOCK);
    tracker.record(0, 0, 'liar');
    tracker.record(0, 4, 'honest');
    tracker.record(0, 8, 'honest');
    expect(tracker.failed(0, piece(7, 2, 3))).toBeUndefined();
    tracker.record(0, 0, 'other');
    tracker.record(0, 4, 'other');
    tracker.record(0, 8, 'other');
    expect(tracker.verified(0, piece(1, 2, 3))).toEqual(['liar']);
  });

  it('compares every failed copy kept for a piece', () => {
    const tracker = new CorruptionTracker(BLOCK);
    tracker.record(1, 0, 'x');
    tracker.record(1, 4, 'y');
    tracker.failed(1, piece(0, 2));
    tracker.record(1, 0, 'y');
    tracker.record(1, 4, 'z');
    tracker.failed(1, piece(1, 5));
    expect(tracker.verified(1, piece(1, 2)).sort()).toEqual(['x', 'z']);
    expect(tracker.verified(1, piece(1, 2))).toEqual([]); // the verdict is given once
  });

  it('keeps at most maxSuspects failed pieces, dropping the oldest', () => {
    const tracker = new CorruptionTracker(BLOCK, 2);
    for (const index of [0, 1, 2]) {
      tracker.record(index, 0, 'p');
      tracker.record(index, 4, 'q');
      tracker.failed(index, piece(0, 0));
    }
    expect(tracker.verified(0, piece(1, 1))).toEqual([]);
    expect(tracker.verified(2, piece(1, 1)).sort()).toEqual(['p', 'q']);
  });

  it('forgets the sources of a piece that could not be written', () => {
    const tracker = new CorruptionTracker(BLOCK);
    tracker.record(0, 0, 'a');
    tracker.forget(0);
    tracker.record(0, 4, 'b');
    expect(tracker.failed(0, piece(0, 0))).toBe('b');
  });
});
