/**
 * `runTorrent`: one torrent's whole life as one cold Observable of `TorrentEvent`s.
 *
 *   checking ──▶ downloading ──▶ (done) ──▶ seeding …            paused ⇄ running
 *
 * Subscribing checks the data already on disk (hash every piece that is there), then runs the
 * tracker actor and the supervisor until every piece is verified and on disk; with `seed` it
 * keeps serving peers. `pause$` stops the swarm (not the torrent) and starts it again from what is
 * on disk. Unsubscribing stops it: the tracker hears `stopped`, sessions close. Failures are
 * `error` / `warning` events; the stream itself never errors.
 */
import {
  BehaviorSubject, EMPTY, Observable, type SchedulerLike, Subject, Subscription, catchError, combineLatest, concat, defer,
  distinctUntilChanged, filter, finalize, ignoreElements, map, merge, mergeMap, of, range, share, startWith,
  switchMap, take,
  takeWhile, tap,
} from '../rx.js';
import { backoffDelay } from '../operators/backoff-delay.js';
import { pieceLength } from '../metainfo/file-layout.js';
import type { Metainfo } from '../metainfo/metainfo.js';
import type { SaveMode } from '../io/resume-store.js';
import { Bitfield } from '../pieces/bitfield.js';
import type { PeerAddress } from '../peer/connection.js';
import type { PeerEvent } from '../peer/peer-events.js';
import type { PeerSessionInput } from '../peer/peer-session.js';
import type { PeerSessionOptions } from '../peer/peer-session-options.js';
import { announce$, type TrackerTransport } from '../tracker/announce.js';
import { supervisor } from '../torrent/supervisor.js';
import type { ConnectionSlots, PeerCandidate, PieceStore, SupervisorEvent, SwarmStats } from '../torrent/supervisor-types.js';
import { resumeSaves } from './resume-saves.js';
import { classifyStoreFailure } from './store-failure.js';
import type { TorrentEvent, TorrentProgress, TorrentState } from './torrent-events.js';

export interface RunTorrentInput {
  readonly meta: Metainfo;
  readonly store: PieceStore;
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly peers: readonly PeerAddress[];
  readonly incoming$: Observable<PeerCandidate>;
  readonly selfAddresses: readonly PeerAddress[];
  readonly seed: boolean;
  readonly noTrackers: boolean;
  readonly maxPeers: number;
  readonly memoryBudget: number;
  readonly progressInterval: number;
  readonly paused$: Observable<boolean>;
  readonly session?: PeerSessionOptions;
  /** Creates what must exist before any piece lands (zero-length files). */
  readonly prepare: () => Observable<unknown>;
  /** Fast resume: skip the check when the record matches the files; save as pieces land. */
  readonly resume?: TorrentResume;
}

/** What `runTorrent` needs of fast-resume state (the client backs it with `createResumeStore`). */
export interface TorrentResume {
  /** The pieces recorded as on disk, when the record still matches the files; else `undefined`. */
  load(): Promise<Bitfield | undefined>;
  /** Records `have` (only pieces whose writes completed); `light` holds within this boot only. */
  save(have: Bitfield, mode: SaveMode): Promise<void>;
  /** The torrent stopped: record `have` once the writes in flight have finished. */
  stopped(have: Bitfield): void;
  /** ms between saves while running: light ones while `have` changes, then a durable one (resume-saves.ts). */
  readonly interval: number;
}

export interface RunTorrentDeps {
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly now: () => number;
  readonly session: (input: PeerSessionInput) => Observable<PeerEvent>;
  readonly transport: TrackerTransport;
  readonly slots?: ConnectionSlots;
}

const CHECK_CONCURRENCY = 4;

