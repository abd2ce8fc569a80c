/**
 * The supervisor's bookkeeping for one torrent: peers, the piece picker, piece buffers, counters.
 * One instance is owned by one supervisor and mutated in place (never copied per event). It knows
 * nothing of Observables: the supervisor feeds it peer events and carries out what it asks for
 * through the `SwarmEffects` callbacks (send a command, verify and store a piece, read a block).
 */
import { toHex } from '../metainfo/parse-metainfo.js';
import { Bitfield } from '../pieces/bitfield.js';
import { copyBlock } from '../pieces/copy-block.js';
import { PiecePicker } from '../pieces/piece-picker.js';
import type { PeerAddress } from '../peer/connection.js';
import type { BlockRequest, PeerCommand, PeerEvent, PieceSet } from '../peer/peer-events.js';
import type { ChokeChanges, ChokerInput } from '../choke/choker.js';
import type { ChokePeer } from '../choke/choke-decision.js';
import { CorruptionTracker } from './corruption-tracker.js';
import type { SupervisorEvent, SwarmStats } from './supervisor-types.js';

export interface SwarmEffects {
  send(key: string, command: PeerCommand): void;
  /** Hash a complete piece, then write it; report back with `pieceStored` / `pieceFailed` / `storeFailed`. */
  verifyAndStore(index: number, data: Uint8Array): void;
  /** Read a block for an upload; report back with `blockRead`. */
  readBlock(key: string, request: BlockRequest): void;
  emit(event: SupervisorEvent): void;
  allocate(length: number, index: number): Uint8Array;
  /** Who is interested changed: the choker should look again. */
  chokeInputChanged(): void;
}

export interface SwarmOptions {
  readonly pieceCount: number;
  readonly pieceLength: (index: number) => number;
  readonly random: () => number;
  readonly memoryBudget: number;
  readonly maxStrikes: number;
}

/** One live (or handshaking) peer as the swarm sees it. */
export class SwarmPeer {
  live = false;
  peerId: string | undefined;
  pieces: PieceSet | undefined;
  /**
   * Pieces the peer has that we lack: we are interested while this is above zero. A seed's is not
   * counted down (it hears no `have`): it stays above zero, as the true count does, until our
   * last piece, when being complete ends our interest anyway.
   */
  wanted = 0;
  amInterested = false;
  amChoking = true;
  peerChoking = true;
  peerInterested = false;
  want = 0;
  downRate = 0;
  upRate = 0;
  constructor(readonly key: string, readonly address: PeerAddress) {}

  get isSeed(): boolean {
    return this.pieces !== undefined && this.pieces.count === this.pieces.length;
  }
}

export class Swarm {
  readonly picker: PiecePicker<string>;
  readonly peers = new Map<string, SwarmPeer>();
  /** Live peers not known to have every piece: those that hear `have` and count `wanted` down. */
  private readonly partial = new Set<SwarmPeer>();
  private readonly buffers = new Map<number, Uint8Array>();
  /** Bytes of complete pieces being hashed or written. */
  private settlingBytes = 0;
  private readonly corruption: CorruptionTracker;
  private readonly strikes = new Map<string, number>();
  private readonly bannedKeys = new Set<string>();
  private readonly bannedIds = new Set<string>();
  private received = 0;
  private uploaded = 0;
  private failed = 0;

  constructor(private readonly options: SwarmOptions, private readonly have: Bitfield, private readonly fx: SwarmEffects) {
    this.picker = new PiecePicker<string>(
      { pieceCount: options.pieceCount, pieceLength: options.pieceLength, random: options.random },
      have,
    );
    this.corruption = new CorruptionTracker(this.picker.blockSize);
  }

  get isComplete(): boolean {
    return this.picker.isComplete;
  }

  add(peer: SwarmPeer): void {
    this.peers.set(peer.key, peer);
  }

