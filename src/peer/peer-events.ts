/**
 * The messages across the peer session boundary: `PeerEvent`s out (what the peer did), and
 * `PeerCommand`s in (what the supervisor wants), plus the typed reason a session closed.
 * See docs/peer.md for the lifecycle and the rules behind each one.
 */
import type { BlockRequest } from '../pieces/picker-types.js';
import type { PiecesErrorDetail } from '../pieces/pieces-error.js';
import type { Extensions } from '../wire/handshake.js';
import type { PeerMessageType } from '../wire/messages.js';
import type { WireErrorDetail } from '../wire/wire-error.js';
import type { ConnectionErrorDetail } from './connection-error.js';
import type { PeerAddress } from './connection.js';

/** One block of one piece: the unit of `request`, `cancel`, `reject` and `piece`. */
export type { BlockRequest };

/** What the peer's bitfield looks like to the session: a read-only view of one piece each. */
export interface PieceSet {
  readonly length: number;
  readonly count: number;
  get(index: number): boolean;
  toBytes(): Uint8Array;
}

/** Why a session ended. The last event of every session is `closed` with one of these. */
export type CloseReason =
  /** Connecting failed or the socket failed later (`connect-timeout`, `connect-refused`, `reset`, …). */
  | { readonly kind: 'connection'; readonly error: ConnectionErrorDetail }
  /** The peer ended the stream. */
  | { readonly kind: 'remote-closed' }
  /** No handshake from the peer within `ms` of connecting. */
  | { readonly kind: 'handshake-timeout'; readonly ms: number }
  /** The peer's bytes broke the wire protocol (bad handshake, oversized or mis-sized frame). */
  | { readonly kind: 'wire'; readonly error: WireErrorDetail }
  /** The peer's handshake names another torrent. */
  | { readonly kind: 'wrong-info-hash'; readonly infoHash: Uint8Array }
  /** The peer's id is ours: we dialled ourselves. */
  | { readonly kind: 'self-connection' }
  /** A bitfield of the wrong size or with spare bits set. */
  | { readonly kind: 'bad-bitfield'; readonly error: PiecesErrorDetail }
  /** A message the protocol state forbids (a late bitfield, a BEP 6 message without BEP 6). */
  | { readonly kind: 'unexpected-message'; readonly message: PeerMessageType }
  /** A `have` for a piece that does not exist. */
  | { readonly kind: 'have-out-of-range'; readonly index: number; readonly pieceCount: number }
  /** The peer asked for a block outside the torrent or larger than `maxRequestLength`. */
  | { readonly kind: 'bad-request'; readonly index: number; readonly begin: number; readonly length: number }
  /** A block we never asked for (BEP 6: MUST close). */
  | { readonly kind: 'unrequested-block'; readonly index: number; readonly begin: number; readonly length: number }
  /** The peer has more than `max` requests queued with us. */
  | { readonly kind: 'request-flood'; readonly max: number }
  /** No whole message received for `ms` while reading (a byte trickle does not count). */
  | { readonly kind: 'idle-timeout'; readonly ms: number }
  /**
   * Requests were outstanding for `ms` without one block or reject in answer (a peer that
   * unchokes and then stalls, or drips bytes too slowly to finish a block).
   */
  | { readonly kind: 'stalled'; readonly ms: number }
  /** More than `max` keep-alives within `windowMs`: a peer that floods us with empty messages. */
  | { readonly kind: 'keepalive-flood'; readonly max: number; readonly windowMs: number }
  /** A command the session cannot carry out (a piece index out of range, …): a caller bug. */
  | { readonly kind: 'bad-command'; readonly command: PeerCommand['type']; readonly message: string }
  /** The supervisor sent `close`. */
  | { readonly kind: 'local-close' };

export type CloseReasonKind = CloseReason['kind'];

/** Why requests left the in-flight set without a block. */
export type DropReason =
  /** The peer choked us without BEP 6 (every request is lost), or we asked while choked. */
  | 'choked'
  /** The pipeline already holds `maxPipeline` requests. */
  | 'full';

