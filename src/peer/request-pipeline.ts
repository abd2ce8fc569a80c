import type { Subscription } from 'rxjs';
import { blockKey } from './block-key.js';
import type { BlockRequest } from './peer-events.js';

interface InFlight {
  readonly request: BlockRequest;
  timer: Subscription | undefined;
}

/** Arms the timeout of one request; the session passes a `deps.scheduler` timer. */
export type ArmTimeout = (request: BlockRequest) => Subscription;

/**
 * Our requests to one peer: the in-flight set with a timeout per request, and a bounded memory
 * of requests we gave up on (cancelled, timed out, dropped at a choke), so that a block or a
 * reject that was already on the wire when we gave up is discarded, not taken for a violation.
 */
export class RequestPipeline {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly abandoned = new Set<string>();
  private readonly abandonedCap: number;

  constructor(abandonedCap: number) {
    this.abandonedCap = abandonedCap;
  }

  get size(): number {
    return this.inFlight.size;
  }

  has(request: BlockRequest): boolean {
    return this.inFlight.has(keyOf(request));
  }

  add(request: BlockRequest, timer: Subscription | undefined): void {
    const key = keyOf(request);
    this.abandoned.delete(key);
    this.inFlight.set(key, { request, timer });
  }

  /** Removes an answered request and stops its timer; undefined when it was not in flight. */
  settle(index: number, begin: number, length: number): BlockRequest | undefined {
    const key = blockKey(index, begin, length);
    const entry = this.inFlight.get(key);
    if (entry === undefined) return undefined;
    entry.timer?.unsubscribe();
    this.inFlight.delete(key);
    return entry.request;
  }

  /** Gives up on a request: removed, its timer stopped, and remembered as abandoned. */
  abandon(request: BlockRequest): boolean {
    if (this.settle(request.index, request.begin, request.length) === undefined) return false;
    this.remember(keyOf(request));
    return true;
  }

  /** Gives up on every request; returns them in the order they were sent. */
  abandonAll(): BlockRequest[] {
    const all = [...this.inFlight.values()].map((e) => e.request);
    for (const request of all) this.abandon(request);
    return all;
  }

  /** True (once) if this block or reject answers a request we abandoned. */
  forget(index: number, begin: number, length: number): boolean {
    return this.abandoned.delete(blockKey(index, begin, length));
  }

  /** Stops every timer (reading is paused: silence is not the peer's fault). */
  suspendTimers(): void {
    for (const entry of this.inFlight.values()) {
      entry.timer?.unsubscribe();
      entry.timer = undefined;
    }
  }

  /** Gives every request a fresh timeout. */
  rearmTimers(arm: ArmTimeout): void {
    for (const entry of this.inFlight.values()) {
      entry.timer?.unsubscribe();
      entry.timer = arm(entry.request);
    }
  }

  dispose(): void {
    this.suspendTimers();
    this.inFlight.clear();
    this.abandoned.clear();
  }

  private remember(key: string): void {
    this.abandoned.add(key);
    if (this.abandoned.size > this.abandonedCap) {
      const oldest = this.abandoned.values().next();
      if (oldest.done !== true) this.abandoned.delete(oldest.value);
    }
  }
}

function keyOf(request: BlockRequest): string {
  return blockKey(request.index, request.begin, request.length);
}
