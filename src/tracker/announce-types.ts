/**
 * The values exchanged with a tracker, shared by the HTTP and UDP codecs and the actor.
 */

/** A peer to dial. IPv6 hosts are written without brackets; `port` is 1..65535. */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** The `event` of an announce; a regular re-announce has none. */
export type AnnounceEventName = 'started' | 'completed' | 'stopped';

export interface AnnounceParams {
  /** 20 bytes. */
  readonly infoHash: Uint8Array;
  /** 20 bytes. */
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  readonly event?: AnnounceEventName;
  /** How many peers we would like; the tracker's default when absent. */
  readonly numWant?: number;
  /** A random 32-bit value that identifies us to trackers across IP changes. */
  readonly key?: number;
  /** The `tracker id` this tracker gave us earlier (HTTP only). */
  readonly trackerId?: string;
}

export interface AnnounceResponse {
  readonly peers: readonly PeerAddress[];
  /** Seconds until the next regular announce, as the tracker asked. */
  readonly interval: number;
  /** Seconds the tracker wants at least between announces. */
  readonly minInterval?: number;
  readonly trackerId?: string;
  /** Seeders. */
  readonly complete?: number;
  /** Leechers. */
  readonly incomplete?: number;
  readonly warning?: string;
}
