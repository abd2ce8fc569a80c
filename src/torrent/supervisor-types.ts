import type { Observable, SchedulerLike } from '../rx.js';
import type { Bitfield } from '../pieces/bitfield.js';
import type { PeerAddress } from '../peer/connection.js';
import type { CloseReason, PeerEvent } from '../peer/peer-events.js';
import type { AcceptedPeer, PeerSessionInput } from '../peer/peer-session.js';
import type { PeerSessionOptions } from '../peer/peer-session-options.js';
import type { PeerDirectoryOptions } from './peer-directory.js';

/** A peer the supervisor may talk to: an address to dial, or a connection that dialled us. */
export type PeerCandidate =
  | { readonly kind: 'dial'; readonly address: PeerAddress }
  | (AcceptedPeer & { readonly address: PeerAddress });

/**
 * Where verified pieces go and where uploads come from: the supervisor's only I/O. The client
 * implements it over the shared hash pool and disk pool; specs hand in cold fakes.
 */
export interface PieceStore {
  /** A buffer for piece `index`, which the swarm fills block by block. */
  allocate(length: number, index: number): Uint8Array;
  /**
   * The swarm is done with a buffer from `allocate` (its piece is on disk, and nothing keeps a
   * reference): the store may hand it out again. Optional.
   */
  release?(data: Uint8Array): void;
  /** True when the piece's SHA-1 matches the torrent's. Runs off the event loop. */
  verify(index: number, data: Uint8Array): Observable<boolean>;
  /**
   * Pieces are about to be verified or checked (a download or a data check starts): start what
   * `verify` and `check` need now, so the first piece does not wait for it. Optional.
   */
  warm?(): void;
  /** Writes a verified piece; emits once when it is on disk, or errors (typed `DiskError`). */
  write(index: number, data: Uint8Array): Observable<unknown>;
  /** Reads a block of a piece we have, for an upload (possibly from memory). */
  read(index: number, begin: number, length: number): Observable<Uint8Array>;
  /**
   * The data check: reads the whole piece from disk (never from memory, so a file changed under
   * us is seen) and emits whether its SHA-1 matches; errors as `read` does.
   */
  check(index: number): Observable<boolean>;
}

/** The client-wide connection ceiling, shared by every torrent's supervisor. */
export interface ConnectionSlots {
  tryAcquire(): boolean;
  release(): void;
}

export interface SupervisorOptions {
  /** Sessions at once for this torrent; default 50. */
  readonly maxPeers?: number;
  /** Bytes of unfinished pieces (buffers being filled, hashed or written) at most; default 64 MiB. */
  readonly memoryBudget?: number;
  /** Keep running once every piece is verified (seed); default false: complete the stream. */
  readonly seed?: boolean;
  /** Unchoke slots for uploading, besides the optimistic one; default 4. */
  readonly uploadSlots?: number;
  /** Period of the optimistic unchoke rotation, ms; default 30 s. */
  readonly optimisticInterval?: number;
  /** Period of the choke decision, ms; default 10 s. */
  readonly chokeInterval?: number;
  /** Period of `stats` events, ms; default 1 s. */
  readonly statsInterval?: number;
  /**
   * Pieces in which a peer was proven to have sent bad data before it is banned (closed, never
   * redialled, refused by address and peer id); default 1. Peers that merely shared a failed
   * piece with a liar are never blamed (see `CorruptionTracker`).
   */
  readonly maxStrikes?: number;
  readonly directory?: PeerDirectoryOptions;
  readonly session?: PeerSessionOptions;
}

export interface SupervisorInput {
  readonly infoHash: Uint8Array;
  readonly ourPeerId: Uint8Array;
  readonly pieceCount: number;
  readonly pieceLength: (index: number) => number;
  /** Pieces verified on disk at the start. The supervisor owns it from here and sets new ones. */
  readonly have: Bitfield;
  /** Every source of peers, merged: tracker batches, `--peer`, incoming connections. */
  readonly candidates$: Observable<PeerCandidate>;
  /** Addresses that are ourselves (our listening address), skipped when offered. */
  readonly selfAddresses?: readonly PeerAddress[];
  readonly options?: SupervisorOptions;
}

export interface SupervisorDeps {
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  /** Opens one peer session (`peerSession` with its connect dep, or a cold fake in specs). */
  readonly session: (input: PeerSessionInput) => Observable<PeerEvent>;
  readonly store: PieceStore;
  /** Optional client-wide connection ceiling. */
  readonly slots?: ConnectionSlots;
}

export interface SwarmStats {
  readonly type: 'stats';
  /** Payload bytes received (including blocks that later failed or were duplicates). */
  readonly received: number;
  readonly uploaded: number;
  /** Bytes of pieces that failed their hash. */
  readonly failed: number;
  readonly downRate: number;
  readonly upRate: number;
  readonly peers: number;
  readonly seeds: number;
  readonly piecesDone: number;
}

export type SupervisorEvent =
  | { readonly type: 'peer-connected'; readonly key: string; readonly address: PeerAddress }
  | { readonly type: 'peer-closed'; readonly key: string; readonly reason: CloseReason }
  | { readonly type: 'piece-verified'; readonly index: number }
  | { readonly type: 'piece-failed'; readonly index: number; readonly bytes: number; readonly peers: readonly string[] }
  /** A peer proven to have sent bad data for piece `index` was banned. */
  | { readonly type: 'peer-banned'; readonly key: string; readonly index: number }
  /** A verified piece could not be written; it went back to the picker. */
  | { readonly type: 'store-error'; readonly index: number; readonly error: unknown }
  /** A piece we have could not be read for an upload (a file deleted or truncated under us?). */
  | { readonly type: 'read-error'; readonly index: number; readonly error: unknown }
  /** Every piece is verified and on disk. */
  | { readonly type: 'complete' }
  | SwarmStats;
