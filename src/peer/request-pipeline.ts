import { blockSlot } from './block-key.js';
import { RENEW_AFTER_INSERTS } from '../pieces/young-tables.js';
import type { BlockRequest } from './peer-events.js';

interface InFlight {
  readonly request: BlockRequest;
  /** When its timeout clock started; undefined while reading is paused. */
  sentAt: number | undefined;
}

/**
 * Our requests to one peer: the in-flight set, each with the time its timeout clock started,
 * and a bounded memory of requests we gave up on (cancelled, timed out, dropped at a choke), so
 * that a block or a reject that was already on the wire when we gave up is discarded, not taken
 * for a violation.
 *
 * Clocks start in the order requests are added (a Map keeps that order), so the first entries
 * are the oldest: the session needs one timer, for `oldestSentAt()`, not one per request.
 *
 * Entries are keyed by the block's position (`blockSlot`: a number, no string per block) and
 * hold its length, which an answer must match.
 */
export class RequestPipeline {
  /** Renewed every `RENEW_AFTER_INSERTS` inserts, to keep its tables young (young-tables.ts). */
  private inFlight = new Map<number | string, InFlight>();
  private inserts = 0;
  /** Abandoned requests: the block's position → its length. */
  private readonly abandoned = new Map<number | string, number>();
  private readonly abandonedCap: number;

  constructor(abandonedCap: number) {
    this.abandonedCap = abandonedCap;
  }

  get size(): number {
    return this.inFlight.size;
  }

  has(request: BlockRequest): boolean {
    return this.inFlight.get(blockSlot(request.index, request.begin))?.request.length === request.length;
  }

  /** `sentAt`: now, or undefined while reading is paused (the clock starts at `restartClocks`). */
  add(request: BlockRequest, sentAt: number | undefined): void {
    const key = blockSlot(request.index, request.begin);
    this.abandoned.delete(key);
    this.inFlight.set(key, { request, sentAt });
    this.inserts += 1;
    if (this.inserts % RENEW_AFTER_INSERTS === 0) this.inFlight = new Map(this.inFlight);
  }

  /** Removes an answered request; undefined when it was not in flight. */
  settle(index: number, begin: number, length: number): BlockRequest | undefined {
    const key = blockSlot(index, begin);
    const entry = this.inFlight.get(key);
    if (entry === undefined || entry.request.length !== length) return undefined;
    this.inFlight.delete(key);
    return entry.request;
  }

  /** When the oldest running clock started; undefined when none runs. */
  oldestSentAt(): number | undefined {
    for (const entry of this.inFlight.values()) return entry.sentAt;
    return undefined;
  }

  /** The requests whose clock has run for `timeout` ms at `now`, oldest first. */
  expired(now: number, timeout: number): BlockRequest[] {
    const out: BlockRequest[] = [];
    for (const entry of this.inFlight.values()) {
      if (entry.sentAt === undefined || now - entry.sentAt < timeout) break;
      out.push(entry.request);
    }
    return out;
  }

  /** Gives up on a request: removed and remembered as abandoned. */
  abandon(request: BlockRequest): boolean {
    if (this.settle(request.index, request.begin, request.length) === undefined) return false;
    this.remember(blockSlot(request.index, request.begin), request.length);
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
    const key = blockSlot(index, begin);
    if (this.abandoned.get(key) !== length) return false;
    return this.abandoned.delete(key);
  }

  /** Stops every clock (reading is paused: silence is not the peer's fault). */
  stopClocks(): void {
    for (const entry of this.inFlight.values()) entry.sentAt = undefined;
  }

  /** Starts every request's clock afresh at `now`. */
  restartClocks(now: number): void {
    for (const entry of this.inFlight.values()) entry.sentAt = now;
  }

  dispose(): void {
    this.inFlight.clear();
    this.abandoned.clear();
  }

  private remember(key: number | string, length: number): void {
    this.abandoned.delete(key); // re-inserted as the newest
    this.abandoned.set(key, length);
    if (this.abandoned.size > this.abandonedCap) {
      const oldest = this.abandoned.keys().next();
      if (oldest.done !== true) this.abandoned.delete(oldest.value);
    }
  }
}
