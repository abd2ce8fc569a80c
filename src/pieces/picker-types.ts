/** One block of a piece: the fields of a BEP 3 `request`, `cancel` or `piece` header. */
export interface BlockRequest {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

/** A request to withdraw: send `cancel` for `req` to `peerId`. */
export interface Cancel<P> {
  readonly peerId: P;
  readonly req: BlockRequest;
}

/** What a received block means for the caller. */
export interface BlockOutcome<P> {
  /** The bytes are not needed (block already in, piece done or not started): discard them. */
  readonly duplicate: boolean;
  /** Every block of the piece is in: hash it, then `pieceVerified` or `pieceFailed`. */
  readonly pieceComplete: boolean;
  /** Other peers that had this block in flight (endgame, or a block given back and re-sent). */
  readonly cancel: readonly Cancel<P>[];
}

/**
 * How much one `nextRequests` call may hand out besides its request count: the back-pressure
 * hook of the supervisor (memory ceiling, disk behind).
 */
export interface RequestBudget {
  /** Stop before the requested bytes would exceed this. Default unbounded. */
  readonly maxBytes?: number;
  /**
   * False: only finish started pieces (and endgame duplicates), start no new one; the caller's
   * ceiling on piece buffers in memory. Default true.
   */
  readonly startPieces?: boolean;
}

export interface PiecePickerOptions {
  readonly pieceCount: number;
  /** Bytes of a piece (all equal but the last). Called once per piece at construction and start. */
  readonly pieceLength: (index: number) => number;
  /** Default 16384, the size every client accepts. */
  readonly blockSize?: number;
  /** A uniform number in [0, 1): tie-breaks and random first pieces. Injected for tests. */
  readonly random: () => number;
  /** While fewer pieces than this are verified, new pieces are chosen at random. Default 4. */
  readonly randomFirstPieces?: number;
  /**
   * Endgame starts when at most this many missing blocks have never been requested (default 0:
   * every missing block is in flight or in).
   */
  readonly endgameThreshold?: number;
  /** In endgame, a block is in flight with at most this many peers at once. Default 3. */
  readonly endgameMaxRequests?: number;
}
