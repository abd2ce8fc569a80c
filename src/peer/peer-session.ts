/**
 * `peerSession`: the peer worker of one connection (BEP 3, with BEP 6 and BEP 10 handshakes).
 *
 * Lifecycle: `connecting → handshaking → live → closed`. Subscribing dials (or takes an accepted
 * connection), sends our handshake, checks theirs (info hash, self-connection), sends our pieces
 * (bitfield, or BEP 6 have-all / have-none) and a BEP 10 handshake, then serves `commands$`
 * and reports the peer as `PeerEvent`s. Every failure becomes the last event, `closed { reason }`,
 * followed by completion: the stream never errors, so one bad peer never stops the others.
 * Unsubscribing (or `closed`) unsubscribes the connection, which destroys the socket.
 *
 *   deps.connect(addr)  ---c------------------------------!
 *   peerSession         ---connected-handshake-…-want-block-…-(closed|)
 *
 * The request pipeline: while the peer unchokes us the session asks for requests with
 * `want { count }`, keeping `clamp(ceil(downRate · 2 s / 16 KiB), 5, min(250, reqq))` in
 * flight. See docs/peer.md for every event, command, timeout and limit.
 */
import { catchError, defer, endWith, Observable, of, switchMap, takeWhile, throwError, timeout } from '../rx.js';
import type { SchedulerLike } from '../rx.js';
import { Bitfield } from '../pieces/bitfield.js';
import type { Handshake } from '../wire/handshake.js';
import { ConnectionError } from './connection-error.js';
import type { Connection, PeerAddress } from './connection.js';
import { failureReason, liveSession } from './live-session.js';
import type { PeerCommand, PeerEvent } from './peer-events.js';
import { resolvePeerSessionOptions } from './peer-session-options.js';
import type { PeerSessionOptions } from './peer-session-options.js';

/** A peer we dial. */
export interface DialedPeer {
  readonly kind: 'dial';
  readonly address: PeerAddress;
}

/**
 * A peer that dialled us: the listener has read its handshake (to route it by info hash) and
 * hands over the connection, whose `data$` starts right after the handshake.
 */
export interface AcceptedPeer {
  readonly kind: 'accepted';
  readonly connection$: Observable<Connection>;
  readonly handshake: Handshake;
}

export interface PeerSessionInput {
  readonly peer: DialedPeer | AcceptedPeer;
  readonly infoHash: Uint8Array;
  readonly ourPeerId: Uint8Array;
  readonly pieceCount: number;
  /** Bytes in piece `index`: when given, a request that runs past its piece closes the session. */
  readonly pieceLength?: (index: number) => number;
  /** Our pieces when the session starts (bitfield bytes); later ones arrive as `have` commands. */
  readonly ourBitfield: Uint8Array;
  /** Subscribed once the session is live; commands before that are not seen. */
  readonly commands$: Observable<PeerCommand>;
  readonly options?: PeerSessionOptions;
}

export interface PeerSessionDeps {
  readonly scheduler: SchedulerLike;
  /** Opens a connection (cold: subscribing connects, unsubscribing destroys). */
  readonly connect: (address: PeerAddress) => Observable<Connection>;
}

/**
 * Throws a `PiecesError` at once when `ourBitfield` does not fit `pieceCount` (a caller bug);
 * everything after subscribing arrives as events.
 */
export function peerSession(input: PeerSessionInput, deps: PeerSessionDeps): Observable<PeerEvent> {
  Bitfield.fromBytes(input.ourBitfield, input.pieceCount);
  const options = resolvePeerSessionOptions(input.options);
  const { peer } = input;
  const handshake = peer.kind === 'accepted' ? peer.handshake : undefined;
  const closed = (reason: ConnectionError): PeerEvent => ({ type: 'closed', reason: { kind: 'connection', error: reason.detail } });
  return defer(() => (peer.kind === 'dial' ? deps.connect(peer.address) : peer.connection$)).pipe(
    timeout({
      first: options.connectTimeout,
      scheduler: deps.scheduler,
      with: () => throwError(() => new ConnectionError({ kind: 'connect-timeout', ms: options.connectTimeout })),
    }),
    switchMap((connection) => liveSession(connection, { ...input, handshake }, options, deps.scheduler)),
    catchError((err: unknown) => of<PeerEvent>({ type: 'closed', reason: failureReason(err) })),
    endWith(closed(new ConnectionError({ kind: 'no-connection' }))),
    takeWhile((event) => event.type !== 'closed', true),
  );
}
