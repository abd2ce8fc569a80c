import { Bitfield } from './bitfield.js';
import { BlockGeometry } from './block-geometry.js';
import { PieceProgress, RECEIVED, REQUESTED } from './piece-progress.js';
import type { BlockOutcome, BlockRequest, Cancel, PiecePickerOptions, RequestBudget } from './picker-types.js';
import { PiecesError } from './pieces-error.js';
import { SwarmAvailability } from './swarm-availability.js';
import { RENEW_AFTER_INSERTS } from './young-tables.js';

// Piece states.
const UNTOUCHED = 0;
const STARTED = 1;
const DONE = 2;

const NO_CANCELS: readonly never[] = Object.freeze([]);
const DUPLICATE = Object.freeze({ duplicate: true, pieceComplete: false, cancel: NO_CANCELS });
const ACCEPTED = Object.freeze({ duplicate: false, pieceComplete: false, cancel: NO_CANCELS });
const COMPLETED = Object.freeze({ duplicate: false, pieceComplete: true, cancel: NO_CANCELS });
const NO_BUDGET: RequestBudget = Object.freeze({});

interface PeerState<P> {
  readonly id: P;
  /** Block keys (index * stride + block) in flight with this peer; renewed (young-tables.ts). */
  inFlight: Set<number>;
  /** Keys added to `inFlight`, for its renewal. */
  inserts: number;
  /** Piece → number of its blocks in flight with this peer. */
  readonly pieces: Map<number, number>;
  /** `untouchedEpoch` when a scan last found no new piece for this peer; -1: scan again. */
  exhausted: number;
  /** The `has.count` of that scan: a bitfield that grew since is scanned again. */
  exhaustedCount: number;
}

/**
 * The block bookkeeping and request strategy of one torrent; see docs/picker.md. One instance,
 * mutated in place by the torrent's supervisor. Per block event: O(1), plus O(its other holders)
 * when a duplicate must be cancelled. Starting a piece scans the availability buckets, rarest first.
 *
 * `P` is whatever identifies a peer session for the caller (an address string, a session id).
 */
export class PiecePicker<P = string> {
  readonly pieceCount: number;
  private readonly geometry: BlockGeometry;
  private readonly random: () => number;
  private readonly randomFirstPieces: number;
  private readonly endgameThreshold: number;
  private readonly endgameMaxRequests: number;
  private readonly done: Bitfield;
  private readonly pieceState: Uint8Array;
  private readonly swarm: SwarmAvailability<P>;
  private readonly progress = new Map<number, PieceProgress<P>>();
  /** Started pieces with a free block, oldest first. */
  private readonly open = new Set<number>();
  private readonly peers = new Map<P, PeerState<P>>();
  /** Free blocks over all missing pieces, started or not. */
  private unrequested = 0;
  /** Bumped when a piece becomes untouched again, so exhausted peers scan again. */
  private untouchedEpoch = 0;
  private bytesLeft = 0;
  private readonly isUntouched = (index: number): boolean => this.pieceState[index] === UNTOUCHED;

  constructor(options: PiecePickerOptions, have?: Bitfield) {
    this.done = new Bitfield(options.pieceCount);
    this.pieceCount = options.pieceCount;
    this.geometry = new BlockGeometry(this.pieceCount, options.pieceLength, options.blockSize ?? 16384);
    this.random = options.random;
    this.randomFirstPieces = checkedOption('randomFirstPieces', options.randomFirstPieces ?? 4, 0);
    this.endgameThreshold = checkedOption('endgameThreshold', options.endgameThreshold ?? 0, 0);
    this.endgameMaxRequests = Math.min(255, checkedOption('endgameMaxRequests', options.endgameMaxRequests ?? 3, 1));
    this.pieceState = new Uint8Array(this.pieceCount);
    this.swarm = new SwarmAvailability<P>(this.pieceCount);
    if (have !== undefined) this.checkLength(have);
    for (let i = 0; i < this.pieceCount; i++) {
      if (have?.get(i) === true) this.retire(i);
      else this.unrequested += this.geometry.blockCount(i);
    }
  }

  get blockSize(): number {
    return this.geometry.blockSize;
  }

