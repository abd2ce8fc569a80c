/**
 * `createClient`: the composition root. One listening port, one disk pool, one hash pool and one
 * tracker transport for every torrent of the process; each `add` returns that torrent's cold
 * event stream (`runTorrent`). The client owns the shared resources and `close()` releases them
 * all: no socket, timer, worker or file handle is left behind.
 */
import { randomBytes } from 'node:crypto';
import {
  BehaviorSubject, EMPTY, Observable, Subject, asyncScheduler, concat, defer, finalize, ignoreElements, map, merge, scan,
  takeUntil,
} from '../rx.js';
import { createDiskPool } from '../io/disk-pool.js';
import { createHashPool } from '../io/hash-pool.js';
import { createFileStorage } from '../io/storage.js';
import { type IncomingPeer, type PeerListener, listenForPeers } from '../io/peer-listener.js';
import { createResumeStore, defaultResumeDir } from '../io/resume-store.js';
import { connectTcp } from '../io/tcp-connection.js';
import { defaultTransport } from '../io/tracker-transport.js';
import type { Metainfo } from '../metainfo/metainfo.js';
import { peerSession } from '../peer/peer-session.js';
import { makePeerId } from '../wire/peer-id.js';
import type { ConnectionSlots, PeerCandidate } from '../torrent/supervisor-types.js';
import type { AddOptions, Client, ClientOptions } from './client-types.js';
import { contentPath } from '../metainfo/content-path.js';
import { PieceBufferPool } from './piece-buffer-pool.js';
import { diskPieceStore } from './piece-store.js';
import { type TorrentResume, runTorrent } from './run-torrent.js';
import type { TorrentEvent, TorrentProgress } from './torrent-events.js';

