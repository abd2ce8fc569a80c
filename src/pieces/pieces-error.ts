/**
 * The one error type of the pieces layer (bitfields and the picker). Hostile input (a peer's
 * bitfield, `have` index or block header) and caller bugs (verifying an incomplete piece) both
 * end here, with their data in `detail`.
 */
export type PiecesErrorDetail =
  /** A piece count that is not a non-negative safe integer. */
  | { readonly kind: 'bad-piece-count'; readonly pieceCount: number }
  /** A bitfield message whose byte length is not ceil(pieceCount / 8) (BEP 3: drop the peer). */
  | { readonly kind: 'bad-bitfield-length'; readonly length: number; readonly expected: number }
  /** A bitfield message with one of the spare bits after the last piece set (BEP 3: drop). */
  | { readonly kind: 'spare-bits-set'; readonly pieceCount: number }
  /** Two bitfields of different piece counts combined, or one of the wrong count handed in. */
  | { readonly kind: 'bitfield-size-mismatch'; readonly length: number; readonly expected: number }
  /** A piece index outside 0 .. pieceCount - 1 (a hostile `have`, `request` or `piece`). */
  | { readonly kind: 'piece-out-of-range'; readonly index: number; readonly pieceCount: number }
  /** A block that is not one of the piece's blocks: misaligned offset or wrong length. */
  | { readonly kind: 'bad-block'; readonly index: number; readonly begin: number; readonly length: number }
  /** `pieceVerified` / `pieceFailed` for a piece whose blocks are not all in. */
  | { readonly kind: 'piece-not-complete'; readonly index: number }
  /** A picker option out of range (block size, piece length, counts). */
  | { readonly kind: 'bad-option'; readonly option: string; readonly value: number };

export type PiecesErrorKind = PiecesErrorDetail['kind'];

export class PiecesError extends Error {
  override readonly name = 'PiecesError';

  constructor(readonly detail: PiecesErrorDetail) {
    super(describe(detail));
  }
}

function describe(d: PiecesErrorDetail): string {
  switch (d.kind) {
    case 'bad-piece-count':
      return `piece count ${d.pieceCount} is not a non-negative integer`;
    case 'bad-bitfield-length':
      return `bitfield is ${d.length} bytes, expected ${d.expected}`;
    case 'spare-bits-set':
      return `bitfield for ${d.pieceCount} pieces has spare bits set`;
    case 'bitfield-size-mismatch':
      return `bitfield covers ${d.length} pieces, expected ${d.expected}`;
    case 'piece-out-of-range':
      return `piece index ${d.index} is outside 0..${d.pieceCount - 1}`;
    case 'bad-block':
      return `piece ${d.index}: block at ${d.begin} of ${d.length} bytes is not one of its blocks`;
    case 'piece-not-complete':
      return `piece ${d.index} does not have all its blocks`;
    case 'bad-option':
      return `picker option ${d.option} = ${d.value} is out of range`;
  }
}
