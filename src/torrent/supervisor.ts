/**
 * `supervisor`: the actor that runs the swarm of one torrent.
 *
 * It merges every source of peers (`candidates$`: tracker batches, `--peer`, incoming
 * connections), de-duplicates them by `host:port` (`PeerDirectory`), and opens sessions with
 * `mergeMap(session, maxPeers)`. Each session's events feed the `Swarm` (picker, piece buffers,
 * counters), which answers with commands to that peer or others: requests when a session
 * `want`s more, cancels in endgame, `have` to everyone after a piece is on disk, choke / unchoke.
 * A dialled peer that drops is dialled again after a jittered exponential back-off, and given up
 * after repeated failures or a permanent reason (wrong torrent, ourselves, a bad peer).
 *
 *   candidates$  --a--b------a-----------       (a again: ignored while known)
 *   session(a)     ^----------!                 (dropped: its blocks go back to the picker)
 *   session(a)                  ^---- …         (after the back-off)
 *   output       --c--c-v-v---x-----s--v--…     c connected, v piece-verified, x closed, s stats
 *
 * Completes after `complete` unless `options.seed`; unsubscribing closes every session. All time
 * goes through `deps.scheduler`, all randomness through `deps.random`, all I/O through `deps`.
 */
import { EMPTY, Observable, Subject, Subscription, defer, finalize, ignoreElements, interval, mergeMap, tap, timer } from '../rx.js';
import type { Connection, PeerAddress } from '../peer/connection.js';
import type { CloseReason, PeerCommand, PeerEvent } from '../peer/peer-events.js';
import { type ChokerInput, choker } from '../choke/choker.js';
import { DEFAULT_PEER_DIRECTORY_OPTIONS, PeerDirectory } from './peer-directory.js';
import { Swarm, SwarmPeer } from './swarm.js';
import type { PeerCandidate, SupervisorDeps, SupervisorEvent, SupervisorInput } from './supervisor-types.js';

/** Reasons after which a peer is not dialled again. */
const PERMANENT: ReadonlySet<CloseReason['kind']> = new Set([
  'wrong-info-hash', 'self-connection', 'bad-bitfield', 'unexpected-message', 'have-out-of-range',
  'bad-request', 'unrequested-block', 'request-flood', 'keepalive-flood', 'wire', 'bad-command',
]);

