import { describe, expect, it } from 'vitest';
import { PieceBufferPool } from '../../src/client/piece-buffer-pool.js';
import { isAlignedView } from '../../src/io/aligned-memory.js';

// A buffer is a view; the memory behind it (`.buffer`) is what the pool hands out again.
describe('PieceBufferPool', () => {
  it('hands a returned memory out again for the same length, and a new one otherwise', () => {
    const pool = new PieceBufferPool();
    const a = pool.take(1024);
    expect(a.length).toBe(1024);
    pool.give(a);
    expect(pool.bytesIdle).toBe(1024);
    expect(pool.take(512).buffer).not.toBe(a.buffer);
    expect(pool.take(1024).buffer).toBe(a.buffer);
    expect(pool.bytesIdle).toBe(0);
    expect(pool.take(1024).buffer).not.toBe(a.buffer);
  });

  it('keeps at most maxIdleBytes waiting', () => {
    const pool = new PieceBufferPool(2048);
    const buffers = [pool.take(1024), pool.take(1024), pool.take(1024)];
    for (const b of buffers) pool.give(b);
    expect(pool.bytesIdle).toBe(2048);
    const again = new Set([pool.take(1024), pool.take(1024), pool.take(1024)].map((b) => b.buffer));
    expect(again.has(buffers[0]?.buffer as ArrayBufferLike)).toBe(true);
    expect(again.has(buffers[1]?.buffer as ArrayBufferLike)).toBe(true);
    expect(again.has(buffers[2]?.buffer as ArrayBufferLike)).toBe(false);
  });

  it('refuses buffers it did not hand out, and a buffer given back twice', () => {
    const pool = new PieceBufferPool();
    const whole = new Uint8Array(4096);
    pool.give(whole.subarray(1024, 2048));
    pool.give(whole.subarray(0, 1024));
    expect(pool.bytesIdle).toBe(0);
    const a = pool.take(1024);
    pool.give(a);
    pool.give(a);
    expect(pool.bytesIdle).toBe(1024);
  });

  it('hands out buffers at the phase asked for, on memory that serves any phase', () => {
    const pool = new PieceBufferPool();
    const a = pool.take(8192, 1000);
    expect(a.length).toBe(8192);
    expect(a.byteOffset % 4096).toBe(1000);
    pool.give(a);
    const b = pool.take(8192, 24);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset % 4096).toBe(24);
    expect(b.length).toBe(8192);
  });

  it('hands out page-aligned buffers on shared memory, which a hash worker reads in place', () => {
    const pool = new PieceBufferPool();
    const a = pool.take(1 << 20);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(isAlignedView(a)).toBe(true);
    expect(pool.take(4096, 512).buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