export function runTorrent(input: RunTorrentInput, deps: RunTorrentDeps): Observable<TorrentEvent> {
  const { meta } = input;
  const infoHash = meta.infoHashHex;
  const lengthOf = (index: number): number => pieceLength(meta, index);
  return defer(() => {
    const started = deps.now();
    const have = new Bitfield(meta.pieceCount);
    const completed$ = new BehaviorSubject<boolean>(false);
    let checked = 0;
    let bytesDone = 0;
    let state: TorrentState = 'checking';
    let stats: SwarmStats = {
      type: 'stats', received: 0, uploaded: 0, failed: 0, downRate: 0, upRate: 0, peers: 0, seeds: 0, piecesDone: 0,
    };
    // Counters survive pauses: each swarm run starts from zero, so earlier runs are banked here.
    let banked = { received: 0, uploaded: 0, failed: 0 };
    const stateEvent = (next: TorrentState): TorrentEvent => {
      state = next;
      return { type: 'state', infoHash, state: next };
    };
    const progress = (): TorrentProgress => ({
      type: 'progress', infoHash, name: meta.name, state,
      piecesDone: have.count, pieceCount: meta.pieceCount, bytesDone, totalBytes: meta.totalLength,
      received: banked.received + stats.received, uploaded: banked.uploaded + stats.uploaded,
      failed: banked.failed + stats.failed, checked,
      downRate: stats.downRate, upRate: stats.upRate, peers: stats.peers, seeds: stats.seeds,
    });
    const doneEvent = (): TorrentEvent => ({
      type: 'done', infoHash, name: meta.name,
      received: banked.received + stats.received, uploaded: banked.uploaded + stats.uploaded,
      failed: banked.failed + stats.failed, checked, seconds: (deps.now() - started) / 1000,
    });

    const fullCheck$ = defer(() => {
      input.store.warm?.();
      have.clearAll();
      checked = 0;
      bytesDone = 0;
      return range(0, meta.pieceCount);
    }).pipe(
      mergeMap((index) => input.store.check(index).pipe(
        map((ok) => ({ index, ok })),
        catchError(() => of({ index, ok: false })),
      ), CHECK_CONCURRENCY),
      tap(({ index, ok }) => {
        if (!ok) return;
        have.set(index);
        checked += 1;
        bytesDone += lengthOf(index);
      }),
      ignoreElements(),
    );
    // The first check trusts the resume record when it still matches the files.
    const check$ = (first: boolean): Observable<never> => {
      const resume = input.resume;
      if (!first || resume === undefined) return fullCheck$;
      return defer(() => resume.load().catch(() => undefined)).pipe(
        mergeMap((recorded) => {
          if (recorded === undefined) return fullCheck$;
          have.clearAll();
          checked = 0;
          bytesDone = 0;
          for (const index of recorded.setIndexes()) {
            have.set(index);
            checked += 1;
            bytesDone += lengthOf(index);
          }
          return EMPTY;
        }),
      );
    };

    // The tracker actor runs for the torrent's whole life (also while paused: peers keep coming).
    const trackerPeers$ = input.noTrackers || meta.announce.length === 0 ? EMPTY : announce$({
      tiers: meta.announce,
      infoHash: meta.infoHash,
      peerId: input.peerId,
      port: input.port,
      stats: () => ({
        uploaded: banked.uploaded + stats.uploaded,
        downloaded: banked.received + stats.received,
        left: meta.totalLength - bytesDone,
      }),
      completed$: completed$.pipe(filter(Boolean)),
    }, { scheduler: deps.scheduler, random: deps.random, transport: deps.transport }).pipe(share());

    // Every address heard of, so a swarm started again after a pause knows them all at once.
    const known = new Map<string, PeerAddress>(input.peers.map((address) => [`${address.host}:${address.port}`, address]));
    const dial = (address: PeerAddress): PeerCandidate => ({ kind: 'dial', address });
    const candidates$ = merge(
      defer(() => of(...[...known.values()].map(dial))),
      trackerPeers$.pipe(
        mergeMap((update) => (update.type === 'peers' ? update.peers : [])),
        tap((address) => known.set(`${address.host}:${address.port}`, address)),
        map(dial),
      ),
      input.incoming$,
    );

    const trackerNotes$: Observable<TorrentEvent> = trackerPeers$.pipe(
      mergeMap((update): TorrentEvent[] => {
        switch (update.type) {
          case 'warning':
            return [{ type: 'warning', infoHash, message: `tracker ${update.tracker}: ${update.message}` }];
          case 'tracker-error':
            return [{ type: 'warning', infoHash, message: `tracker ${update.tracker}: ${update.error.message}` }];
          case 'peers':
          case 'all-failed':
            return [];
        }
      }),
    );

    const swarm$ = (): Observable<TorrentEvent> => defer(() => {
      banked = { received: banked.received + stats.received, uploaded: banked.uploaded + stats.uploaded, failed: banked.failed + stats.failed };
      stats = { ...stats, received: 0, uploaded: 0, failed: 0, downRate: 0, upRate: 0, peers: 0, seeds: 0 };
      const wasComplete = have.isComplete;
      if (!wasComplete) input.store.warm?.(); // the hash workers boot while the first pieces arrive
      return concat(
        of(stateEvent(wasComplete ? 'seeding' : 'downloading')),
        wasComplete && !input.seed ? EMPTY : supervisor({
          infoHash: meta.infoHash,
          ourPeerId: input.peerId,
          pieceCount: meta.pieceCount,
          pieceLength: lengthOf,
          have,
          candidates$,
          selfAddresses: input.selfAddresses,
          options: {
            maxPeers: input.maxPeers,
            memoryBudget: input.memoryBudget,
            seed: input.seed,
            statsInterval: input.progressInterval,
            ...(input.session ? { session: input.session } : {}),
          },
        }, {
          scheduler: deps.scheduler, random: deps.random, session: deps.session, store: input.store,
          ...(deps.slots ? { slots: deps.slots } : {}),
        }).pipe(mergeMap((event) => translate(event))),
      );
    });

    const translate = (event: SupervisorEvent): TorrentEvent[] => {
      switch (event.type) {
        case 'stats':
          stats = event;
          return [progress()];
        case 'piece-verified':
          bytesDone += lengthOf(event.index);
          diskFullAttempt = 0;
          return [];
        case 'complete':
          bytesDone = meta.totalLength;
          completed$.next(true);
          return input.seed ? [doneEvent(), stateEvent('seeding'), progress()] : [doneEvent()];
        case 'store-error':
          return onStoreError(event.index, event.error);
        case 'read-error':
          return onReadError(event.index, event.error);
        case 'peer-banned':
          return [{ type: 'warning', infoHash, message: `banned peer ${event.key}: it sent bad data for piece ${event.index}` }];
        case 'peer-closed':
          return [{ type: 'peer-closed', infoHash, peer: event.key, reason: event.reason.kind }];
        case 'piece-failed':
        case 'peer-connected':
          return [];
      }
    };

    let doneSent = false;
    const alreadyDone$ = defer(() => {
      if (!have.isComplete || doneSent) return EMPTY;
      completed$.next(true);
      return of(doneEvent());
    });

    // A full disk pauses the swarm and tries again after a back-off; the user's pause is separate.
    const diskPaused$ = new BehaviorSubject(false);
    let diskFullAttempt = 0;
    const timers = new Subscription();
    const pauseForDisk = (): number => {
      const delay = backoffDelay(diskFullAttempt, DISK_FULL_BACKOFF, deps.random);
      diskFullAttempt += 1;
      timers.add(deps.scheduler.schedule(() => diskPaused$.next(true)));
      timers.add(deps.scheduler.schedule(() => diskPaused$.next(false), delay));
      return delay;
    };
    // Data that should be on disk is not (deleted or truncated under us): check everything again.
    const recheck$ = new Subject<void>();
    let recheckPending = false;

    const run$ = combineLatest([input.paused$, diskPaused$]).pipe(
      map(([user, disk]) => user || disk),
      distinctUntilChanged(),
      switchMap((paused) => (paused ? defer(() => of(stateEvent('paused'), progress())) : swarm$())),
    );

    const phase$ = (first: boolean): Observable<TorrentEvent> => concat(
      defer(() => {
        recheckPending = false;
        return first ? EMPTY : of(stateEvent('checking'));
      }),
      check$(first),
      defer(() => of(progress())),
      alreadyDone$,
      defer(() => (have.isComplete && !input.seed ? EMPTY : run$)),
    );

    const checkedOnce$ = new Subject<void>();
    let checkedOnce = false;
    const resume = input.resume;
    const saving$: Observable<never> = resume === undefined ? EMPTY : resumeSaves(have, resume, deps.scheduler);
    return concat(
      of(stateEvent('checking')),
      input.prepare().pipe(ignoreElements()),
      merge(
        recheck$.pipe(
          map(() => false),
          startWith(true),
          switchMap((first) => phase$(first)),
          // The first event comes after the first check: the trackers start then, with a true `left`.
          tap(() => {
            checkedOnce = true;
            checkedOnce$.next();
          }),
        ),
        checkedOnce$.pipe(take(1), switchMap(() => merge(trackerNotes$, saving$))),
      ).pipe(
        tap((event) => {
          if (event.type === 'done') doneSent = true;
        }),
        takeWhile((event) => input.seed || event.type !== 'done', true),
        takeWhile((event) => !(event.type === 'state' && event.state === 'error'), true),
      ),
    ).pipe(
      catchError((error: unknown): TorrentEvent[] => [
        { type: 'error', infoHash, fatal: true, message: describe(error) },
        stateEvent('error'),
      ]),
      finalize(() => {
        timers.unsubscribe();
        if (checkedOnce) resume?.stopped(have);
      }),
    );

    function onStoreError(index: number, error: unknown): TorrentEvent[] {
      const problem = `piece ${index} was verified but not written: ${describe(error)}`;
      switch (classifyStoreFailure(error)) {
        case 'disk-full': {
          const delay = pauseForDisk();
          return [{ type: 'error', infoHash, fatal: false, message: `${problem}; paused, trying again in ${Math.round(delay / 1000)} s` }];
        }
        case 'refused':
          return [{ type: 'error', infoHash, fatal: true, message: problem }, stateEvent('error')];
        case 'missing':
        case 'other':
          return [{ type: 'error', infoHash, fatal: false, message: problem }];
      }
    }

    function onReadError(index: number, error: unknown): TorrentEvent[] {
      if (classifyStoreFailure(error) !== 'missing') {
        return [{ type: 'warning', infoHash, message: `piece ${index} could not be read for a peer: ${describe(error)}` }];
      }
      if (recheckPending) return [];
      recheckPending = true;
      timers.add(deps.scheduler.schedule(() => recheck$.next()));
      return [{ type: 'warning', infoHash, message: `piece ${index} is no longer on disk (${describe(error)}); checking the data again` }];
    }
  });
}

/** After a full disk: 5 s, doubling, at most a minute between attempts. */
const DISK_FULL_BACKOFF = { initialDelay: 5_000, factor: 2, maxDelay: 60_000, jitter: 0.2 } as const;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
