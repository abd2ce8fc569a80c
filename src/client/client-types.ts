import type { Observable } from '../rx.js';
import type { HashPool } from '../io/hash-pool.js';
import type { Storage } from '../io/storage.js';
import type { Metainfo } from '../metainfo/metainfo.js';
import type { PeerSessionOptions } from '../peer/peer-session-options.js';
import type { PeerAddress } from '../tracker/announce-types.js';
import type { TorrentEvent } from './torrent-events.js';

export interface ClientOptions {
  /** Listening port for incoming peers; default 6881, the next free one if taken. 0 = any. */
  readonly port?: number;
  /** Address to listen on; default '0.0.0.0'. */
  readonly host?: string;
  /** Connections per torrent; default 50. */
  readonly maxPeersPerTorrent?: number;
  /** Connections for the whole client; default 200. */
  readonly maxConnections?: number;
  /** Bytes of unfinished pieces in memory per torrent, in MiB; default 16 (one piece may always start). */
  readonly memoryBudgetMiB?: number;
  /** Interval of `progress` events in ms; default 1000. */
  readonly progressInterval?: number;
  /**
   * Where the bytes go: one `Storage` per download folder; default the file system. A storage
   * that is not the file system (or one that fails on purpose, in tests) plugs in here.
   */
  readonly storage?: (root: string) => Storage;
  /**
   * The file system storage writes whole aligned blocks with `O_DIRECT`, past the page cache
   * (docs/disk.md); default true. False: every write through the page cache. Ignored with `storage`.
   */
  readonly directWrites?: boolean;
  /** Timeouts and limits of every peer session (request, stall and idle timeouts, pipeline, …). */
  readonly session?: Omit<PeerSessionOptions, 'listenPort'>;
  /**
   * The pool that hashes pieces; default one of the client's own, closed with it. A pool passed
   * in is the caller's, who closes it: shared by several clients, or started early (the CLI warms
   * its workers before it parses its arguments, so they boot while the process starts).
   */
  readonly hashPool?: HashPool;
}

export interface AddOptions {
  /** Folder the torrent's content lives in (`name` or `name/...` below it). */
  readonly dir: string;
  /** Peers to dial besides the trackers' (`--peer HOST:PORT`). */
  readonly peers?: readonly PeerAddress[];
  /** Keep seeding after the download completes (the stream then never completes by itself). */
  readonly seed?: boolean;
  /** Do not announce to the torrent's trackers. */
  readonly noTrackers?: boolean;
}

export interface Client {
  /** The port the client listens on (known once `listening` resolved). */
  readonly port: number;
  readonly listening: Promise<number>;
  /**
   * Runs a torrent: subscribing starts it (check existing data, announce, connect, download,
   * seed), unsubscribing stops it gracefully (tracker `stopped`, pending writes flushed).
   * Completes after `done` unless `seed` is set.
   */
  add(torrent: Metainfo, options: AddOptions): Observable<TorrentEvent>;
  /** Stops the torrent's swarm (the torrent stays: state `paused`); `resume` starts it again. */
  pause(infoHash: string): void;
  resume(infoHash: string): void;
  /** Stops the torrent as unsubscribing would (tracker `stopped`, writes flushed); its stream completes. */
  remove(infoHash: string): void;
  /** Every torrent's latest progress, whenever any changes. */
  readonly torrents$: Observable<readonly import('./torrent-events.js').TorrentProgress[]>;
  /** Stops every torrent, flushes the disk, closes the port and all sockets, workers, timers. */
  close(): Promise<void>;
}
