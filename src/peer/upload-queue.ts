import { blockKey } from './block-key.js';
import type { BlockRequest } from './peer-events.js';

/** A block ready to go out, waiting for the socket to drain. */
export interface PendingPiece {
  readonly request: BlockRequest;
  readonly data: Uint8Array;
}

/**
 * The peer's requests to us, in three stages: `waiting` (not yet announced to the supervisor),
 * `queued` (announced, waiting for its `piece` command) and `backlog` (data in hand, waiting for
 * the socket's `drain`). `size` counts all three (the cap on requests, our `reqq`); `announced`
 * counts the last two, which the session keeps within its upload window, so the bytes held for
 * one peer's uploads stay small however many requests it queues.
 */
export class UploadQueue {
  private readonly waiting = new Map<string, BlockRequest>();
  private readonly queued = new Map<string, BlockRequest>();
  /** By key, oldest first (a Map keeps insertion order). */
  private readonly backlog = new Map<string, PendingPiece>();

  get size(): number {
    return this.waiting.size + this.announced;
  }

  get announced(): number {
    return this.queued.size + this.backlog.size;
  }

  has(request: BlockRequest): boolean {
    const key = blockKey(request.index, request.begin, request.length);
    return this.waiting.has(key) || this.queued.has(key) || this.backlog.has(key);
  }

  /** An announced request, now waiting for its `piece` command. */
  add(request: BlockRequest): void {
    this.queued.set(blockKey(request.index, request.begin, request.length), request);
  }

  /** A request kept back until the window has room. */
  wait(request: BlockRequest): void {
    this.waiting.set(blockKey(request.index, request.begin, request.length), request);
  }

  /** The oldest waiting request, moved to `queued` (the caller announces it). */
  promote(): BlockRequest | undefined {
    const oldest = takeFirst(this.waiting);
    if (oldest === undefined) return undefined;
    this.queued.set(oldest[0], oldest[1]);
    return oldest[1];
  }

  /** Takes the queued request a `piece` answers, or undefined if it was cancelled or never asked. */
  take(index: number, begin: number, length: number): BlockRequest | undefined {
    const key = blockKey(index, begin, length);
    const request = this.queued.get(key);
    if (request !== undefined) this.queued.delete(key);
    return request;
  }

  /** Drops a request from whichever stage holds it; says which (undefined: none). */
  remove(request: BlockRequest): 'waiting' | 'announced' | undefined {
    const key = keyOf(request);
    if (this.waiting.delete(key)) return 'waiting';
    return this.queued.delete(key) || this.backlog.delete(key) ? 'announced' : undefined;
  }

  defer(piece: PendingPiece): void {
    this.backlog.set(keyOf(piece.request), piece);
  }

  /** The oldest piece waiting for drain, removed from the backlog. */
  nextPending(): PendingPiece | undefined {
    return takeFirst(this.backlog)?.[1];
  }

  /** Empties every stage; returns every request that was in them, announced ones first. */
  clear(): BlockRequest[] {
    const all = [...this.queued.values(), ...[...this.backlog.values()].map((p) => p.request), ...this.waiting.values()];
    this.waiting.clear();
    this.queued.clear();
    this.backlog.clear();
    return all;
  }
}

/** Removes and returns the oldest entry of an insertion-ordered Map. */
function takeFirst<V>(map: Map<string, V>): [string, V] | undefined {
  for (const entry of map) {
    map.delete(entry[0]);
    return entry;
  }
  return undefined;
}

function keyOf(request: BlockRequest): string {
  return blockKey(request.index, request.begin, request.length);
}
