import { describe, expect, it } from 'vitest';
import { PieceBufferPool } from '../../src/client/piece-buffer-pool.js';

describe('PieceBufferPool', () => {
  it('hands a returned buffer out again for the same length, and a new one otherwise', () => {
    const pool = new PieceBufferPool();
    const a = pool.take(1024);
    expect(a.length).toBe(1024);
    pool.give(a);
    expect(pool.bytesIdle).toBe(1024);
    expect(pool.take(512)).not.toBe(a);
    expect(pool.take(1024)).toBe(a);
    expect(pool.bytesIdle).toBe(0);
    expect(pool.take(1024)).not.toBe(a);
  });

  it('keeps at most maxIdleBytes waiting', () => {
    const pool = new PieceBufferPool(2048);
    const buffers = [pool.take(1024), pool.take(1024), pool.take(1024)];
    for (const b of buffers) pool.give(b);
    expect(pool.bytesIdle).toBe(2048);
    const again = new Set([pool.take(1024), pool.take(1024), pool.take(1024)]);
    expect(again.has(buffers[0] as Uint8Array)).toBe(true);
    expect(again.has(buffers[1] as Uint8Array)).toBe(true);
    expect(again.has(buffers[2] as Uint8Array)).toBe(false);
  });

  it('refuses views and foreign buffers that do not span their whole memory', () => {
    const pool = new PieceBufferPool();
    const whole = new Uint8Array(4096);
    pool.give(whole.subarray(1024, 2048));
    pool.give(whole.subarray(0, 1024));
    expect(pool.bytesIdle).toBe(0);
  });
});
