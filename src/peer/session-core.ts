/**
 * The live part of a peer session: one `SessionCore` per open connection. It is the state of
 * the handshake, our interest and the peer's choke and interest, the peer's pieces and our
 * request pipeline (the download side), and it turns each received message and each command
 * into writes and `PeerEvent`s. The serving side (our choke, the peer's requests, the blocks we
 * send) is its `UploadServer`.
 *
 * It is driven from `liveSession` (the Observable shell) and never throws at its callers: every
 * failure becomes `close(reason)`, which emits `closed` and completes. All time is
 * `scheduler.now()` and `scheduler.schedule`.
 */
import type { SchedulerLike, Subscription } from '../rx.js';
import { Bitfield } from '../pieces/bitfield.js';
import { PiecesError } from '../pieces/pieces-error.js';
import { encodeMessage, encodeRequests } from '../wire/encode-message.js';
import { encodeHandshake, encodeReserved } from '../wire/handshake.js';
import type { Handshake } from '../wire/handshake.js';
import { EXTENDED_HANDSHAKE_ID, KEEP_ALIVE } from '../wire/messages.js';
import type { PeerMessage } from '../wire/messages.js';
import type { Connection } from './connection.js';
import { decodeExtensionHandshake, encodeExtensionHandshake } from './extension-handshake.js';
import type { BlockRequest, CloseReason, PeerCommand, PeerEvent } from './peer-events.js';
import type { ResolvedPeerSessionOptions } from './peer-session-options.js';
import { pipelineDepth } from './pipeline-depth.js';
import { RequestPipeline } from './request-pipeline.js';
import { StallClock } from './stall-clock.js';
import { UploadServer } from './upload-server.js';
import { WindowCounter } from './window-counter.js';

export interface SessionCoreInput {
  readonly infoHash: Uint8Array;
  readonly ourPeerId: Uint8Array;
  readonly pieceCount: number;
  readonly ourBitfield: Uint8Array;
  /** Bytes in piece `index`: when given, a request that runs past its piece is a `bad-request`. */
  readonly pieceLength?: (index: number) => number;
}

export type SessionSink = (event: PeerEvent) => void;

/** We always offer BEP 6 and BEP 10. */
const OUR_RESERVED = encodeReserved({ fast: true, extended: true });

