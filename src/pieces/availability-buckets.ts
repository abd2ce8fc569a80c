/**
 * Pieces ordered by availability (how many peers have them), kept ordered in O(1) per change.
 *
 * Layout (the libtorrent trick): `order` is a permutation of the piece indexes, sorted by
 * availability; `starts[a]` is the first position whose piece has availability ≥ a, so bucket a
 * is `order[starts[a] .. starts[a + 1])`. Raising a piece from a to a + 1 swaps it with the last
 * piece of bucket a and moves the boundary down by one; lowering swaps it with the first piece of
 * its bucket and moves the boundary up. No piece outside those two positions moves.
 *
 * Retired pieces (ones we have) are swapped past the last bucket, into `order[liveEnd ..)`, so the
 * rarest-first scan never sees them; retiring costs one swap per bucket above the piece's own
 * (≤ the number of peers). Their counts are still kept, so `availability` stays right.
 *
 * Peers that have everything (BEP 6 have-all, seeds) are not counted here: they raise every
 * piece by one and so do not change the order; the picker adds them as an offset.
 */
export class AvailabilityBuckets {
  private readonly order: Uint32Array;
  private readonly position: Uint32Array;
  private readonly counts: Uint32Array;
  /** starts[a] for a = 0 .. top + 1; the last entry is always `liveEnd`. */
  private readonly starts: number[];

  constructor(pieceCount: number) {
    this.order = new Uint32Array(pieceCount);
    this.position = new Uint32Array(pieceCount);
    this.counts = new Uint32Array(pieceCount);
    for (let i = 0; i < pieceCount; i++) {
      this.order[i] = i;
      this.position[i] = i;
    }
    this.starts = [0, pieceCount];
  }

  /** Peers (not counting have-all peers) that have the piece. */
  availability(index: number): number {
    return this.counts[index] ?? 0;
  }

  /** Number of pieces not retired: the ones the picker may still choose. */
  get liveCount(): number {
    return this.starts[this.starts.length - 1] ?? 0;
  }

  /** Availability levels 0 .. levels - 1 may hold pieces (empty buckets included). */
  get levels(): number {
    return this.starts.length - 1;
  }

  /** First position of bucket `level`. */
  bucketStart(level: number): number {
    return this.starts[level] ?? 0;
  }

  /** One past the last position of bucket `level`. */
  bucketEnd(level: number): number {
    return this.starts[level + 1] ?? 0;
  }

  /** The piece at a position of the order (0 .. liveCount - 1 are the live pieces). */
  pieceAt(position: number): number {
    return this.order[position] ?? 0;
  }

  isLive(index: number): boolean {
    return (this.position[index] ?? 0) < this.liveCount;
  }

  increment(index: number): void {
    const level = this.counts[index] ?? 0;
    this.counts[index] = level + 1;
    if (!this.isLive(index)) return;
    if (level + 1 === this.starts.length - 1) this.starts.push(this.liveCount);
    this.moveUp(index, level + 1);
  }

  decrement(index: number): void {
    const level = this.counts[index] ?? 0;
    if (level === 0) return;
    this.counts[index] = level - 1;
    if (!this.isLive(index)) return;
    const first = this.starts[level] ?? 0;
    this.swap(this.position[index] ?? 0, first);
    this.starts[level] = first + 1;
  }

  /** Moves a piece out of the live buckets for good (we have it). Idempotent. */
  retire(index: number): void {
    if (!this.isLive(index)) return;
    const top = this.starts.length - 1;
    for (let boundary = (this.counts[index] ?? 0) + 1; boundary <= top; boundary++) {
      this.moveUp(index, boundary);
    }
  }

  /** Moves a piece sitting in bucket `boundary - 1` to the start of the range at `boundary`. */
  private moveUp(index: number, boundary: number): void {
    const last = (this.starts[boundary] ?? 0) - 1;
    this.swap(this.position[index] ?? 0, last);
    this.starts[boundary] = last;
  }

  private swap(a: number, b: number): void {
    if (a === b) return;
    const pa = this.order[a] ?? 0;
    const pb = this.order[b] ?? 0;
    this.order[a] = pb;
    this.order[b] = pa;
    this.position[pb] = a;
    this.position[pa] = b;
  }
}