  /** Handles one event of one peer's session (may throw a `PiecesError` for a malformed block). */
  onPeerEvent(peer: SwarmPeer, event: PeerEvent): void {
    switch (event.type) {
      case 'connected':
      case 'extended-handshake':
      case 'allowed-fast':
      case 'cancel':
      case 'closed':
        return;
      case 'handshake': {
        const id = toHex(event.peerId);
        if (this.isBanned(peer.key, id) || [...this.peers.values()].some((other) => other !== peer && other.live && other.peerId === id)) {
          this.fx.send(peer.key, { type: 'close' }); // already connected to this peer another way
          return;
        }
        peer.live = true;
        peer.peerId = id;
        if (!peer.isSeed) this.partial.add(peer);
        this.fx.emit({ type: 'peer-connected', key: peer.key, address: peer.address });
        return;
      }
      case 'bitfield':
        this.onBitfield(peer, event.pieces);
        return;
      case 'have': {
        // The swarm keeps its own copy of what the peer has (the session updates only its own).
        const pieces = this.ownPieces(peer);
        if (!pieces.set(event.index)) return;
        this.picker.peerHas(peer.key, event.index);
        if (pieces.isComplete) this.partial.delete(peer);
        if (!this.have.get(event.index)) {
          peer.wanted += 1;
          this.updateInterest(peer);
        }
        return;
      }
      case 'choked':
        peer.peerChoking = true;
        peer.want = 0;
        return;
      case 'unchoked':
        peer.peerChoking = false;
        return;
      case 'interested':
        peer.peerInterested = true;
        this.fx.chokeInputChanged();
        return;
      case 'not-interested':
        peer.peerInterested = false;
        this.fx.chokeInputChanged();
        return;
      case 'want':
        peer.want = event.count;
        this.fill(peer);
        return;
      case 'block':
        this.onBlock(peer, event.index, event.begin, event.data);
        return;
      case 'rejected':
      case 'request-timeout':
        this.picker.requestFailed(peer.key, event.request);
        this.fillAll();
        return;
      case 'requests-dropped':
        for (const request of event.requests) this.picker.requestFailed(peer.key, request);
        this.fillAll();
        return;
      case 'request':
        if (!peer.amChoking && this.have.get(event.request.index)) this.fx.readBlock(peer.key, event.request);
        return;
      case 'rate':
        peer.downRate = event.down;
        peer.upRate = event.up;
        return;
    }
  }

  /** The session ended: its requests go back to the picker for the others. */
  remove(peer: SwarmPeer): void {
    if (this.peers.get(peer.key) !== peer) return;
    this.peers.delete(peer.key);
    this.partial.delete(peer);
    this.picker.peerGone(peer.key);
    if (peer.peerInterested) this.fx.chokeInputChanged();
    this.fillAll();
  }

  blockRead(key: string, request: BlockRequest, data: Uint8Array): void {
    const peer = this.peers.get(key);
    if (peer === undefined || peer.amChoking) return;
    this.uploaded += data.length;
    this.fx.send(key, { type: 'piece', index: request.index, begin: request.begin, data });
  }

  pieceStored(index: number, data: Uint8Array): void {
    this.settlingBytes -= data.length;
    for (const culprit of this.corruption.verified(index, data)) this.convict(culprit, index);
    this.picker.pieceVerified(index);
    this.have.set(index);
    this.fx.emit({ type: 'piece-verified', index });
    // Only peers that are not seeds hear `have`: a seed has no use for it (libtorrent's
    // send_redundant_have off, for seeds only), and in a swarm of seeds it was most of the
    // supervisor's work (docs/performance.md). A seed's interest changes only with the last piece.
    const have = { type: 'have', index } as const; // one command object for every peer
    for (const peer of this.partial) {
      this.fx.send(peer.key, have);
      if (peer.pieces?.get(index) === true) {
        peer.wanted -= 1;
        this.updateInterest(peer);
      }
    }
    if (this.picker.isComplete) {
      for (const peer of this.peers.values()) this.updateInterest(peer); // the seeds' too
      this.fx.emit(this.stats()); // the final counters, before the stream may end
      this.fx.emit({ type: 'complete' });
    }
    this.fillAll();
  }

  pieceFailed(index: number, data: Uint8Array): void {
    this.settlingBytes -= data.length;
    this.failed += data.length;
    const contributors = this.picker.pieceFailed(index);
    this.fx.emit({ type: 'piece-failed', index, bytes: data.length, peers: contributors });
    const culprit = this.corruption.failed(index, data);
    if (culprit !== undefined) this.convict(culprit, index);
    this.fillAll();
  }

  /** The piece was good but could not be written: back to the picker, no one to blame. */
  storeFailed(index: number, length: number, error: unknown): void {
    this.settlingBytes -= length;
    this.corruption.forget(index);
    this.picker.pieceFailed(index);
    this.fx.emit({ type: 'store-error', index, error });
    this.fillAll();
  }

  /** Pieces in which `key` was proven to have sent bad data. */
  strikesOf(key: string): number {
    return this.strikes.get(key) ?? 0;
  }

  /** A peer banned for bad data: by `host:port`, and by peer id so it cannot come back in. */
  isBanned(key: string, peerId?: string): boolean {
    return this.bannedKeys.has(key) || (peerId !== undefined && this.bannedIds.has(peerId));
  }

  /** `key` sent bad data for piece `index`: a strike; at `maxStrikes` it is banned and closed. */
  private convict(key: string, index: number): void {
    const strikes = (this.strikes.get(key) ?? 0) + 1;
    this.strikes.set(key, strikes);
    if (strikes < this.options.maxStrikes || this.bannedKeys.has(key)) return;
    this.bannedKeys.add(key);
    const peer = this.peers.get(key);
    if (peer?.peerId !== undefined) this.bannedIds.add(peer.peerId);
    this.fx.emit({ type: 'peer-banned', key, index });
    this.fx.send(key, { type: 'close' });
  }

