/**
 * Copies a block into a piece buffer: `target.set(block, offset)`, fast into shared memory too.
 *
 * Piece buffers live on shared memory so the hash workers read them in place (see
 * `PieceBufferPool`). V8 copies into a `SharedArrayBuffer` word by word only when the source
 * and the target addresses agree modulo 8, and byte by byte otherwise: 2–3× slower
 * (docs/performance.md, round 8). A block's payload sits anywhere in the socket's read buffer, so
 * seven blocks in eight would take the slow copy. Those go through a small plain bounce buffer
 * placed at the target's alignment instead: a copy within the cache, then the word-wise one.
 *
 * Alignment is judged by `byteOffset`: every `ArrayBuffer`'s memory starts on at least an 8-byte
 * boundary. Were it ever not so, the bytes would still be right, only the copy slower.
 */
const WORD = 8;

/** The bounce buffer, grown to the largest block seen (16 KiB in practice); one thread uses it. */
let bounce = new ArrayBuffer(16 * 1024 + WORD);

export function copyBlock(target: Uint8Array, offset: number, block: Uint8Array): void {
  const phase = (target.byteOffset + offset) % WORD;
  if (!(target.buffer instanceof SharedArrayBuffer) || block.byteOffset % WORD === phase) {
    target.set(block, offset);
    return;
  }
  if (bounce.byteLength < block.length + WORD) bounce = new ArrayBuffer(block.length + WORD);
  const staged = new Uint8Array(bounce, phase, block.length);
  staged.set(block);
  target.set(staged, offset);
}
