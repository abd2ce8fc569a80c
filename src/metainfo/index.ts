export type { Metainfo, TorrentFile } from './metainfo.js';
export { parseMetainfo, DEFAULT_METAINFO_LIMITS, toHex } from './parse-metainfo.js';
export type { MetainfoLimits } from './parse-metainfo.js';
export { MetainfoError } from './metainfo-error.js';
export type { MetainfoErrorDetail, BencodeType } from './metainfo-error.js';
export { safePath, sanitiseSegment } from './safe-path.js';
export type { SafePathResult, UnsafePathReason } from './safe-path.js';
export {
  pieceSegments,
  pieceLength,
  blockCount,
  blockRange,
  fileRangeToPieces,
  BLOCK_SIZE,
} from './file-layout.js';
export type { LayoutInput, PieceSegment } from './file-layout.js';
export { LayoutError } from './layout-error.js';
export type { LayoutErrorDetail } from './layout-error.js';
export { buildMetainfo } from './build-metainfo.js';
export type { BuildMetainfoInput } from './build-metainfo.js';
export { choosePieceLength, MIN_CHOSEN_PIECE_LENGTH, MAX_CHOSEN_PIECE_LENGTH } from './choose-piece-length.js';
export { contentPath } from './content-path.js';