export type PeerEvent =
  /** The socket is open (before any handshake). */
  | { readonly type: 'connected'; readonly address: PeerAddress }
  /** The peer's handshake was valid; the session is live and reads commands from now on. */
  | { readonly type: 'handshake'; readonly peerId: Uint8Array; readonly extensions: Extensions }
  /** The peer's BEP 10 extension handshake (`v` and `reqq`, when it sent them). */
  | { readonly type: 'extended-handshake'; readonly client: string | undefined; readonly reqq: number | undefined }
  /** The peer's pieces: from `bitfield`, `have all` or `have none`. A copy owned by the receiver. */
  | { readonly type: 'bitfield'; readonly pieces: PieceSet }
  /** The peer got a piece it did not have. */
  | { readonly type: 'have'; readonly index: number }
  /** BEP 6: the peer will serve this piece even while choking us. */
  | { readonly type: 'allowed-fast'; readonly index: number }
  | { readonly type: 'choked' }
  | { readonly type: 'unchoked' }
  /** The peer is interested in our pieces. */
  | { readonly type: 'interested' }
  | { readonly type: 'not-interested' }
  /**
   * The session would take `count` more requests now. It replaces the previous `want`, which
   * stands, less the requests sent since, until the peer chokes: the session asks again only
   * when it would take a batch more (or fewer) than it is still owed.
   */
  | { readonly type: 'want'; readonly count: number }
  /**
   * A requested block. `data` is a view into the received socket chunk, which nobody reuses:
   * it stays valid, but pins the chunk. Copy it into the piece buffer (the one copy) and drop it.
   */
  | { readonly type: 'block'; readonly index: number; readonly begin: number; readonly data: Uint8Array }
  /** BEP 6: the peer will not serve this request. */
  | { readonly type: 'rejected'; readonly request: BlockRequest }
  /** No block within `requestTimeout`: a `cancel` was sent and the request dropped. */
  | { readonly type: 'request-timeout'; readonly request: BlockRequest }
  /** Requests that left the pipeline without a block (see `DropReason`). */
  | { readonly type: 'requests-dropped'; readonly requests: readonly BlockRequest[]; readonly reason: DropReason }
  /** The peer asks us for a block: answer with a `piece` command (or let `cancel` drop it). */
  | { readonly type: 'request'; readonly request: BlockRequest }
  /** The peer withdrew a queued request; its `piece` command would now be dropped. */
  | { readonly type: 'cancel'; readonly request: BlockRequest }
  /** Block payload bytes per second over the last `rateInterval`, rounded to whole bytes. */
  | { readonly type: 'rate'; readonly down: number; readonly up: number }
  /** Always the last event; the stream completes right after it. */
  | { readonly type: 'closed'; readonly reason: CloseReason };

export type PeerEventType = PeerEvent['type'];

export type PeerCommand =
  /** Ask the peer for a block; the session tracks it until block, reject, timeout or choke. */
  | { readonly type: 'request'; readonly index: number; readonly begin: number; readonly length: number }
  /**
   * Several requests at once, each as a `request` command, sent in one write: what the swarm
   * sends when it tops up a pipeline. The session keeps the request objects (do not change them).
   */
  | { readonly type: 'requests'; readonly requests: readonly BlockRequest[] }
  /** Withdraw one of our requests. */
  | { readonly type: 'cancel'; readonly index: number; readonly begin: number; readonly length: number }
  | { readonly type: 'interested' }
  | { readonly type: 'not-interested' }
  /** Our choke: stop serving the peer (queued requests are dropped, or rejected with BEP 6). */
  | { readonly type: 'choke' }
  | { readonly type: 'unchoke' }
  /** We verified a piece: tell the peer. */
  | { readonly type: 'have'; readonly index: number }
  /** The answer to a `request` event; dropped if that request is no longer queued. */
  | { readonly type: 'piece'; readonly index: number; readonly begin: number; readonly data: Uint8Array }
  /** Stop reading the socket (back-pressure); timeouts that blame the peer are suspended. */
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  /** End the session: `closed { local-close }` follows. */
  | { readonly type: 'close' };

export type PeerCommandType = PeerCommand['type'];
