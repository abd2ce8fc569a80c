import { blockKey } from './block-key.js';
import type { BlockRequest } from './peer-events.js';

/** A block ready to go out, waiting for the socket to drain. */
export interface PendingPiece {
  readonly request: BlockRequest;
  readonly data: Uint8Array;
}

/**
 * The peer's requests to us, in two stages: `queued` (announced to the supervisor, waiting for
 * its `piece` command) and `backlog` (data in hand, waiting for the socket's `drain`). `size`
 * counts both, so the cap on requests also caps the bytes held for one peer's uploads.
 */
export class UploadQueue {
  private readonly queued = new Map<string, BlockRequest>();
  private backlog: PendingPiece[] = [];

  get size(): number {
    return this.queued.size + this.backlog.length;
  }

  has(request: BlockRequest): boolean {
    const key = blockKey(request.index, request.begin, request.length);
    return this.queued.has(key) || this.backlog.some((p) => keyOf(p.request) === key);
  }

  add(request: BlockRequest): void {
    this.queued.set(blockKey(request.index, request.begin, request.length), request);
  }

  /** Takes the queued request a `piece` answers, or undefined if it was cancelled or never asked. */
  take(index: number, begin: number, length: number): BlockRequest | undefined {
    const key = blockKey(index, begin, length);
    const request = this.queued.get(key);
    if (request !== undefined) this.queued.delete(key);
    return request;
  }

  /** Drops a request in either stage; returns whether it was there. */
  remove(request: BlockRequest): boolean {
    const key = keyOf(request);
    if (this.queued.delete(key)) return true;
    const at = this.backlog.findIndex((p) => keyOf(p.request) === key);
    if (at < 0) return false;
    this.backlog.splice(at, 1);
    return true;
  }

  defer(piece: PendingPiece): void {
    this.backlog.push(piece);
  }

  /** The oldest piece waiting for drain, removed from the backlog. */
  nextPending(): PendingPiece | undefined {
    return this.backlog.shift();
  }

  /** Empties both stages; returns every request that was in them. */
  clear(): BlockRequest[] {
    const all = [...this.queued.values(), ...this.backlog.map((p) => p.request)];
    this.queued.clear();
    this.backlog = [];
    return all;
  }
}

function keyOf(request: BlockRequest): string {
  return blockKey(request.index, request.begin, request.length);
}
