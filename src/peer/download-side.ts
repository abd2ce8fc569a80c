import type { SchedulerLike, Subscription } from '../rx.js';
import { encodeMessage, encodeRequests } from '../wire/encode-message.js';
import type { BlockRequest, CloseReason, PeerEvent } from './peer-events.js';
import type { ResolvedPeerSessionOptions } from './peer-session-options.js';
import { pipelineDepth } from './pipeline-depth.js';
import { RequestPipeline } from './request-pipeline.js';
import { StallClock } from './stall-clock.js';

/** A pipeline is topped up once this fraction of its depth (1 / divisor) is missing. */
const TOP_UP_DIVISOR = 2;

/** What the download side needs of its session. */
export interface DownloadLink {
  closed(): boolean;
  /** Reading is paused: no request clock runs. */
  paused(): boolean;
  /** BEP 6 was negotiated: a choke keeps our requests, each gets a piece or a reject. */
  fast(): boolean;
  send(chunks: Uint8Array[]): void;
  /** The session's sink itself (called once per block: no wrapper in between). */
  readonly emit: (event: PeerEvent) => void;
  close(reason: CloseReason): void;
  /** Runs `work` after `ms`, unless the session has closed by then. */
  after(ms: number, work: () => void): Subscription;
}

/**
 * The fetching half of a peer session: the peer's choke towards us and its allowed-fast pieces,
 * our requests in flight (`RequestPipeline`), their timeouts, the stall clock, the download rate,
 * and the `want`s that size the pipeline to it. The supervisor's requests go out through
 * `request`; blocks and rejects come back through `onBlock` and `onReject`.
 */
export class DownloadSide {
  /** Between the handshakes and the close: only then are wants offered. */
  private live = false;
  private peerChoking = true;
  private peerReqq: number | undefined = undefined;
  private readonly allowedFast = new Set<number>();
  private readonly pipeline: RequestPipeline;
  private readonly stall = new StallClock();
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
  private stallTimer: Subscription | undefined;
  private requestTimer: Subscription | undefined;

  constructor(
    private readonly link: DownloadLink,
    private readonly options: ResolvedPeerSessionOptions,
    private readonly scheduler: SchedulerLike,
    private readonly pieceCount: number,
  ) {
    this.pipeline = new RequestPipeline(2 * options.maxPipeline);
  }

  /** The handshakes are done: the first rate window starts. */
  start(now: number): void {
    this.live = true;
    this.windowStart = now;
  }

  /** The peer's `reqq` (BEP 10): the pipeline never goes deeper. */
  setPeerQueue(reqq: number | undefined): void {
    this.peerReqq = reqq;
  }

  onUnchoke(): void {
    if (!this.peerChoking) return;
    this.peerChoking = false;
    this.link.emit({ type: 'unchoked' });
    this.offerWant();
  }

  onChoke(): void {
    if (this.peerChoking) return;
    this.peerChoking = true;
    this.owed = 0; // the supervisor drops a choked peer's want
    this.link.emit({ type: 'choked' });
    // BEP 6: a choke no longer cancels requests; each one gets a piece or a reject.
    if (this.link.fast() || this.pipeline.size === 0 || this.link.closed()) return;
    const dropped = this.pipeline.abandonAll();
    this.stall.release(0);
    this.link.emit({ type: 'requests-dropped', requests: dropped, reason: 'choked' });
  }

  /** BEP 6 allowed-fast: requests for `index` go out even while the peer chokes us. */
  onAllowedFast(index: number): void {
    if (index >= this.pieceCount || this.allowedFast.has(index)) return;
    this.allowedFast.add(index);
    this.link.emit({ type: 'allowed-fast', index });
  }

  /** A block arrived at `at`. */
  onBlock(index: number, begin: number, data: Uint8Array, at: number): void {
    const request = this.pipeline.settle(index, begin, data.length);
    if (request === undefined) {
      if (this.pipeline.forget(index, begin, data.length)) {
        this.bytesDown += data.length;
        this.stall.answered(at, this.pipeline.size); // late, but alive
        return;
      }
      this.link.close({ kind: 'unrequested-block', index, begin, length: data.length });
      return;
    }
    this.bytesDown += data.length;
    this.stall.answered(at, this.pipeline.size);
    this.link.emit({ type: 'block', index, begin, data });
    this.offerWant();
  }

  /** A reject arrived at `at`. */
  onReject(request: BlockRequest, at: number): void {
    if (!this.link.fast()) {
      this.link.close({ kind: 'unexpected-message', message: 'reject' });
      return;
    }
    // A reject for a request we abandoned (or never sent) is dropped: BEP 6 only says SHOULD close.
    if (this.pipeline.settle(request.index, request.begin, request.length) === undefined) {
      this.pipeline.forget(request.index, request.begin, request.length);
      return;
    }
    this.stall.answered(at, this.pipeline.size);
    this.link.emit({ type: 'rejected', request });
    this.offerWant();
  }