export function createClient(options: ClientOptions = {}): Client {
  const peerId = makePeerId(randomBytes(20));
  const directWrites = options.directWrites ?? true;
  const disk = createDiskPool({ storage: options.storage ?? ((root) => createFileStorage({ root, directWrites })) });
  const hasher = options.hashPool ?? createHashPool();
  const buffers = new PieceBufferPool();
  const transport = defaultTransport();
  const closing$ = new Subject<void>();
  const routes = new Map<string, (peer: IncomingPeer) => boolean>();
  const paused = new Map<string, BehaviorSubject<boolean>>();
  const removals = new Map<string, Subject<void>>();
  const progress$ = new Subject<TorrentProgress>();
  const slots = connectionSlots(options.maxConnections ?? 200);
  const finalSaves = new Set<Promise<void>>();
  /** Resolves once no piece is being hashed or written any more (bounded wait). */
  const writesSettled = async (): Promise<void> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const diskStats = disk.stats();
      const hashStats = hasher.stats();
      if (diskStats.queued + diskStats.running + hashStats.queued + hashStats.running === 0 || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  let listener: PeerListener | undefined;
  let port = 0;

  const listening = listenForPeers({
    port: options.port ?? 6881,
    ...(options.host ? { host: options.host } : {}),
    route: (infoHashHex, peer) => {
      return routes.get(infoHashHex)?.(peer) ?? false;
    },
  }).then((opened) => {
    listener = opened;
    port = opened.port;
    return opened.port;
  });
  listening.catch(() => undefined); // surfaced through `add` and `listening` itself

  const add = (meta: Metainfo, addOptions: AddOptions): Observable<TorrentEvent> => defer(() => {
    const infoHash = meta.infoHashHex;
    if (routes.has(infoHash)) throw new Error(`torrent ${infoHash} is already running in this client`);
    const incoming$ = new Subject<PeerCandidate>();
    // Only a running swarm takes incoming peers; while checking or paused they are turned away.
    routes.set(infoHash, (peer) => {
      if (!incoming$.observed) return false;
      incoming$.next(peer);
      return true;
    });
    const paused$ = new BehaviorSubject(false);
    paused.set(infoHash, paused$);
    const removed$ = new Subject<void>();
    removals.set(infoHash, removed$);
    return concat(
      defer(() => listening).pipe(ignoreElements()),
      defer(() => runTorrent({
        meta,
        store: diskPieceStore(meta, addOptions.dir, { disk, hasher, allocate: (length, phase) => buffers.take(length, phase), release: (data) => buffers.give(data) }),
        peerId,
        port,
        peers: addOptions.peers ?? [],
        incoming$,
        selfAddresses: [{ host: '127.0.0.1', port }, { host: 'localhost', port }, { host: '0.0.0.0', port }],
        seed: addOptions.seed ?? false,
        noTrackers: addOptions.noTrackers ?? false,
        maxPeers: options.maxPeersPerTorrent ?? 50,
        memoryBudget: (options.memoryBudgetMiB ?? 16) * 1024 * 1024,
        progressInterval: options.progressInterval ?? 1_000,
        paused$,
        session: { ...options.session, listenPort: port },
        prepare: () => createEmptyFiles(meta, addOptions.dir),
        resume: torrentResume(meta, addOptions.dir),
      }, {
        scheduler: asyncScheduler,
        random: Math.random,
        now: Date.now,
        session: (input) => peerSession(input, { scheduler: asyncScheduler, connect: (address) => connectTcp(address, { reuseReadBuffer: true }) }),
        transport,
        slots,
      })),
    ).pipe(
      takeUntil(merge(closing$, removed$)),
      finalize(() => {
        routes.delete(infoHash);
        paused.delete(infoHash);
        removals.delete(infoHash);
        incoming$.complete();
      }),
    );
  }).pipe(
    map((event) => {
      if (event.type === 'progress') progress$.next(event);
      return event;
    }),
  );

  /**
   * Fast-resume state in `<dir>/.rxtorrent/`: a light save every 5 s while `have` changes, a
   * durable one when it stops changing, and a durable one after the last write.
   */
  const torrentResume = (meta: Metainfo, dir: string): TorrentResume => {
    const store = createResumeStore({ dir: defaultResumeDir(dir) });
    return {
      interval: 5_000,
      load: () => store.load(meta, dir),
      save: (have, mode) => store.save(meta, dir, have, mode),
      stopped: (have) => {
        const saved = writesSettled().then(() => store.save(meta, dir, have)).catch(() => undefined);
        finalSaves.add(saved);
        void saved.then(() => finalSaves.delete(saved));
      },
    };
  };

  /** Zero-length files are never touched by a piece, so they are created up front. */
  const createEmptyFiles = (meta: Metainfo, dir: string): Observable<unknown> => {
    const empty = meta.files.filter((file) => file.length === 0 && !file.pad);
    if (empty.length === 0) return EMPTY;
    return disk.write({
      torrentId: meta.infoHashHex,
      root: dir,
      segments: empty.map((file) => ({ path: contentPath(meta, file), fileLength: 0, fileOffset: 0, data: new Uint8Array(0) })),
    });
  };

  return {
    get port() {
      return port;
    },
    listening,
    add,
    pause: (infoHash) => paused.get(infoHash)?.next(true),
    resume: (infoHash) => paused.get(infoHash)?.next(false),
    remove: (infoHash) => removals.get(infoHash)?.next(),
    torrents$: progress$.pipe(
      scan((all, event) => new Map(all).set(event.infoHash, event), new Map<string, TorrentProgress>()),
      map((all) => [...all.values()]),
    ),
    close: async () => {
      closing$.next();
      closing$.complete();
      await listening.catch(() => undefined);
      await listener?.close();
      await Promise.all(finalSaves);
      await disk.close();
      if (options.hashPool === undefined) await hasher.close();
    },
  };
}

/** The client-wide connection ceiling, shared by every torrent. */
function connectionSlots(max: number): ConnectionSlots {
  let used = 0;
  return {
    tryAcquire: () => {
      if (used >= max) return false;
      used += 1;
      return true;
    },
    release: () => {
      used = Math.max(0, used - 1);
    },
  };
}