  stats(): SwarmStats {
    let downRate = 0;
    let upRate = 0;
    let peers = 0;
    let seeds = 0;
    for (const peer of this.peers.values()) {
      if (!peer.live) continue;
      peers += 1;
      if (peer.isSeed) seeds += 1;
      downRate += peer.downRate;
      upRate += peer.upRate;
    }
    return {
      type: 'stats', received: this.received, uploaded: this.uploaded, failed: this.failed,
      downRate, upRate, peers, seeds, piecesDone: this.have.count,
    };
  }

  /** What the choker decides on: every live peer, its interest in us and its rates. */
  chokeSnapshot(): ChokerInput {
    const peers: ChokePeer[] = [];
    for (const peer of this.peers.values()) {
      if (peer.live) peers.push({ id: peer.key, interested: peer.peerInterested, downRate: peer.downRate, upRate: peer.upRate });
    }
    return { peers, seeding: this.picker.isComplete };
  }

  /** Carries out the choker's changes. */
  applyChoke(changes: ChokeChanges): void {
    for (const key of changes.unchoke) this.setChoking(key, false);
    for (const key of changes.choke) this.setChoking(key, true);
  }

  fillAll(): void {
    for (const peer of this.peers.values()) if (peer.want > 0) this.fill(peer);
  }

  private setChoking(key: string, choking: boolean): void {
    const peer = this.peers.get(key);
    if (peer === undefined || peer.amChoking === choking) return;
    peer.amChoking = choking;
    this.fx.send(key, { type: choking ? 'choke' : 'unchoke' });
  }

  /** The peer's pieces as a `Bitfield` this swarm owns (created empty for a peer that sent none). */
  private ownPieces(peer: SwarmPeer): Bitfield {
    if (isBitfield(peer.pieces)) return peer.pieces;
    const pieces = new Bitfield(this.options.pieceCount);
    const known = peer.pieces;
    if (known !== undefined) for (let i = 0; i < known.length; i += 1) if (known.get(i)) pieces.set(i);
    peer.pieces = pieces;
    return pieces;
  }

  private onBitfield(peer: SwarmPeer, pieces: PieceSet): void {
    peer.pieces = pieces;
    if (peer.isSeed) this.partial.delete(peer);
    else if (peer.live) this.partial.add(peer);
    if (pieces.count === pieces.length) this.picker.peerHasAll(peer.key);
    else if (isBitfield(pieces)) this.picker.peerBitfield(peer.key, pieces);
    else for (let i = 0; i < pieces.length; i += 1) if (pieces.get(i)) this.picker.peerHas(peer.key, i);
    let wanted = 0;
    if (!this.picker.isComplete) {
      for (let i = 0; i < pieces.length; i += 1) if (pieces.get(i) && !this.have.get(i)) wanted += 1;
    }
    peer.wanted = wanted;
    this.updateInterest(peer);
  }

  private onBlock(peer: SwarmPeer, index: number, begin: number, data: Uint8Array): void {
    this.received += data.length;
    const request = { index, begin, length: data.length };
    const outcome = this.picker.blockReceived(peer.key, request);
    for (const cancel of outcome.cancel) this.fx.send(cancel.peerId, { type: 'cancel', ...cancel.req });
    if (outcome.duplicate) return;
    this.corruption.record(index, begin, peer.key);
    let buffer = this.buffers.get(index);
    if (buffer === undefined) {
      buffer = this.fx.allocate(this.options.pieceLength(index), index);
      this.buffers.set(index, buffer);
    }
    copyBlock(buffer, begin, data);
    if (outcome.pieceComplete) {
      this.buffers.delete(index);
      this.settlingBytes += buffer.length;
      this.fx.verifyAndStore(index, buffer);
    }
  }

  private fill(peer: SwarmPeer): void {
    if (!peer.live || peer.peerChoking || !peer.amInterested || peer.pieces === undefined || peer.want <= 0) return;
    if (!isBitfield(peer.pieces)) return;
    const pieceBytes = this.options.pieceLength(0);
    const held = this.picker.piecesInProgress * pieceBytes + this.settlingBytes;
    // One piece may always start, even one larger than the whole budget.
    const requests = this.picker.nextRequests(peer.key, peer.pieces, peer.want, {
      startPieces: held === 0 || held + pieceBytes <= this.options.memoryBudget,
    });
    peer.want -= requests.length;
    if (requests.length > 0) this.fx.send(peer.key, { type: 'requests', requests });
  }

  private updateInterest(peer: SwarmPeer): void {
    const interested = peer.wanted > 0 && !this.picker.isComplete;
    if (!peer.live || interested === peer.amInterested) return;
    peer.amInterested = interested;
    this.fx.send(peer.key, { type: interested ? 'interested' : 'not-interested' });
    if (interested) this.fill(peer);
  }
}

/** The session hands out `Bitfield`s behind the `PieceSet` view; the picker needs the class. */
function isBitfield(pieces: PieceSet | undefined): pieces is Bitfield {
  return pieces instanceof Bitfield;
}