  get missingCount(): number {
    return this.pieceCount - this.done.count;
  }

  get isComplete(): boolean {
    return this.done.isComplete;
  }

  /** Every missing block (but `endgameThreshold`) has been requested: duplicates are handed out. */
  get inEndgame(): boolean {
    return !this.done.isComplete && this.unrequested <= this.endgameThreshold;
  }

  /** Pieces with at least one block requested or in, not yet verified (buffers the caller holds). */
  get piecesInProgress(): number {
    return this.progress.size;
  }

  hasPiece(index: number): boolean {
    return this.done.get(index);
  }

  /** Our bitfield message payload. */
  haveBytes(): Uint8Array {
    return this.done.toBytes();
  }

  /** Connected peers that have the piece. */
  availability(index: number): number {
    this.geometry.checkIndex(index);
    return this.swarm.availability(index);
  }

  peerHas(peerId: P, index: number): void {
    this.geometry.checkIndex(index);
    if (this.swarm.peerHas(peerId, index)) this.peer(peerId).exhausted = -1;
  }

  /** The peer's bitfield message (replaces what it said before). Copied, not kept. */
  peerBitfield(peerId: P, bitfield: Bitfield): void {
    this.checkLength(bitfield);
    this.swarm.peerBitfield(peerId, bitfield);
    this.peer(peerId).exhausted = -1;
  }

  /** BEP 6 have-all (or a full bitfield): O(1), counted as an offset on every piece. */
  peerHasAll(peerId: P): void {
    this.swarm.peerHasAll(peerId);
    this.peer(peerId).exhausted = -1;
  }

  /** The peer disconnected: its in-flight blocks go back to the pool, its pieces stop counting. */
  peerGone(peerId: P): void {
    this.swarm.peerGone(peerId);
    const peer = this.peers.get(peerId);
    if (peer === undefined) return;
    this.releaseAll(peer);
    this.peers.delete(peerId);
  }

  /** The peer choked us: BEP 3 says its pending requests are dropped; they go back to the pool. */
  peerChoked(peerId: P): void {
    const peer = this.peers.get(peerId);
    if (peer !== undefined) this.releaseAll(peer);
  }

  /** A request rejected (BEP 6) or timed out: the block goes back to the pool. */
  requestFailed(peerId: P, req: BlockRequest): void {
    const block = this.geometry.blockOf(req);
    const peer = this.peers.get(peerId);
    if (peer === undefined || !peer.inFlight.delete(this.key(req.index, block))) return;
    this.untrack(peer, req.index);
    this.release(req.index, block);
  }

  /** The blocks in flight with the peer (allocates; for timeouts and diagnostics). */
  inFlightFor(peerId: P): BlockRequest[] {
    const out: BlockRequest[] = [];
    for (const key of this.peers.get(peerId)?.inFlight ?? []) out.push(this.geometry.requestOf(key));
    return out;
  }

  /**
   * Up to `max` blocks to request from the peer, of pieces `has` says it has: blocks of pieces it
   * already works on, then of other started pieces (oldest first), then of new pieces (random
   * while fewer than `randomFirstPieces` are verified, else rarest first, ties at random), then,
   * in endgame, blocks in flight with other peers. The caller sends them and reports back.
   */
  nextRequests(peerId: P, has: Bitfield, max: number, budget: RequestBudget = NO_BUDGET): BlockRequest[] {
    this.checkLength(has);
    const out: BlockRequest[] = [];
    if (max <= 0 || this.done.isComplete || has.isEmpty) return out;
    const peer = this.peer(peerId);
    this.bytesLeft = budget.maxBytes ?? Number.POSITIVE_INFINITY;
    for (const index of peer.pieces.keys()) {
      const piece = this.progress.get(index);
      if (piece !== undefined && piece.freeCount > 0 && this.fillFree(peer, piece, out, max)) return out;
    }
    for (const index of this.open) {
      const piece = this.progress.get(index);
      if (piece !== undefined && has.get(index) && this.fillFree(peer, piece, out, max)) return out;
    }
    if (budget.startPieces !== false) {
      while (peer.exhausted !== this.untouchedEpoch || peer.exhaustedCount !== has.count) {
        const index = this.done.count < this.randomFirstPieces ? this.pickRandom(has) : this.swarm.rarest(has, this.isUntouched, this.random);
        if (index < 0) {
          peer.exhausted = this.untouchedEpoch;
          peer.exhaustedCount = has.count;
          break;
        }
        if (this.fillFree(peer, this.start(index), out, max)) return out;
      }
    }
    if (this.inEndgame) this.fillDuplicates(peer, has, out, max);
    return out;
  }