  /**
   * Sends, in one write, the requests the pipeline takes; then reports the others as dropped
   * (choked, or the pipeline full), in one event per reason. Throws `RangeError` for a request
   * outside the torrent or the block limit.
   */
  request(requests: readonly BlockRequest[]): void {
    this.owed = Math.max(0, this.owed - requests.length);
    const now = this.scheduler.now();
    const paused = this.link.paused();
    const sent: BlockRequest[] = [];
    const choked: BlockRequest[] = [];
    const full: BlockRequest[] = [];
    for (const request of requests) {
      const { index, length } = request;
      if (index >= this.pieceCount || length <= 0 || length > this.options.maxBlockLength) {
        throw new RangeError(`request ${index}:${request.begin}:${length} is outside the torrent or the block limit`);
      }
      if (this.pipeline.has(request)) continue;
      if (this.peerChoking && !this.allowedFast.has(index)) {
        choked.push(request);
      } else if (this.pipeline.size >= this.pipelineCap()) {
        full.push(request);
      } else {
        this.pipeline.add(request, paused ? undefined : now);
        sent.push(request);
      }
    }
    if (sent.length > 0) {
      const frames = encodeRequests(sent);
      this.armRequestTimer();
      if (this.stall.asked(now)) this.armStall();
      this.link.send([frames]);
    }
    if (choked.length > 0) this.link.emit({ type: 'requests-dropped', requests: choked, reason: 'choked' });
    if (full.length > 0) this.link.emit({ type: 'requests-dropped', requests: full, reason: 'full' });
  }

  /** The supervisor gave up on a request (another peer delivered it): a `cancel` if it is in flight. */
  cancel(request: BlockRequest): void {
    if (this.pipeline.abandon(request)) this.link.send([encodeMessage({ type: 'cancel', ...request })]);
    this.stall.release(this.pipeline.size);
  }

  /** Reading paused: the request and stall clocks stop (the wait is ours, not the peer's). */
  pause(): void {
    this.stallTimer?.unsubscribe();
    this.stallTimer = undefined;
    this.requestTimer?.unsubscribe();
    this.requestTimer = undefined;
    this.pipeline.stopClocks();
  }

  resume(now: number): void {
    this.stall.restart(now);
    this.armStall();
    this.pipeline.restartClocks(now);
    this.armRequestTimer();
  }

  /**
   * Closes the rate window of `period` ms: the rate is whole bytes per second, as a small integer
   * (the raw quotient is a heap number even when it is whole, and storing one turns the field into
   * a double, which deoptimises every method V8 had compiled for this class: a 1 GiB download had
   * 63 deopts before, 35 after). Returns it.
   */
  closeRateWindow(period: number, now: number): number {
    this.rateDown = Math.round((this.bytesDown * 1000) / period);
    this.bytesDown = 0;
    this.windowStart = now;
    return this.rateDown;
  }

  /** Tells the supervisor how many more requests would fill the pipeline, when it can take any. */
  offerWant(): void {
    if (!this.live || this.peerChoking) return;
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
    // A pipeline is topped up in batches of half its depth: fewer wants, picks and writes here,
    // and a seeder woken once per batch of requests (docs/performance.md, round 14). Half still
    // leaves a second of transfer in flight at the depth's 2 s horizon.
    // What the supervisor still owes counts as asked for; a want that shrinks is said at once.
    if (count < this.owed || count - this.owed >= Math.max(1, Math.floor(depth / TOP_UP_DIVISOR))) {
      this.owed = count;
      this.link.emit({ type: 'want', count });
    }
  }

  /** Stops both timers and forgets every request, without a word. */
  dispose(): void {
    this.live = false;
    this.stallTimer?.unsubscribe();
    this.requestTimer?.unsubscribe();
    this.pipeline.dispose();
  }

  private pipelineCap(): number {
    return Math.min(this.options.maxPipeline, this.peerReqq ?? this.options.maxPipeline);
  }

  /**
   * One lazy timer for every request's timeout, due when the oldest one's is: answered requests
   * leave it armed, and it re-checks the clock when it fires.
   */
  private armRequestTimer(): void {
    if (this.requestTimer !== undefined || this.link.paused()) return;
    const oldest = this.pipeline.oldestSentAt();
    if (oldest === undefined) return;
    const timeout = this.options.requestTimeout;
    this.requestTimer = this.link.after(Math.max(0, oldest + timeout - this.scheduler.now()), () => {
      this.requestTimer = undefined;
      for (const request of this.pipeline.expired(this.scheduler.now(), timeout)) {
        if (this.link.closed()) return;
        if (!this.pipeline.abandon(request)) continue;
        this.link.send([encodeMessage({ type: 'cancel', ...request })]);
        this.link.emit({ type: 'request-timeout', request });
        this.offerWant();
      }
      if (!this.link.closed()) this.armRequestTimer();
    });
  }

  /** One lazy timer while the peer owes an answer; it re-checks the clock when it fires. */
  private armStall(): void {
    if (this.stallTimer !== undefined || this.link.paused()) return;
    const owing = this.stall.owing(this.scheduler.now());
    if (owing === undefined) return;
    const limit = this.options.stallTimeout;
    this.stallTimer = this.link.after(limit - owing, () => {
      this.stallTimer = undefined;
      const now = this.stall.owing(this.scheduler.now());
      if (now !== undefined && now >= limit) this.link.close({ kind: 'stalled', ms: limit });
      else this.armStall();
    });
  }
}
