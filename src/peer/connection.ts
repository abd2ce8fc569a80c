import type { Observable } from '../rx.js';
import type { PeerAddress } from '../tracker/announce-types.js';

/** Where a peer listens (one type for trackers and peers). */
export type { PeerAddress };

/**
 * One open byte stream to a peer, as the peer session sees it. The TCP edge
 * (`src/io/tcp-connection.ts`) implements it over `node:net`; specs use an in-memory fake.
 *
 * A `Connection` is what an `Observable<Connection>` emits once connected; that Observable owns
 * the socket: unsubscribing it destroys the socket. The session subscribes to `data$` once.
 */
export interface Connection {
  readonly remoteAddress: PeerAddress;
  /**
   * Received chunks, in order. Completes when the peer ends the stream; errors with a
   * `ConnectionError` (`reset`, `timeout`, …). Unless `reusesChunks`, chunks are never reused
   * by the edge: a view into one stays valid for as long as it is held.
   */
  readonly data$: Observable<Uint8Array>;
  /**
   * True when every chunk of `data$` is a view into one read buffer that the next read
   * overwrites: a chunk is valid only during its `next` call (copy what you keep). The session
   * then decodes with `frames({ transient: true })`.
   */
  readonly reusesChunks?: boolean;
  /**
   * Emits each time the send buffer has drained after `write` returned false. Never errors:
   * failures arrive on `data$`.
   */
  readonly drain$: Observable<void>;
  /**
   * Queues `chunks`, in order, for one vectored write at the end of this turn of the event loop
   * (small ones may be copied into one buffer; large ones are not copied). Returns false when
   * the send buffer is above its high-water mark: the caller should stop sending bulk data until
   * `drain$`.
   * Writing to a closed connection does nothing and returns false.
   */
  write(chunks: readonly Uint8Array[]): boolean;
  /** Stops reading from the socket (the kernel buffer fills and TCP slows the peer down). */
  pause(): void;
  /** Reads again after `pause`. */
  resume(): void;
  /** Destroys the connection at once; `data$` completes. */
  close(): void;
}
