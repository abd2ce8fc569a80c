/** A piece, block or file index outside the torrent (a caller bug or a hostile peer's index). */
export type LayoutErrorDetail =
  | { readonly kind: 'piece-out-of-range'; readonly pieceIndex: number; readonly pieceCount: number }
  | { readonly kind: 'block-out-of-range'; readonly blockIndex: number; readonly pieceLength: number }
  | { readonly kind: 'file-out-of-range'; readonly fileIndex: number; readonly fileCount: number };

function describe(detail: LayoutErrorDetail): string {
  switch (detail.kind) {
    case 'piece-out-of-range':
      return `layout: piece ${detail.pieceIndex} is outside 0..${detail.pieceCount - 1}`;
    case 'block-out-of-range':
      return `layout: block ${detail.blockIndex} is outside a piece of ${detail.pieceLength} bytes`;
    case 'file-out-of-range':
      return `layout: file ${detail.fileIndex} is outside 0..${detail.fileCount - 1}`;
  }
}

export class LayoutError extends Error {
  override readonly name = 'LayoutError';

  constructor(readonly detail: LayoutErrorDetail) {
    super(describe(detail));
  }
}
