import { AvailabilityBuckets } from './availability-buckets.js';
import { Bitfield } from './bitfield.js';

const ALL = 'all';

/**
 * Which connected peers have which pieces, as counts per piece kept in availability buckets, and
 * the rarest-first choice over them. Each peer's pieces are copied (one bit per piece), so a
 * disconnect takes exactly its pieces back out. A peer with every piece (BEP 6 have-all, or a
 * full bitfield) is an O(1) offset on all pieces, not n increments.
 */
export class SwarmAvailability<P> {
  private readonly pieceCount: number;
  private readonly buckets: AvailabilityBuckets;
  private readonly peers = new Map<P, Bitfield | typeof ALL>();
  private seeds = 0;

  constructor(pieceCount: number) {
    this.pieceCount = pieceCount;
    this.buckets = new AvailabilityBuckets(pieceCount);
  }

  /** Connected peers that have the piece. */
  availability(index: number): number {
    return this.buckets.availability(index) + this.seeds;
  }

  /** Returns true if the peer did not have the piece before. Index checked by the caller. */
  peerHas(peer: P, index: number): boolean {
    let has = this.peers.get(peer);
    if (has === ALL) return false;
    if (has === undefined) {
      has = new Bitfield(this.pieceCount);
      this.peers.set(peer, has);
    }
    if (!has.set(index)) return false;
    this.buckets.increment(index);
    return true;
  }

  /** Replaces what the peer had with the bitfield (copied). Its length is checked by the caller. */
  peerBitfield(peer: P, bitfield: Bitfield): void {
    if (bitfield.isComplete) return this.peerHasAll(peer);
    this.peerGone(peer);
    this.peers.set(peer, bitfield.clone());
    for (let i = bitfield.nextSet(0); i >= 0; i = bitfield.nextSet(i + 1)) this.buckets.increment(i);
  }

  peerHasAll(peer: P): void {
    this.peerGone(peer);
    this.peers.set(peer, ALL);
    this.seeds++;
  }

  /** The peer's pieces stop counting. */
  peerGone(peer: P): void {
    const has = this.peers.get(peer);
    if (has === undefined) return;
    this.peers.delete(peer);
    if (has === ALL) this.seeds--;
    else for (let i = has.nextSet(0); i >= 0; i = has.nextSet(i + 1)) this.buckets.decrement(i);
  }

  /** We have the piece: it leaves the choice for good. */
  retire(index: number): void {
    this.buckets.retire(index);
  }

  /**
   * A candidate piece `has` includes, from the lowest availability bucket that holds one, at a
   * random place in that bucket; -1 if none. Bucket 0 (no peer counted) is the rarest only when
   * have-all peers lift every piece; otherwise it is tried last.
   */
  rarest(has: Bitfield, isCandidate: (index: number) => boolean, random: () => number): number {
    const levels = this.buckets.levels;
    const first = this.seeds > 0 ? 0 : 1;
    for (let step = first; step < levels + first; step++) {
      const level = step === levels ? 0 : step;
      const from = this.buckets.bucketStart(level);
      const size = this.buckets.bucketEnd(level) - from;
      if (size <= 0) continue;
      const offset = Math.min(size - 1, Math.floor(random() * size));
      for (let k = 0; k < size; k++) {
        const index = this.buckets.pieceAt(from + (offset + k < size ? offset + k : offset + k - size));
        if (isCandidate(index) && has.get(index)) return index;
      }
    }
    return -1;
  }
}
