import { type Observable, defer, finalize, map, of, share, tap } from '../rx.js';

/**
 * Whole pieces kept in memory for uploads, so the 64 blocks a peer asks for in a 1 MiB piece cost
 * one disk read, not 64 (libtorrent and Transmission read ahead the same way).
 *
 * ```
 * block(7, 0)     ──▶ miss: readPiece(7) ───────────▶ keep 7 ─▶ [0, 16K)|
 * block(7, 16K)   ──▶ piece 7 being read: wait for it ──────────▶ [16K, 32K)|
 * block(7, 32K)   ──▶ hit ─▶ [32K, 48K)|
 * ```
 *
 * - Least recently used pieces go first, once the pieces kept hold more than `maxBytes`.
 * - Misses on a piece being read share that read; it stops once every waiter has unsubscribed. A
 *   failed read errors every waiter and is not kept, so the next block tries the disk again.
 * - Kept bytes are never changed, since views of them may still be queued on sockets: dropping a
 *   piece only drops the reference.
 */
export class PieceReadCache {
  /** In least-recently-used order: a Map iterates in insertion order. */
  private readonly pieces = new Map<number, Uint8Array>();
  private readonly reading = new Map<number, Observable<Uint8Array>>();
  private kept = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly readPiece: (index: number) => Observable<Uint8Array>,
  ) {}

  /** Cold: bytes [begin, begin + length) of piece `index`, a view of the kept piece. */
  block(index: number, begin: number, length: number): Observable<Uint8Array> {
    return defer(() => {
      const piece = this.pieces.get(index);
      if (piece === undefined) return this.load(index).pipe(map((loaded) => loaded.subarray(begin, begin + length)));
      this.pieces.delete(index);
      this.pieces.set(index, piece);
      return of(piece.subarray(begin, begin + length));
    });
  }

  /** The piece is being rewritten: drop it, and do not keep what a read in flight brings back. */
  forget(index: number): void {
    const piece = this.pieces.get(index);
    if (piece !== undefined) {
      this.pieces.delete(index);
      this.kept -= piece.length;
    }
    this.reading.delete(index);
  }

  private load(index: number): Observable<Uint8Array> {
    const pending = this.reading.get(index);
    if (pending !== undefined) return pending;
    // Only the read still registered for the piece may keep its bytes: `forget` unregisters it.
    const read$: Observable<Uint8Array> = this.readPiece(index).pipe(
      tap((piece) => {
        if (this.reading.get(index) === read$) this.keep(index, piece);
      }),
      finalize(() => {
        if (this.reading.get(index) === read$) this.reading.delete(index);
      }),
      share(),
    );
    this.reading.set(index, read$);
    return read$;
  }

  private keep(index: number, piece: Uint8Array): void {
    this.pieces.set(index, piece);
    this.kept += piece.length;
    for (const [oldest, bytes] of this.pieces) {
      if (this.kept <= this.maxBytes) break;
      this.pieces.delete(oldest);
      this.kept -= bytes.length;
    }
  }
}