export class SessionCore {
  private phase: 'handshaking' | 'live' | 'closed' = 'handshaking';
  private fast = false;
  private amInterested = false;
  private peerChoking = true;
  private peerInterested = false;
  private paused = false;
  private writable = true;
  private sawPieces = false;
  private peerReqq: number | undefined = undefined;
  private readonly ours: Bitfield;
  private theirs: Bitfield;
  private readonly allowedFast = new Set<number>();
  private readonly pipeline: RequestPipeline;
  private readonly uploads: UploadServer;
  private readonly stall = new StallClock();
  private readonly keepAlives: WindowCounter;
  private lastSent: number;
  private lastReceived: number;
  private bytesDown = 0;
  private rateDown = 0;
  /**
   * Requests the last `want` asked for that have not come yet. The supervisor keeps a want until
   * it has sent that many or the peer chokes, and fills it as soon as it can, so while it owes
   * requests (a download held back by its memory budget) each block need not ask again.
   */
  private owed = 0;
  /** When the current rate window began (its bytes are `bytesDown`). */
  private windowStart = 0;
  private handshakeTimer: Subscription | undefined;
  private idleTimer: Subscription | undefined;
  private keepAliveTimer: Subscription | undefined;
  private rateTimer: Subscription | undefined;
  private stallTimer: Subscription | undefined;
  private requestTimer: Subscription | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly input: SessionCoreInput,
    private readonly options: ResolvedPeerSessionOptions,
    private readonly scheduler: SchedulerLike,
    private readonly emit: SessionSink,
    private readonly onLive: () => void,
    private readonly onClosed: () => void,
  ) {
    this.ours = Bitfield.fromBytes(input.ourBitfield, input.pieceCount);
    this.theirs = new Bitfield(input.pieceCount);
    this.pipeline = new RequestPipeline(2 * options.maxPipeline);
    this.uploads = new UploadServer({
      fast: () => this.fast,
      have: (index) => this.ours.get(index),
      writable: () => this.writable,
      closed: () => this.closed,
      send: (chunks) => this.send(chunks),
      emit: (event) => this.emit(event),
      close: (reason) => this.close(reason),
    }, options);
    this.keepAlives = new WindowCounter(options.maxKeepAlives, options.keepAliveWindow);
    this.lastSent = this.lastReceived = scheduler.now();
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Sends our handshake; with no handshake in hand yet, starts the handshake timeout. */
  start(theirHandshake: Handshake | undefined): void {
    this.emit({ type: 'connected', address: this.connection.remoteAddress });
    if (this.closed) return;
    this.send([encodeHandshake({ infoHash: this.input.infoHash, peerId: this.input.ourPeerId, reserved: OUR_RESERVED })]);
    if (theirHandshake !== undefined) {
      this.onHandshake(theirHandshake);
    } else {
      const ms = this.options.handshakeTimeout;
      this.handshakeTimer = this.after(ms, () => this.close({ kind: 'handshake-timeout', ms }));
    }
  }

  onHandshake(h: Handshake): void {
    this.handshakeTimer?.unsubscribe();
    if (!sameBytes(h.infoHash, this.input.infoHash)) {
      this.close({ kind: 'wrong-info-hash', infoHash: h.infoHash });
      return;
    }
    if (sameBytes(h.peerId, this.input.ourPeerId)) {
      this.close({ kind: 'self-connection' });
      return;
    }
    this.fast = h.extensions.fast;
    this.send(this.openingMessages(h.extensions.extended));
    this.phase = 'live';
    this.lastReceived = this.scheduler.now();
    this.armIdle(this.options.idleTimeout);
    this.armKeepAlive(this.options.keepAliveInterval);
    this.windowStart = this.lastReceived;
    this.armRate();
    this.onLive();
    if (this.closed) return;
    this.emit({ type: 'handshake', peerId: h.peerId, extensions: h.extensions });
  }

  onMessage(m: PeerMessage): void {
    if (this.closed) return;
    this.lastReceived = this.scheduler.now();
    switch (m.type) {
      case 'keep-alive':
        // BEP 3 peers send one every two minutes; a stream of them is someone holding the slot.
        if (this.keepAlives.hit(this.lastReceived)) {
          this.close({ kind: 'keepalive-flood', max: this.keepAlives.max, windowMs: this.keepAlives.windowMs });
        }
        return;
      case 'port':
      case 'unknown':
        return;
      case 'choke':
        return this.onChoke();
      case 'unchoke':
        if (!this.peerChoking) return;
        this.peerChoking = false;
        this.emit({ type: 'unchoked' });
        return this.offerWant();
      case 'interested':
      case 'not-interested':
        if (this.peerInterested === (m.type === 'interested')) return;
        this.peerInterested = m.type === 'interested';
        return this.emit({ type: m.type });
      case 'have':
        return this.onHave(m.index);
      case 'bitfield':
        return this.onPieces(m.type, () => Bitfield.fromBytes(m.bits, this.input.pieceCount));
      case 'have-all':
        return this.onPieces(m.type, () => Bitfield.full(this.input.pieceCount));
      case 'have-none':
        return this.onPieces(m.type, () => new Bitfield(this.input.pieceCount));
      case 'piece':
        return this.onBlock(m.index, m.begin, m.block);
      case 'request':
        return this.onPeerRequest({ index: m.index, begin: m.begin, length: m.length });
      case 'cancel':
        return this.uploads.cancel({ index: m.index, begin: m.begin, length: m.length });
      case 'reject':
        return this.onReject({ index: m.index, begin: m.begin, length: m.length });
      case 'suggest':
        if (!this.fast) this.close({ kind: 'unexpected-message', message: m.type });
        return;
      case 'allowed-fast':
        if (!this.fast) return this.close({ kind: 'unexpected-message', message: m.type });
        if (m.index >= this.input.pieceCount || this.allowedFast.has(m.index)) return;
        this.allowedFast.add(m.index);
        return this.emit({ type: 'allowed-fast', index: m.index });
      case 'extended':
        if (m.id !== EXTENDED_HANDSHAKE_ID) return;
        return this.onExtensionHandshake(m.payload);
    }
  }

  onCommand(c: PeerCommand): void {
    if (this.closed) return;
    try {
      this.command(c);
    } catch (err) {
      this.close({ kind: 'bad-command', command: c.type, message: err instanceof Error ? err.message : String(err) });
    }
  }

  onDrain(): void {
    this.writable = true;
    this.uploads.flush();
  }

  /** Emits `closed` (once), stops every timer and completes. */
  close(reason: CloseReason): void {
    if (this.closed) return;
    this.dispose();
    this.emit({ type: 'closed', reason });
    this.onClosed();
  }

  /** Stops every timer without emitting: the subscriber left. */
  dispose(): void {
    this.phase = 'closed';
    for (const timer of [this.handshakeTimer, this.idleTimer, this.keepAliveTimer, this.rateTimer, this.stallTimer, this.requestTimer]) {
      timer?.unsubscribe();
    }
    this.pipeline.dispose();
    this.uploads.clear();
  }

  private command(c: PeerCommand): void {
    switch (c.type) {
      case 'request':
        return this.request([{ index: c.index, begin: c.begin, length: c.length }]);
      case 'requests':
        return this.request(c.requests);
      case 'cancel': {
        const request = { index: c.index, begin: c.begin, length: c.length };
        if (this.pipeline.abandon(request)) this.send([encodeMessage({ type: 'cancel', ...request })]);
        return this.stall.release(this.pipeline.size);
      }
      case 'interested':
      case 'not-interested':
        if (this.amInterested === (c.type === 'interested')) return;
        this.amInterested = c.type === 'interested';
        return this.send([encodeMessage({ type: c.type })]);
      case 'choke':
        return this.uploads.choke();
      case 'unchoke':
        return this.uploads.unchoke();
      case 'have':
        this.ours.set(c.index);
        return this.send([encodeMessage({ type: 'have', index: c.index })]);
      case 'piece':
        return this.uploads.piece(c.index, c.begin, c.data);
      case 'pause':
        if (this.paused) return;
        this.paused = true;
        this.connection.pause();
        this.idleTimer?.unsubscribe();
        this.stallTimer?.unsubscribe();
        this.stallTimer = undefined;
        this.requestTimer?.unsubscribe();
        this.requestTimer = undefined;
        return this.pipeline.stopClocks();
      case 'resume':
        if (!this.paused) return;
        this.paused = false;
        this.connection.resume();
        this.lastReceived = this.scheduler.now();
        this.armIdle(this.options.idleTimeout);
        this.stall.restart(this.lastReceived);
        this.armStall();
        this.pipeline.restartClocks(this.lastReceived);
        return this.armRequestTimer();
      case 'close':
        return this.close({ kind: 'local-close' });
    }
  }

  /**
   * Sends, in one write, the requests the pipeline takes; then reports the others as dropped
   * (choked, or the pipeline full), in one event per reason.
   */
  private request(requests: readonly BlockRequest[]): void {
    this.owed = Math.max(0, this.owed - requests.length);
    const now = this.scheduler.now();
    const sent: BlockRequest[] = [];
    const choked: BlockRequest[] = [];
    const full: BlockRequest[] = [];
    for (const request of requests) {
      const { index, length } = request;
      if (index >= this.input.pieceCount || length <= 0 || length > this.options.maxBlockLength) {
        throw new RangeError(`request ${index}:${request.begin}:${length} is outside the torrent or the block limit`);
      }
      if (this.pipeline.has(request)) continue;
      if (this.peerChoking && !this.allowedFast.has(index)) {
        choked.push(request);
      } else if (this.pipeline.size >= this.pipelineCap()) {
        full.push(request);
      } else {
        this.pipeline.add(request, this.paused ? undefined : now);
        sent.push(request);
      }
    }
    if (sent.length > 0) {
      const frames = encodeRequests(sent);
      this.armRequestTimer();
      if (this.stall.asked(now)) this.armStall();
      this.send([frames]);
    }
    if (choked.length > 0) this.emit({ type: 'requests-dropped', requests: choked, reason: 'choked' });
    if (full.length > 0) this.emit({ type: 'requests-dropped', requests: full, reason: 'full' });
  }

  private onChoke(): void {
    if (this.peerChoking) return;
    this.peerChoking = true;
    this.owed = 0; // the supervisor drops a choked peer's want
    this.emit({ type: 'choked' });
    // BEP 6: a choke no longer cancels requests; each one gets a piece or a reject.
    if (this.fast || this.pipeline.size === 0 || this.closed) return;
    const dropped = this.pipeline.abandonAll();
    this.stall.release(0);
    this.emit({ type: 'requests-dropped', requests: dropped, reason: 'choked' });
  }

  private onHave(index: number): void {
    if (index >= this.input.pieceCount) {
      this.close({ kind: 'have-out-of-range', index, pieceCount: this.input.pieceCount });
      return;
    }
    this.sawPieces = true;
    if (this.theirs.set(index)) this.emit({ type: 'have', index });
  }

  /** A bitfield, have-all or have-none: only before any other piece news, and BEP 6 ones with BEP 6. */
  private onPieces(type: 'bitfield' | 'have-all' | 'have-none', read: () => Bitfield): void {
    if (type !== 'bitfield' && !this.fast) {
      this.close({ kind: 'unexpected-message', message: type });
      return;
    }
    let pieces: Bitfield;
    try {
      pieces = read();
    } catch (err) {
      if (!(err instanceof PiecesError)) throw err;
      this.close({ kind: 'bad-bitfield', error: err.detail });
      return;
    }
    if (this.sawPieces) {
      // Late piece news (aria2 sends a bitfield after `have`s): taken as the `have`s it adds.
      for (const index of pieces.setIndexes()) if (this.theirs.set(index)) this.emit({ type: 'have', index });
      return;
    }
    this.theirs = pieces;
    this.sawPieces = true;
    this.emit({ type: 'bitfield', pieces: this.theirs.clone() });
  }

  private onBlock(index: number, begin: number, data: Uint8Array): void {
    const request = this.pipeline.settle(index, begin, data.length);
    if (request === undefined) {
      if (this.pipeline.forget(index, begin, data.length)) {
        this.bytesDown += data.length;
        this.stall.answered(this.lastReceived, this.pipeline.size); // late, but alive
        return;
      }
      this.close({ kind: 'unrequested-block', index, begin, length: data.length });
      return;
    }
    this.bytesDown += data.length;
    this.stall.answered(this.lastReceived, this.pipeline.size);
    this.emit({ type: 'block', index, begin, data });
    this.offerWant();
  }

  private onReject(request: BlockRequest): void {
    if (!this.fast) {
      this.close({ kind: 'unexpected-message', message: 'reject' });
      return;
    }
    // A reject for a request we abandoned (or never sent) is dropped: BEP 6 only says SHOULD close.
    if (this.pipeline.settle(request.index, request.begin, request.length) === undefined) {
      this.pipeline.forget(request.index, request.begin, request.length);
      return;
    }
    this.stall.answered(this.lastReceived, this.pipeline.size);
    this.emit({ type: 'rejected', request });
    this.offerWant();
  }

  private onPeerRequest(request: BlockRequest): void {
    const { index, begin, length } = request;
    const pieceLength = this.input.pieceLength;
    if (index >= this.input.pieceCount || length === 0 || length > this.options.maxRequestLength
      || (pieceLength !== undefined && begin + length > pieceLength(index))) {
      this.close({ kind: 'bad-request', index, begin, length });
      return;
    }
    this.uploads.request(request);
  }

  private onExtensionHandshake(payload: Uint8Array): void {
    const { client, reqq } = decodeExtensionHandshake(payload);
    this.peerReqq = reqq;
    this.emit({ type: 'extended-handshake', client, reqq });
  }

  /** The first messages after the handshakes: our pieces (BEP 3 / BEP 6), then BEP 10's. */
  private openingMessages(peerHasExtensions: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.fast && this.ours.isComplete) out.push(encodeMessage({ type: 'have-all' }));
    else if (this.fast && this.ours.isEmpty) out.push(encodeMessage({ type: 'have-none' }));
    else if (!this.ours.isEmpty) out.push(encodeMessage({ type: 'bitfield', bits: this.ours.toBytes() }));
    if (peerHasExtensions) {
      const payload = encodeExtensionHandshake({
        client: this.options.clientName,
        reqq: this.options.maxQueuedRequests,
        ...(this.options.listenPort === undefined ? {} : { port: this.options.listenPort }),
      });
      out.push(encodeMessage({ type: 'extended', id: EXTENDED_HANDSHAKE_ID, payload }));
    }
    return out;
  }

  private pipelineCap(): number {
    return Math.min(this.options.maxPipeline, this.peerReqq ?? this.options.maxPipeline);
  }

  /** Tells the supervisor how many more requests would fill the pipeline, when it can take any. */
  private offerWant(): void {
    if (this.phase !== 'live' || this.peerChoking) return;
    // Slow start: the rate so far in this window counts too (over at least a tenth of a second),
    // so a fast peer fills a deep pipeline within milliseconds, not after the first full window.
    const elapsed = Math.max(this.scheduler.now() - this.windowStart, this.options.rateInterval / 10);
    const rate = Math.max(this.rateDown, (this.bytesDown * 1000) / elapsed);
    const depth = pipelineDepth(rate, {
      blockSize: this.options.blockSize,
      horizon: this.options.pipelineHorizon,
      min: this.options.minPipeline,
      max: this.pipelineCap(),
    });
    const count = Math.max(0, depth - this.pipeline.size);
    // A deep pipeline is topped up in batches (an eighth of it): fewer wants, picks and writes.
    // What the supervisor still owes counts as asked for; a want that shrinks is said at once.
    if (count < this.owed || count - this.owed >= Math.max(1, Math.floor(depth / 8))) {
      this.owed = count;
      this.emit({ type: 'want', count });
    }
  }

  private send(chunks: Uint8Array[]): void {
    if (this.closed || chunks.length === 0) return;
    if (!this.connection.write(chunks)) this.writable = false;
    this.lastSent = this.scheduler.now();
  }

  /**
   * One lazy timer for every request's timeout, due when the oldest one's is: answered requests
   * leave it armed, and it re-checks the clock when it fires.
   */
  private armRequestTimer(): void {
    if (this.requestTimer !== undefined || this.paused) return;
    const oldest = this.pipeline.oldestSentAt();
    if (oldest === undefined) return;
    const timeout = this.options.requestTimeout;
    this.requestTimer = this.after(Math.max(0, oldest + timeout - this.scheduler.now()), () => {
      this.requestTimer = undefined;
      for (const request of this.pipeline.expired(this.scheduler.now(), timeout)) {
        if (this.closed) return;
        if (!this.pipeline.abandon(request)) continue;
        this.send([encodeMessage({ type: 'cancel', ...request })]);
        this.emit({ type: 'request-timeout', request });
        this.offerWant();
      }
      if (!this.closed) this.armRequestTimer();
    });
  }

  /** Idle and keep-alive re-check lazily: one timer each, moved only when it fires. */
  private armIdle(delay: number): void {
    this.idleTimer = this.after(delay, () => {
      const silent = this.scheduler.now() - this.lastReceived;
      if (silent >= this.options.idleTimeout) this.close({ kind: 'idle-timeout', ms: this.options.idleTimeout });
      else this.armIdle(this.options.idleTimeout - silent);
    });
  }

  /** One lazy timer while the peer owes an answer; it re-checks the clock when it fires. */
  private armStall(): void {
    if (this.stallTimer !== undefined || this.paused) return;
    const owing = this.stall.owing(this.scheduler.now());
    if (owing === undefined) return;
    const limit = this.options.stallTimeout;
    this.stallTimer = this.after(limit - owing, () => {
      this.stallTimer = undefined;
      const now = this.stall.owing(this.scheduler.now());
      if (now !== undefined && now >= limit) this.close({ kind: 'stalled', ms: limit });
      else this.armStall();
    });
  }

  private armKeepAlive(delay: number): void {
    this.keepAliveTimer = this.after(delay, () => {
      const quiet = this.scheduler.now() - this.lastSent;
      if (quiet >= this.options.keepAliveInterval) this.send([encodeMessage(KEEP_ALIVE)]);
      this.armKeepAlive(this.options.keepAliveInterval - (this.scheduler.now() - this.lastSent));
    });
  }

  private armRate(): void {
    const period = this.options.rateInterval;
    this.rateTimer = this.after(period, () => {
      // Whole bytes per second, as small integers: the raw quotient is a heap number even when it
      // is whole, and storing one turns the field into a double, which deoptimises every method
      // V8 had compiled for this class (a 1 GiB download: 63 deopts before, 35 after).
      this.rateDown = Math.round((this.bytesDown * 1000) / period);
      const up = Math.round((this.uploads.takeSentBytes() * 1000) / period);
      this.bytesDown = 0;
      this.windowStart = this.scheduler.now();
      this.armRate();
      this.emit({ type: 'rate', down: this.rateDown, up });
      this.offerWant();
    });
  }

  private after(ms: number, work: () => void): Subscription {
    return this.scheduler.schedule(() => {
      if (!this.closed) work();
    }, ms);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