  /**
   * A block arrived. Accepted if its piece is started and the block not yet in (requested from
   * this peer or not); other peers that have it in flight are listed to be cancelled.
   */
  blockReceived(peerId: P, req: BlockRequest): BlockOutcome<P> {
    const block = this.geometry.blockOf(req);
    const key = this.key(req.index, block);
    const peer = this.peers.get(peerId);
    const own = peer !== undefined && peer.inFlight.delete(key);
    if (own) this.untrack(peer, req.index);
    const piece = this.progress.get(req.index);
    if (piece === undefined || piece.state[block] === RECEIVED) {
      if (own) this.release(req.index, block);
      return DUPLICATE;
    }
    if (piece.receive(block, peerId, own)) {
      this.unrequested--;
      if (piece.freeCount === 0) this.open.delete(req.index);
    }
    const cancel = (piece.requesters[block] ?? 0) > 0 ? this.withdraw(piece, block, peerId) : NO_CANCELS;
    piece.requesters[block] = 0;
    if (cancel.length > 0) return { duplicate: false, pieceComplete: piece.isComplete, cancel };
    return piece.isComplete ? COMPLETED : ACCEPTED;
  }

  /** The piece's hash matched and its bytes are stored: it is done. */
  pieceVerified(index: number): void {
    this.geometry.checkIndex(index);
    if (this.pieceState[index] === DONE) return;
    if (this.progress.get(index)?.isComplete !== true) throw new PiecesError({ kind: 'piece-not-complete', index });
    this.retire(index);
  }

  /**
   * The hash did not match (or the write failed): the piece starts over from scratch. Returns the
   * peers whose blocks went into it, for the caller to strike.
   */
  pieceFailed(index: number): P[] {
    this.geometry.checkIndex(index);
    const piece = this.progress.get(index);
    if (piece?.isComplete !== true) throw new PiecesError({ kind: 'piece-not-complete', index });
    this.progress.delete(index);
    this.pieceState[index] = UNTOUCHED;
    this.unrequested += piece.blockCount;
    this.untouchedEpoch++;
    return [...piece.contributors];
  }

  /** We have the piece from elsewhere (resume data, a check on disk); returns requests to cancel. */
  have(index: number): Cancel<P>[] {
    this.geometry.checkIndex(index);
    if (this.pieceState[index] === DONE) return [];
    const cancels: Cancel<P>[] = [];
    const piece = this.progress.get(index);
    if (piece === undefined) this.unrequested -= this.geometry.blockCount(index);
    else {
      this.unrequested -= piece.freeCount;
      for (let block = 0; block < piece.blockCount; block++) {
        if ((piece.requesters[block] ?? 0) > 0) cancels.push(...this.withdraw(piece, block, undefined));
      }
    }
    this.retire(index);
    return cancels;
  }

  private retire(index: number): void {
    this.progress.delete(index);
    this.open.delete(index);
    this.pieceState[index] = DONE;
    this.done.set(index);
    this.swarm.retire(index);
  }

  private start(index: number): PieceProgress<P> {
    const piece = new PieceProgress<P>(index, this.geometry.pieceLength(index), this.blockSize);
    this.progress.set(index, piece);
    this.pieceState[index] = STARTED;
    this.open.add(index);
    return piece;
  }

  /** Hands out free blocks of the piece; returns true when the call is full (count or bytes). */
  private fillFree(peer: PeerState<P>, piece: PieceProgress<P>, out: BlockRequest[], max: number): boolean {
    while (out.length < max) {
      const block = piece.nextFree();
      if (block < 0) return false;
      if (!this.hand(peer, piece, block, out)) return true;
      this.unrequested--;
      if (piece.freeCount === 0) this.open.delete(piece.index);
    }
    return true;
  }

