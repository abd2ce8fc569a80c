import { DIRECT_ALIGNMENT, allocateAligned } from '../io/aligned-memory.js';

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
 * Each buffer lives on page-aligned memory (`allocateAligned`), starting at the `phase` its
 * piece store asks for, so the storage can write it to disk with `O_DIRECT`, without a copy into
 * the page cache and without a bounce copy. That memory is shared (a `SharedArrayBuffer`), so a
 * hash worker reads the piece in place instead of from a copy in its scratch buffer: 0.13–0.18
 * CPU s less per GiB downloaded (docs/performance.md, round 8). Blocks go in with `copyBlock`,
 * which keeps V8's copy into shared memory word-wise.
 */
export class PieceBufferPool {
  /** Idle memories by the piece length they were made for (each one page longer, for any phase). */
  private readonly idle = new Map<number, Uint8Array[]>();
  /** Each buffer handed out → the whole memory it is a view of. */
  private readonly memoryOf = new WeakMap<Uint8Array, Uint8Array>();
  private idleBytes = 0;

  constructor(private readonly maxIdleBytes = 16 * 1024 * 1024) {}

  /**
   * A buffer of exactly `length` bytes starting `phase` bytes (0 ≤ phase < 4096) past a page
   * boundary: on a returned memory for the same length when there is one, else on a new one.
   */
  take(length: number, phase = 0): Uint8Array {
    const reused = this.idle.get(length)?.pop();
    if (reused !== undefined) this.idleBytes -= length;
    const memory = reused ?? allocateAligned(length + DIRECT_ALIGNMENT, { shared: true });
    const buffer = memory.subarray(phase, phase + length);
    this.memoryOf.set(buffer, memory);
    return buffer;
  }

  /** Gives back a buffer from `take` that nothing references any more. */
  give(buffer: Uint8Array): void {
    const memory = this.memoryOf.get(buffer);
    if (memory === undefined) return; // not one of ours, or given back already
    this.memoryOf.delete(buffer);
    const length = buffer.length;
    if (this.idleBytes + length > this.maxIdleBytes) return;
    let list = this.idle.get(length);
    if (list === undefined) {
      list = [];
      this.idle.set(length, list);
    }
    list.push(memory);
    this.idleBytes += length;
  }

  /** Bytes waiting to be reused. */
  get bytesIdle(): number {
    return this.idleBytes;
  }
}
