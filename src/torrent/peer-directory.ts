import type { BackoffConfig } from '../operators/backoff-delay.js';
import { backoffDelay } from '../operators/backoff-delay.js';
import type { PeerAddress } from '../peer/connection.js';


/** A peer's place in the supervisor's life of it: `queued → connecting → live → dead`. */
export type PeerLifecycle = 'queued' | 'connecting' | 'live' | 'waiting' | 'dead';

interface Entry {
  readonly address: PeerAddress;
  state: PeerLifecycle;
  /** Consecutive sessions that ended without ever going live (or went live and died quickly). */
  failures: number;
}

export interface PeerDirectoryOptions {
  /** Delay before dialling a dropped peer again. */
  readonly reconnect: BackoffConfig;
  /** Consecutive failures after which a peer is given up (`dead`). */
  readonly maxFailures: number;
  /** Distinct addresses remembered at most; when full, a given-up peer makes room, else the offer is ignored. */
  readonly maxKnown: number;
}

export const DEFAULT_PEER_DIRECTORY_OPTIONS: PeerDirectoryOptions = {
  reconnect: { initialDelay: 5_000, factor: 2, maxDelay: 5 * 60_000, jitter: 0.5 },
  maxFailures: 5,
  maxKnown: 2_000,
};

/**
 * The supervisor's address book: de-duplicates peer addresses from every source (trackers,
 * the user, reconnects), and decides when a dropped peer is dialled again. Keys are `host:port`,
 * never the host alone: on loopback every peer shares one address. Pure: the caller schedules.
 */
export class PeerDirectory {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: PeerDirectoryOptions = DEFAULT_PEER_DIRECTORY_OPTIONS) {}

  static key(address: PeerAddress): string {
    return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
  }

  /** An address from a source. True when it should be dialled now (new, or waiting to retry). */
  offer(address: PeerAddress): boolean {
    const key = PeerDirectory.key(address);
    const entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= this.options.maxKnown && !this.forgetOneDead()) return false;
      this.entries.set(key, { address, state: 'queued', failures: 0 });
      return true;
    }
    return false;
  }

  /** A retry timer fired: dial again unless the peer came back another way meanwhile. */
  retry(address: PeerAddress): boolean {
    const entry = this.entries.get(PeerDirectory.key(address));
    if (entry === undefined || entry.state !== 'waiting') return false;
    entry.state = 'queued';
    return true;
  }

  connecting(address: PeerAddress): void {
    this.set(address, 'connecting');
  }

  live(address: PeerAddress): void {
    const entry = this.set(address, 'live');
    if (entry) entry.failures = 0;
  }

  /**
   * A session with this address ended (or never started: `blameless` when the shortage was ours,
   * such as no free connection slot, which does not count against the peer). Returns the delay
   * before dialling it again, or `undefined` when it is given up (`permanent`, or too many
   * failures in a row).
   */
  closed(
    address: PeerAddress,
    options: { permanent: boolean; wasLive: boolean; blameless?: boolean },
    random: () => number,
  ): number | undefined {
    const entry = this.entries.get(PeerDirectory.key(address));
    if (entry === undefined) return undefined;
    if (!options.wasLive && options.blameless !== true) entry.failures += 1;
    if (options.permanent || entry.failures >= this.options.maxFailures) {
      entry.state = 'dead';
      return undefined;
    }
    entry.state = 'waiting';
    return backoffDelay(Math.max(0, entry.failures - 1), this.options.reconnect, random);
  }

  state(address: PeerAddress): PeerLifecycle | undefined {
    return this.entries.get(PeerDirectory.key(address))?.state;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Makes room for a new address by forgetting the oldest peer that was given up. */
  private forgetOneDead(): boolean {
    for (const [key, entry] of this.entries) {
      if (entry.state !== 'dead') continue;
      this.entries.delete(key);
      return true;
    }
    return false;
  }

  private set(address: PeerAddress, state: PeerLifecycle): Entry | undefined {
    const entry = this.entries.get(PeerDirectory.key(address));
    if (entry) entry.state = state;
    return entry;
  }
}
