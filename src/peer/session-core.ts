/**
 * The live part of a peer session: one `SessionCore` per open connection. It is the state of
 * the handshake, our interest, the peer's interest and pieces, and the connection's timers
 * (handshake, idle, keep-alive, rate), and it turns each received message and each command into
 * writes and `PeerEvent`s. The fetching side (the peer's choke, our requests and their clocks,
 * the wants) is its `DownloadSide`; the serving side (our choke, the peer's requests, the blocks
 * we send) is its `UploadServer`.
 *
 * It is driven from `liveSession` (the Observable shell) and never throws at its callers: every
 * failure becomes `close(reason)`, which emits `closed` and completes. All time is
 * `scheduler.now()` and `scheduler.schedule`.
 */
import type { SchedulerLike, Subscription } from '../rx.js';
import { Bitfield } from '../pieces/bitfield.js';
import { PiecesError } from '../pieces/pieces-error.js';
import { encodeMessage } from '../wire/encode-message.js';
import { encodeHandshake, encodeReserved } from '../wire/handshake.js';
import type { Handshake } from '../wire/handshake.js';
import { EXTENDED_HANDSHAKE_ID, KEEP_ALIVE } from '../wire/messages.js';
import type { PeerMessage } from '../wire/messages.js';
import type { Connection } from './connection.js';
import { decodeExtensionHandshake, encodeExtensionHandshake } from './extension-handshake.js';
import { DownloadSide } from './download-side.js';
import type { BlockRequest, CloseReason, PeerCommand, PeerEvent } from './peer-events.js';
import type { ResolvedPeerSessionOptions } from './peer-session-options.js';
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
  private peerInterested = false;
  private paused = false;
  private writable = true;
  private sawPieces = false;
  private readonly ours: Bitfield;
  private theirs: Bitfield;
  private readonly download: DownloadSide;
  private readonly uploads: UploadServer;
  private readonly keepAlives: WindowCounter;
  private lastSent: number;
  private lastReceived: number;
  private handshakeTimer: Subscription | undefined;
  private idleTimer: Subscription | undefined;
  private keepAliveTimer: Subscription | undefined;
  private rateTimer: Subscription | undefined;

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
    this.download = new DownloadSide({
      closed: () => this.closed,
      paused: () => this.paused,
      fast: () => this.fast,
      send: (chunks) => this.send(chunks),
      emit,
      close: (reason) => this.close(reason),
      after: (ms, work) => this.after(ms, work),
    }, options, scheduler, input.pieceCount);
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
    this.download.start(this.lastReceived);
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
        return this.download.onChoke();
      case 'unchoke':
        return this.download.onUnchoke();
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
        return this.download.onBlock(m.index, m.begin, m.block, this.lastReceived);
      case 'request':
        return this.onPeerRequest({ index: m.index, begin: m.begin, length: m.length });
      case 'cancel':
        return this.uploads.cancel({ index: m.index, begin: m.begin, length: m.length });
      case 'reject':
        return this.download.onReject({ index: m.index, begin: m.begin, length: m.length }, this.lastReceived);
      case 'suggest':
        if (!this.fast) this.close({ kind: 'unexpected-message', message: m.type });
        return;
      case 'allowed-fast':
        if (!this.fast) return this.close({ kind: 'unexpected-message', message: m.type });
        return this.download.onAllowedFast(m.index);
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
    for (const timer of [this.handshakeTimer, this.idleTimer, this.keepAliveTimer, this.rateTimer]) {
      timer?.unsubscribe();
    }
    this.download.dispose();
    this.uploads.clear();
  }

  private command(c: PeerCommand): void {
    switch (c.type) {
      case 'request':
        return this.download.request([{ index: c.index, begin: c.begin, length: c.length }]);
      case 'requests':
        return this.download.request(c.requests);
      case 'cancel':
        return this.download.cancel({ index: c.index, begin: c.begin, length: c.length });
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
        return this.download.pause();
      case 'resume':
        if (!this.paused) return;
        this.paused = false;
        this.connection.resume();
        this.lastReceived = this.scheduler.now();
        this.armIdle(this.options.idleTimeout);
        return this.download.resume(this.lastReceived);
      case 'close':
        return this.close({ kind: 'local-close' });
    }
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
    this.download.setPeerQueue(reqq);
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

  private send(chunks: Uint8Array[]): void {
    if (this.closed || chunks.length === 0) return;
    if (!this.connection.write(chunks)) this.writable = false;
    this.lastSent = this.scheduler.now();
  }

  /** Idle and keep-alive re-check lazily: one timer each, moved only when it fires. */
  private armIdle(delay: number): void {
    this.idleTimer = this.after(delay, () => {
      const silent = this.scheduler.now() - this.lastReceived;
      if (silent >= this.options.idleTimeout) this.close({ kind: 'idle-timeout', ms: this.options.idleTimeout });
      else this.armIdle(this.options.idleTimeout - silent);
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
      const down = this.download.closeRateWindow(period, this.scheduler.now());
      const up = Math.round((this.uploads.takeSentBytes() * 1000) / period); // a small integer, as `down`
      this.armRate();
      this.emit({ type: 'rate', down, up });
      this.download.offerWant();
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
