/**
 * What a running torrent tells the world: one typed stream per torrent (`Client.add` returns it).
 * Errors arrive as events, never as stream errors, so one failing torrent never stops the others.
 */
export type TorrentState = 'checking' | 'downloading' | 'seeding' | 'paused' | 'stopped' | 'error';

export interface TorrentProgress {
  readonly type: 'progress';
  readonly infoHash: string;
  readonly name: string;
  readonly state: TorrentState;
  /** Verified pieces on disk, and the torrent's piece count. */
  readonly piecesDone: number;
  readonly pieceCount: number;
  /** Bytes of verified pieces on disk, and the torrent's total length. */
  readonly bytesDone: number;
  readonly totalBytes: number;
  /** Payload bytes received from peers in this run (including bytes that later failed). */
  readonly received: number;
  /** Payload bytes sent to peers in this run. */
  readonly uploaded: number;
  /** Bytes that failed hash verification in this run. */
  readonly failed: number;
  /** Pieces found complete on disk when the torrent started. */
  readonly checked: number;
  /** Bytes per second, averaged over the last few seconds. */
  readonly downRate: number;
  readonly upRate: number;
  /** Connected peers (handshake done), and how many of them have every piece. */
  readonly peers: number;
  readonly seeds: number;
}

export type TorrentEvent =
  | { readonly type: 'state'; readonly infoHash: string; readonly state: TorrentState }
  | TorrentProgress
  | {
      readonly type: 'done';
      readonly infoHash: string;
      readonly name: string;
      readonly received: number;
      readonly uploaded: number;
      readonly failed: number;
      readonly checked: number;
      /** Seconds from `add` to the last verified piece on disk. */
      readonly seconds: number;
    }
  | { readonly type: 'warning'; readonly infoHash: string; readonly message: string }
  /** A connection to a peer that had completed its handshake ended; `reason` is its typed kind. */
  | { readonly type: 'peer-closed'; readonly infoHash: string; readonly peer: string; readonly reason: string }
  | {
      readonly type: 'error';
      readonly infoHash: string;
      readonly message: string;
      /** A fatal error stops the torrent (its stream completes after this event). */
      readonly fatal: boolean;
    };

export type TorrentEventType = TorrentEvent['type'];
