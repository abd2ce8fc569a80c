/**
 * `choker`: the upload side's unchoke actor (BEP 3 tit-for-tat). It reads the latest snapshot of
 * the peers of one torrent and, every `interval`, tells the supervisor which peers to unchoke and
 * which to choke — only the changes against what it told last time, nothing when nothing changed.
 *
 *   input$   -s--------s'----------------   s = peers and rates, hot, whenever the supervisor likes
 *   ticks    ------t---------t---------t-   every `interval` (10 s)
 *   choker   ------u---------c-----------   u = { unchoke: [a, b], choke: [] }, c = { unchoke: [], choke: [b] }
 *
 * Each tick: the regular slots come from `chokeDecision` (best rates among interested peers);
 * then the optimistic unchoke is picked with `pickOptimistic` when the slot is empty (its peer
 * left, lost interest or earned a regular slot) or when it has held it for `optimisticInterval`
 * (30 s), among the interested peers without a regular slot, newcomers (seen for less than
 * `newPeerWindow`) three times as likely. A peer that disappears from the snapshot is forgotten at
 * once: it is never told to choke (it is gone), and if it comes back it starts afresh.
 *
 * Time only through `deps.scheduler`, randomness only through `deps.random`. Input errors and
 * completion pass through; unsubscribing unsubscribes `input$` and the ticks.
 */
import { Observable, timer } from '../rx.js';
import type { SchedulerLike } from '../rx.js';
import { chokeDecision, compareIds, DEFAULT_REGULAR_SLOTS } from './choke-decision.js';
import type { ChokePeer } from './choke-decision.js';
import { pickOptimistic } from './pick-optimistic.js';

export interface ChokerInput {
  readonly peers: readonly ChokePeer[];
  readonly seeding: boolean;
}

export interface ChokeChanges {
  /** Ids to unchoke now, sorted. */
  readonly unchoke: readonly string[];
  /** Ids to choke now, sorted. */
  readonly choke: readonly string[];
}

export interface ChokerDeps {
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
}

export interface ChokerOptions {
  /** Milliseconds between recomputations; default 10 s. */
  readonly interval?: number;
  /** Milliseconds an optimistic unchoke lasts before it rotates; default 30 s. */
  readonly optimisticInterval?: number;
  /** Regular unchoke slots; default 4. */
  readonly regularSlots?: number;
  /** Milliseconds a peer counts as new for the optimistic pick; default `optimisticInterval`. */
  readonly newPeerWindow?: number;
  /**
   * Also decide at once when a snapshot changes who is present and interested (rates alone wait
   * for the tick); default false. A client sets it so that a peer that becomes interested while a
   * slot is free is served at once, not up to a tick later.
   */
  readonly eager?: boolean;
}

export const CHOKER_DEFAULTS = {
  interval: 10_000,
  optimisticInterval: 30_000,
  regularSlots: DEFAULT_REGULAR_SLOTS,
} as const;

export function choker(
  input$: Observable<ChokerInput>,
  deps: ChokerDeps,
  options: ChokerOptions = {},
): Observable<ChokeChanges> {
  const interval = options.interval ?? CHOKER_DEFAULTS.interval;
  const optimisticInterval = options.optimisticInterval ?? CHOKER_DEFAULTS.optimisticInterval;
  const regularSlots = options.regularSlots ?? CHOKER_DEFAULTS.regularSlots;
  const newPeerWindow = options.newPeerWindow ?? optimisticInterval;
  const { scheduler, random } = deps;

  return new Observable<ChokeChanges>((subscriber) => {
    let latest: ChokerInput | undefined;
    let told = new Set<string>();
    let optimistic: string | undefined;
    let optimisticSince = 0;
    let interestedIds = '';
    const firstSeen = new Map<string, number>();

    const remember = (snapshot: ChokerInput): void => {
      latest = snapshot;
      const present = new Set(snapshot.peers.map((peer) => peer.id));
      for (const id of told) if (!present.has(id)) told.delete(id);
      for (const id of firstSeen.keys()) if (!present.has(id)) firstSeen.delete(id);
      for (const id of present) if (!firstSeen.has(id)) firstSeen.set(id, scheduler.now());
      if (optimistic !== undefined && !present.has(optimistic)) optimistic = undefined;
    };

    const tick = (): ChokeChanges | undefined => {
      if (latest === undefined) return undefined;
      const now = scheduler.now();
      const { peers, seeding } = latest;
      const decision = chokeDecision(peers, { seeding, ...(optimistic === undefined ? {} : { optimistic }) }, { regularSlots });
      optimistic = decision.optimistic;
      const regular = new Set(decision.unchoke);
      if (optimistic !== undefined) regular.delete(optimistic);
      if (optimistic === undefined || now - optimisticSince >= optimisticInterval) {
        const candidates = peers
          .filter((peer) => peer.interested && !regular.has(peer.id) && peer.id !== optimistic)
          .map((peer) => peer.id);
        const newPeers = new Set(candidates.filter((id) => now - (firstSeen.get(id) ?? now) < newPeerWindow));
        const next = pickOptimistic(candidates, random, { newPeers });
        if (next !== undefined) {
          optimistic = next;
          optimisticSince = now;
        }
      }
      const wanted = new Set(regular);
      if (optimistic !== undefined) wanted.add(optimistic);
      const unchoke = [...wanted].filter((id) => !told.has(id)).sort(compareIds);
      const choke = [...told].filter((id) => !wanted.has(id)).sort(compareIds);
      told = wanted;
      return unchoke.length === 0 && choke.length === 0 ? undefined : { unchoke, choke };
    };

    const inputSubscription = input$.subscribe({
      next: (snapshot) => {
        const before = interestedIds;
        remember(snapshot);
        interestedIds = snapshot.peers.filter((peer) => peer.interested).map((peer) => peer.id).sort(compareIds).join(',');
        if (!options.eager || interestedIds === before) return;
        const changes = tick();
        if (changes !== undefined) subscriber.next(changes);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    const tickSubscription = timer(interval, interval, scheduler).subscribe({
      next: () => {
        const changes = tick();
        if (changes !== undefined) subscriber.next(changes);
      },
      error: (error: unknown) => subscriber.error(error),
    });
    return () => {
      inputSubscription.unsubscribe();
      tickSubscription.unsubscribe();
    };
  });
}
