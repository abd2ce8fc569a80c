import type { BlockRequest } from './picker-types.js';
import { PiecesError } from './pieces-error.js';

/**
 * Where the blocks of a torrent lie: piece lengths, block lengths (the last block of a piece may
 * be short), and a number per block (`index * stride + block`) for sets of blocks in flight.
 * Validates block headers from the wire: a block is exactly one of a piece's blocks.
 */
export class BlockGeometry {
  readonly pieceCount: number;
  readonly blockSize: number;
  /** The most blocks any piece has: the key stride. */
  readonly stride: number;
  private readonly lengthOf: (index: number) => number;

  /** Calls `pieceLength` once per piece to validate it and find the stride. */
  constructor(pieceCount: number, pieceLength: (index: number) => number, blockSize: number) {
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
      throw new PiecesError({ kind: 'bad-option', option: 'blockSize', value: blockSize });
    }
    this.pieceCount = pieceCount;
    this.blockSize = blockSize;
    this.lengthOf = pieceLength;
    let stride = 1;
    for (let i = 0; i < pieceCount; i++) {
      const length = pieceLength(i);
      if (!Number.isSafeInteger(length) || length <= 0) {
        throw new PiecesError({ kind: 'bad-option', option: 'pieceLength', value: length });
      }
      stride = Math.max(stride, Math.ceil(length / blockSize));
    }
    this.stride = stride;
  }

  pieceLength(index: number): number {
    return this.lengthOf(index);
  }

  blockCount(index: number): number {
    return Math.ceil(this.lengthOf(index) / this.blockSize);
  }

  key(index: number, block: number): number {
    return index * this.stride + block;
  }

  indexOfKey(key: number): number {
    return Math.floor(key / this.stride);
  }

  blockOfKey(key: number): number {
    return key - this.indexOfKey(key) * this.stride;
  }

  requestOf(key: number): BlockRequest {
    const index = this.indexOfKey(key);
    const begin = (key - index * this.stride) * this.blockSize;
    return { index, begin, length: Math.min(this.blockSize, this.lengthOf(index) - begin) };
  }

  /** Validates a block header (from the wire or the caller); returns its block number. */
  blockOf(req: BlockRequest): number {
    this.checkIndex(req.index);
    const pieceLength = this.lengthOf(req.index);
    const block = req.begin / this.blockSize;
    if (!Number.isInteger(block) || block < 0 || req.begin >= pieceLength
      || req.length !== Math.min(this.blockSize, pieceLength - req.begin)) {
      throw new PiecesError({ kind: 'bad-block', index: req.index, begin: req.begin, length: req.length });
    }
    return block;
  }

  checkIndex(index: number): void {
    if (index >>> 0 !== index || index >= this.pieceCount) {
      throw new PiecesError({ kind: 'piece-out-of-range', index, pieceCount: this.pieceCount });
    }
  }
}
