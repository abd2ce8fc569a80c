import { encodeMessage, encodePieceHeader } from '../wire/encode-message.js';
import type { BlockRequest, CloseReason, PeerEvent } from './peer-events.js';
import { UploadQueue } from './upload-queue.js';

/** What the upload side needs of its session. */
export interface UploadLink {
  /** BEP 6 was negotiated: refused requests get a `reject`. */
  fast(): boolean;
  /** We have piece `index`. */
  have(index: number): boolean;
  /** The socket takes more bulk data now (no `drain` pending). */
  writable(): boolean;
  closed(): boolean;
  send(chunks: Uint8Array[]): void;
  emit(event: PeerEvent): void;
  close(reason: CloseReason): void;
}

export interface UploadLimits {
  readonly maxQueuedRequests: number;
  readonly uploadWindow: number;
}

/**
 * The serving half of a peer session: our choke state towards the peer, its queued requests, and
 * the blocks we send it. Requests (already checked against the torrent) are queued up to
 * `maxQueuedRequests`; at most `uploadWindow` of them are announced to the supervisor as
 * `request` events at a time, blocks waiting for the socket's drain included, and the rest wait
 * unannounced until a piece goes out.
 */
export class UploadServer {
  private amChoking = true;
  /** Requests over the cap since we last sent a piece. */
  private overflow = 0;
  private sentBytes = 0;
  private readonly queue = new UploadQueue();

  constructor(private readonly link: UploadLink, private readonly limits: UploadLimits) {}

  get choking(): boolean {
    return this.amChoking;
  }

  /** Block bytes sent since the last call. */
  takeSentBytes(): number {
    const sent = this.sentBytes;
    this.sentBytes = 0;
    return sent;
  }

  request(request: BlockRequest): void {
    const { link, limits } = this;
    if (this.amChoking || !link.have(request.index)) {
      // BEP 3 drops such a request silently; BEP 6 answers it with a reject.
      this.reject([request]);
      return;
    }
    if (this.queue.has(request)) return;
    if (this.queue.size >= limits.maxQueuedRequests) {
      // Real clients (aria2) queue more than our `reqq`: refuse the excess as libtorrent does
      // (BEP 6 reject, else drop it so it times out there), and close only a peer that keeps
      // piling requests on while we send it nothing.
      this.overflow += 1;
      if (this.overflow > limits.maxQueuedRequests) link.close({ kind: 'request-flood', max: limits.maxQueuedRequests });
      else this.reject([request]);
      return;
    }
    if (this.queue.announced < limits.uploadWindow) {
      this.queue.add(request);
      link.emit({ type: 'request', request });
    } else {
      this.queue.wait(request);
    }
  }

  cancel(request: BlockRequest): void {
    const stage = this.queue.remove(request);
    if (stage === undefined) return;
    this.reject([request]);
    if (stage === 'announced') {
      this.link.emit({ type: 'cancel', request });
      this.announceWaiting();
    }
  }

  choke(): void {
    if (this.amChoking) return;
    this.amChoking = true;
    const dropped = this.queue.clear();
    // BEP 6: choke first, then reject what was queued, so the peer does not re-request it.
    const rejects = this.link.fast() ? dropped.map((r) => encodeMessage({ type: 'reject', ...r })) : [];
    this.link.send([encodeMessage({ type: 'choke' }), ...rejects]);
  }

  unchoke(): void {
    if (!this.amChoking) return;
    this.amChoking = false;
    this.link.send([encodeMessage({ type: 'unchoke' })]);
  }

  /** The supervisor's answer to a request: sent now, or kept until the socket drains. */
  piece(index: number, begin: number, data: Uint8Array): void {
    const request = this.queue.take(index, begin, data.length);
    if (request === undefined) return;
    if (!this.link.writable()) return this.queue.defer({ request, data });
    this.send(request, data);
    this.announceWaiting();
  }

  /** The socket drained: sends what waited, then announces more. */
  flush(): void {
    while (this.link.writable() && !this.link.closed()) {
      const next = this.queue.nextPending();
      if (next === undefined) break;
      this.send(next.request, next.data);
    }
    this.announceWaiting();
  }

  /** Forgets every request (the session ended). */
  clear(): void {
    this.queue.clear();
  }

  private announceWaiting(): void {
    while (!this.link.closed() && !this.amChoking && this.queue.announced < this.limits.uploadWindow) {
      const request = this.queue.promote();
      if (request === undefined) return;
      this.link.emit({ type: 'request', request });
    }
  }

  private send(request: BlockRequest, data: Uint8Array): void {
    this.link.send([encodePieceHeader(request.index, request.begin, data.length), data]);
    this.sentBytes += data.length;
    this.overflow = 0;
  }

  private reject(requests: BlockRequest[]): void {
    if (this.link.fast()) this.link.send(requests.map((r) => encodeMessage({ type: 'reject', ...r })));
  }
}
