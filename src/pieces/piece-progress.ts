/** A block nobody has asked for (or everyone asked gave it back). */
export const FREE = 0;
/** A block in flight with at least one peer. */
export const REQUESTED = 1;
/** A block whose bytes arrived. */
export const RECEIVED = 2;

/**
 * Block bookkeeping of one started piece: a state byte and an in-flight count per block, plus
 * the peers whose blocks went in (to strike them if the hash fails). Allocated once when the
 * piece starts, dropped when it is verified or failed; no allocation per block event.
 */
export class PieceProgress<P> {
  readonly index: number;
  readonly pieceLength: number;
  readonly blockSize: number;
  readonly blockCount: number;
  /** FREE, REQUESTED or RECEIVED per block. */
  readonly state: Uint8Array;
  /** How many peers each block is in flight with (above 1 only in endgame). */
  readonly requesters: Uint8Array;
  /**
   * Who may have each block in flight: the peer it was handed to while nobody else had it, and
   * (endgame) the peers it was handed to besides. A superset: a peer stays listed after it gave
   * the block back, so the caller checks each one's own in-flight set.
   */
  private readonly holder: (P | undefined)[];
  private duplicates: Map<number, P[]> | undefined;
  readonly contributors = new Set<P>();
  freeCount: number;
  receivedCount = 0;
  /** No block below this one is free. */
  private cursor = 0;

  constructor(index: number, pieceLength: number, blockSize: number) {
    this.index = index;
    this.pieceLength = pieceLength;
    this.blockSize = blockSize;
    this.blockCount = Math.ceil(pieceLength / blockSize);
    this.state = new Uint8Array(this.blockCount);
    this.requesters = new Uint8Array(this.blockCount);
    this.holder = new Array<P | undefined>(this.blockCount);
    this.freeCount = this.blockCount;
  }

  get isComplete(): boolean {
    return this.receivedCount === this.blockCount;
  }

  blockLength(block: number): number {
    return Math.min(this.blockSize, this.pieceLength - block * this.blockSize);
  }

  /** The lowest free block, or -1. Amortised O(1): the cursor only moves back on `release`. */
  nextFree(): number {
    while (this.cursor < this.blockCount && this.state[this.cursor] !== FREE) this.cursor++;
    return this.cursor < this.blockCount ? this.cursor : -1;
  }

  /** One more peer has the block in flight; returns true if it was free before. */
  request(block: number, peer: P): boolean {
    const before = this.requesters[block] ?? 0;
    this.requesters[block] = before + 1;
    if (before === 0) this.holder[block] = peer;
    else {
      this.duplicates ??= new Map();
      const others = this.duplicates.get(block);
      if (others === undefined) this.duplicates.set(block, [peer]);
      else others.push(peer);
    }
    if (this.state[block] !== FREE) return false;
    this.state[block] = REQUESTED;
    this.freeCount--;
    return true;
  }

  /** One peer no longer has the block in flight; returns true if the block became free. */
  release(block: number): boolean {
    const left = Math.max(0, (this.requesters[block] ?? 0) - 1);
    this.requesters[block] = left;
    if (left > 0 || this.state[block] !== REQUESTED) return false;
    this.state[block] = FREE;
    this.freeCount++;
    if (block < this.cursor) this.cursor = block;
    return true;
  }

  /**
   * Marks the block received from `peer`. `ownRequest`: the sender had it in flight (its count is
   * dropped here). Returns true if the block was free (nobody had it in flight) before.
   */
  receive(block: number, peer: P, ownRequest: boolean): boolean {
    if (ownRequest) this.requesters[block] = Math.max(0, (this.requesters[block] ?? 0) - 1);
    const wasFree = this.state[block] === FREE;
    if (wasFree) this.freeCount--;
    this.state[block] = RECEIVED;
    this.receivedCount++;
    this.contributors.add(peer);
    return wasFree;
  }

  /** Calls `each` for every peer that may have the block in flight (see `holder`), then forgets them. */
  takeHolders(block: number, each: (peer: P) => void): void {
    const first = this.holder[block];
    this.holder[block] = undefined;
    const others = this.duplicates?.get(block);
    this.duplicates?.delete(block);
    if (first !== undefined) each(first);
    if (others !== undefined) for (const peer of others) each(peer);
  }
}
