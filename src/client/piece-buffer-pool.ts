import { allocateAligned } from '../io/aligned-memory.js';

/**
 * Piece buffers for the whole client, reused: a download allocates one buffer per piece (1 MiB
 * each, typically), and a fresh allocation per piece makes V8 count a GiB of external memory per
 * GiB downloaded and collect garbage under that pressure all the time. Buffers the swarm is done
 * with (the piece is on disk) come back here and are handed out again.
 *
 * Bounded: at most `maxIdleBytes` wait in the pool; beyond that a returned buffer is dropped.
 * A reused buffer holds the bytes of an earlier piece: the swarm overwrites every byte of a
 * piece with blocks before it hashes it.
 *
 * Each buffer starts on a page boundary (`allocateAligned`), so the storage can write it to disk
 * with `O_DIRECT`, without a copy into the page cache.
 */
export class PieceBufferPool {
  private readonly idle = new Map<number, Uint8Array[]>();
  private readonly ours = new WeakSet<Uint8Array>();
  private idleBytes = 0;

  constructor(private readonly maxIdleBytes = 16 * 1024 * 1024) {}

  /** A buffer of exactly `length` bytes: a returned one when there is one, else a new one. */
  take(length: number): Uint8Array {
    const reused = this.idle.get(length)?.pop();
    if (reused === undefined) {
      const fresh = allocateAligned(length);
      this.ours.add(fresh);
      return fresh;
    }
    this.idleBytes -= length;
    return reused;
  }

  /** Gives back a buffer from `take` that nothing references any more. */
  give(buffer: Uint8Array): void {
    const length = buffer.length;
    if (!this.ours.has(buffer)) return;
    if (this.idleBytes + length > this.maxIdleBytes) return;
    let list = this.idle.get(length);
    if (list === undefined) {
      list = [];
      this.idle.set(length, list);
    }
    list.push(buffer);
    this.idleBytes += length;
  }

  /** Bytes waiting to be reused. */
  get bytesIdle(): number {
    return this.idleBytes;
  }
}