export function supervisor(input: SupervisorInput, deps: SupervisorDeps): Observable<SupervisorEvent> {
  const options = input.options ?? {};
  const maxPeers = options.maxPeers ?? 50;
  const seed = options.seed ?? false;
  return new Observable<SupervisorEvent>((subscriber) => {
    const subscription = new Subscription();
    const commands = new Map<string, Subject<PeerCommand>>();
    const directory = new PeerDirectory(options.directory ?? DEFAULT_PEER_DIRECTORY_OPTIONS);
    const redial$ = new Subject<PeerCandidate>();
    const chokeInput$ = new Subject<ChokerInput>();
    const selfKeys = new Set((input.selfAddresses ?? []).map((address) => PeerDirectory.key(address)));
    let completed = input.have.isComplete;

    const swarm: Swarm = new Swarm(
      {
        pieceCount: input.pieceCount,
        pieceLength: input.pieceLength,
        random: deps.random,
        memoryBudget: options.memoryBudget ?? 64 * 1024 * 1024,
        maxStrikes: options.maxStrikes ?? 1,
      },
      input.have,
      {
        // Nothing more is said to peers once the supervisor is shutting down.
        send: (key, command) => {
          if (!subscriber.closed) commands.get(key)?.next(command);
        },
        emit: (event) => {
          subscriber.next(event);
          if (event.type === 'complete') {
            completed = true;
            if (!seed) subscriber.complete();
          }
        },
        allocate: (length, index) => deps.store.allocate(length, index),
        chokeInputChanged: () => chokeInput$.next(swarm.chokeSnapshot()),
        verifyAndStore: (index, data) => {
          const store$ = defer(() => deps.store.verify(index, data)).pipe(
            mergeMap((ok) => (ok ? deps.store.write(index, data).pipe(mergeMap(() => [true])) : [false])),
          );
          let settled = false;
          // Not tied to the teardown: a piece that is verified is written even when the torrent
          // stops (the disk pool's close() waits for it), so no good data is thrown away.
          store$.subscribe({
            next: (ok) => {
              if (settled) return;
              settled = true;
              if (ok) {
                swarm.pieceStored(index, data);
                deps.store.release?.(data); // pieceStored compared it with failed copies, synchronously
              } else {
                swarm.pieceFailed(index, data); // kept by the corruption tracker: not released
              }
            },
            error: (error: unknown) => swarm.storeFailed(index, data.length, error),
            complete: () => {
              if (!settled) swarm.storeFailed(index, data.length, new Error(`piece ${index}: the store finished without a result`));
            },
          });
        },
        readBlock: (key, request) => {
          subscription.add(deps.store.read(request.index, request.begin, request.length).subscribe({
            next: (data) => swarm.blockRead(key, request, data),
            error: (error: unknown) => subscriber.next({ type: 'read-error', index: request.index, error }),
          }));
        },
      },
    );

    const runPeer = (candidate: PeerCandidate): Observable<never> => defer(() => {
      const { address } = candidate;
      const key = PeerDirectory.key(address);
      if (deps.slots && !deps.slots.tryAcquire()) {
        // The client is at its connection ceiling: an incoming peer is turned away at once, a
        // dialled one is tried again later without counting against it.
        if (candidate.kind === 'accepted') closeAccepted(candidate.connection$);
        else retryLater(address, { permanent: false, wasLive: false, blameless: true });
        return EMPTY;
      }
      const peer = new SwarmPeer(key, address);
      const commands$ = new Subject<PeerCommand>();
      commands.set(key, commands$);
      swarm.add(peer);
      directory.connecting(address);
      let closeReason: CloseReason | undefined;
      const peerInput = candidate.kind === 'dial'
        ? { kind: 'dial' as const, address }
        : { kind: 'accepted' as const, connection$: candidate.connection$, handshake: candidate.handshake };
      return deps.session({
        peer: peerInput,
        infoHash: input.infoHash,
        ourPeerId: input.ourPeerId,
        pieceCount: input.pieceCount,
        pieceLength: input.pieceLength,
        ourBitfield: input.have.toBytes(),
        commands$,
        ...(options.session ? { options: options.session } : {}),
      }).pipe(
        // tap + ignoreElements, not mergeMap(() => EMPTY): no inner subscription per block.
        tap((event: PeerEvent) => {
          if (event.type === 'handshake') directory.live(address);
          if (event.type === 'closed') closeReason = event.reason;
          try {
            swarm.onPeerEvent(peer, event);
          } catch {
            commands$.next({ type: 'close' }); // a malformed block the session let through
          }
        }),
        ignoreElements(),
        finalize(() => {
          const wasLive = peer.live;
          swarm.remove(peer);
          commands.delete(key);
          commands$.complete();
          deps.slots?.release();
          const reason = closeReason ?? { kind: 'local-close' as const };
          if (wasLive) subscriber.next({ type: 'peer-closed', key, reason });
          if (subscriber.closed) return;
          const banned = swarm.isBanned(key, peer.peerId);
          if (candidate.kind === 'dial') retryLater(address, { permanent: PERMANENT.has(reason.kind) || banned, wasLive });
        }),
      );
    });

    const closeAccepted = (connection$: Observable<Connection>): void => {
      subscription.add(connection$.subscribe({ next: (connection) => connection.close(), error: () => undefined }));
    };

    const retryLater = (address: PeerAddress, how: { permanent: boolean; wasLive: boolean; blameless?: boolean }): void => {
      const delay = directory.closed(address, how, deps.random);
      if (delay === undefined) return;
      subscription.add(timer(delay, deps.scheduler).subscribe({
        next: () => {
          if (directory.retry(address)) redial$.next({ kind: 'dial', address });
        },
        error: () => undefined,
      }));
    };

    const admitted$ = new Observable<PeerCandidate>((out) => {
      const candidates = input.candidates$.subscribe({
        next: (candidate) => {
          const key = PeerDirectory.key(candidate.address);
          if (selfKeys.has(key)) return;
          if (swarm.isBanned(key)) return;
          if (candidate.kind === 'accepted') {
            // Incoming peers are not redialled and never wait in the queue holding a socket.
            if (swarm.peers.size >= maxPeers || swarm.peers.has(key)) {
              closeAccepted(candidate.connection$);
              return;
            }
            out.next(candidate);
            return;
          }
          if (completed && !seed) return;
          if (directory.offer(candidate.address)) out.next(candidate);
        },
        error: () => undefined, // a failing source of peers does not stop the swarm
      });
      const redials = redial$.subscribe({ next: (candidate) => out.next(candidate), error: () => undefined });
      return () => {
        candidates.unsubscribe();
        redials.unsubscribe();
      };
    });

    subscription.add(admitted$.pipe(mergeMap(runPeer, maxPeers)).subscribe({
      error: (error: unknown) => subscriber.error(error),
    }));

    const statsInterval = options.statsInterval ?? 1_000;
    subscription.add(interval(statsInterval, deps.scheduler).subscribe({
      next: () => {
        subscriber.next(swarm.stats());
        chokeInput$.next(swarm.chokeSnapshot()); // fresh rates for the choker's next tick
      },
      error: () => undefined,
    }));
    subscription.add(choker(chokeInput$, { scheduler: deps.scheduler, random: deps.random }, {
      interval: options.chokeInterval ?? 10_000,
      optimisticInterval: options.optimisticInterval ?? 30_000,
      regularSlots: options.uploadSlots ?? 4,
      eager: true,
    }).subscribe({ next: (changes) => swarm.applyChoke(changes), error: () => undefined }));

    if (completed && !seed) subscriber.complete();
    return () => {
      subscription.unsubscribe();
      for (const commands$ of commands.values()) commands$.complete();
      redial$.complete();
      chokeInput$.complete();
    };
  });
}
