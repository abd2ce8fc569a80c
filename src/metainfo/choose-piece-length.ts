export const MIN_CHOSEN_PIECE_LENGTH = 16 * 1024;
export const MAX_CHOSEN_PIECE_LENGTH = 16 * 1024 * 1024;
const TARGET_MAX_PIECES = 2000;

/**
 * A piece length for `totalBytes` of data, as mktorrent and transmission-create do: the smallest
 * power of two from 16 KiB to 16 MiB that keeps the torrent at or under 2000 pieces, which puts
 * it between 1000 and 2000 pieces unless a bound is hit (small data: fewer pieces; over ~32 GiB:
 * more).
 */
export function choosePieceLength(totalBytes: number): number {
  let length = MIN_CHOSEN_PIECE_LENGTH;
  while (length < MAX_CHOSEN_PIECE_LENGTH && totalBytes / length > TARGET_MAX_PIECES) length *= 2;
  return length;
}