  /** Endgame: blocks in flight with fewer peers first, never twice to one peer. */
  private fillDuplicates(peer: PeerState<P>, has: Bitfield, out: BlockRequest[], max: number): void {
    for (let level = 1; level < this.endgameMaxRequests; level++) {
      for (const piece of this.progress.values()) {
        if (piece.isComplete || !has.get(piece.index)) continue;
        for (let block = 0; block < piece.blockCount; block++) {
          if (piece.state[block] !== REQUESTED || piece.requesters[block] !== level) continue;
          if (peer.inFlight.has(this.key(piece.index, block))) continue;
          if (out.length >= max || !this.hand(peer, piece, block, out)) return;
        }
      }
    }
  }

  /** Records one block in flight with the peer, if the byte budget allows. */
  private hand(peer: PeerState<P>, piece: PieceProgress<P>, block: number, out: BlockRequest[]): boolean {
    const length = piece.blockLength(block);
    if (length > this.bytesLeft) return false;
    this.bytesLeft -= length;
    piece.request(block, peer.id);
    peer.inFlight.add(this.key(piece.index, block));
    peer.inserts += 1;
    if (peer.inserts % RENEW_AFTER_INSERTS === 0) peer.inFlight = new Set(peer.inFlight);
    peer.pieces.set(piece.index, (peer.pieces.get(piece.index) ?? 0) + 1);
    out.push({ index: piece.index, begin: block * this.blockSize, length });
    return true;
  }

  /**
   * Random first pieces: from a uniform piece index, the next untouched piece the peer has.
   * A scan by index, but only while fewer than `randomFirstPieces` pieces are done.
   */
  private pickRandom(has: Bitfield): number {
    const n = this.pieceCount;
    const offset = Math.min(n - 1, Math.floor(this.random() * n));
    for (let k = 0; k < n; k++) {
      const index = offset + k < n ? offset + k : offset + k - n;
      if (this.pieceState[index] === UNTOUCHED && has.get(index)) return index;
    }
    return -1;
  }

  /**
   * Removes the block from every peer but `except` that has it in flight; lists the cancels. Asks
   * only the peers the piece lists for the block (at most `endgameMaxRequests`), not every peer.
   */
  private withdraw(piece: PieceProgress<P>, block: number, except: P | undefined): Cancel<P>[] {
    const cancels: Cancel<P>[] = [];
    const key = this.key(piece.index, block);
    piece.takeHolders(block, (id) => {
      const other = id === except ? undefined : this.peers.get(id);
      if (other === undefined || !other.inFlight.delete(key)) return;
      this.untrack(other, piece.index);
      cancels.push({ peerId: id, req: this.geometry.requestOf(key) });
    });
    return cancels;
  }

  private releaseAll(peer: PeerState<P>): void {
    for (const key of peer.inFlight) {
      this.release(this.geometry.indexOfKey(key), this.geometry.blockOfKey(key));
    }
    peer.inFlight.clear();
    peer.pieces.clear();
  }

  private release(index: number, block: number): void {
    const piece = this.progress.get(index);
    if (piece === undefined || !piece.release(block)) return;
    this.unrequested++;
    this.open.add(index);
  }

  private untrack(peer: PeerState<P>, index: number): void {
    const left = (peer.pieces.get(index) ?? 1) - 1;
    if (left > 0) peer.pieces.set(index, left);
    else peer.pieces.delete(index);
  }

  private peer(peerId: P): PeerState<P> {
    let peer = this.peers.get(peerId);
    if (peer === undefined) {
      peer = { id: peerId, inFlight: new Set(), inserts: 0, pieces: new Map(), exhausted: -1, exhaustedCount: -1 };
      this.peers.set(peerId, peer);
    }
    return peer;
  }

  private key(index: number, block: number): number {
    return this.geometry.key(index, block);
  }

  private checkLength(bitfield: Bitfield): void {
    if (bitfield.length !== this.pieceCount) {
      throw new PiecesError({ kind: 'bitfield-size-mismatch', length: bitfield.length, expected: this.pieceCount });
    }
  }
}

function checkedOption(option: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new PiecesError({ kind: 'bad-option', option, value });
  return value;
}
