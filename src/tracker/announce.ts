/**
 * `announce$`: the tracker actor of one torrent, "a stream of peers" (BEP 3, 12, 15, 23).
 *
 * Each round walks the tiers (shuffled once at start, BEP 12) tracker by tracker until one
 * answers; that tracker moves to the front of its tier, its peers are emitted, and the next round
 * starts after its `interval` (never below its `min interval`, clamped to `intervalBounds`). When
 * every tracker failed, the next round waits a jittered exponential back-off (5 s doubling up to
 * 30 min by default). Each tracker hears `event=started` the first time it is reached (also after a
 * fail-over); the first round after
 * `completed$` emits carries `event=completed` (at once if the last round succeeded, else at the
 * next retry), exactly once. Unsubscribing cancels any request in flight and sends
 * `event=stopped` to the last tracker that answered, fire and forget, bounded by
 * `stoppedTimeout`.
 *
 *   transport(A)  --#                 (A fails, B answers with interval 30 s)
 *   transport(B)    --a|
 *   announce$     --e-p---- 30 s ----e-p--…     e = tracker-error, p = peers
 *
 * Errors never end the stream: they arrive as `tracker-error` updates. All time goes through
 * `deps.scheduler`, all randomness through `deps.random`.
 */
import {
  BehaviorSubject,
  EMPTY,
  Observable,
  catchError,
  concat,
  defaultIfEmpty,
  defer,
  expand,
  filter,
  map,
  mergeMap,
  of,
  race,
  switchMap,
  take,
  throwError,
  timeout,
  timer,
} from '../rx.js';
import type { SchedulerLike } from '../rx.js';
import { backoffDelay } from '../operators/backoff-delay.js';
import type { BackoffConfig } from '../operators/backoff-delay.js';
import type { AnnounceEventName, AnnounceParams, AnnounceResponse, PeerAddress } from './announce-types.js';
import { TrackerError, toTrackerError } from './tracker-error.js';
import { announceOrder, promoteTracker, shuffleTiers } from './tracker-tiers.js';
import type { Tiers } from './tracker-tiers.js';

/** One announce to one tracker; the edge picks HTTP or UDP by the URL's scheme. */
export type TrackerTransport = (url: string, params: AnnounceParams) => Observable<AnnounceResponse>;

export interface TransferStats {
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
}

export interface AnnounceInput {
  readonly tiers: Tiers;
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly port: number;
  /** Read at every announce. */
  readonly stats: () => TransferStats;
  /** Emits when the download completes; only its first emission counts. */
  readonly completed$: Observable<unknown>;
  readonly numWant?: number;
}

export interface AnnounceDeps {
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly transport: TrackerTransport;
  /** Back-off after a round in which every tracker failed. */
  readonly backoff?: BackoffConfig;
  /** Longest wait for one tracker before trying the next, in ms. */
  readonly requestTimeout?: number;
  /** Longest wait for the answer to `stopped`, in ms. */
  readonly stoppedTimeout?: number;
  /** Bounds on the re-announce interval, in seconds. */
  readonly intervalBounds?: { readonly min: number; readonly max: number };
}

export type AnnounceUpdate =
  | {
      readonly type: 'peers';
      readonly tracker: string;
      readonly peers: readonly PeerAddress[];
      /** Seconds until the next announce, after `min interval` and clamping. */
      readonly interval: number;
      readonly event?: AnnounceEventName;
      readonly complete?: number;
      readonly incomplete?: number;
    }
  | { readonly type: 'warning'; readonly tracker: string; readonly message: string }
  | { readonly type: 'tracker-error'; readonly tracker: string; readonly error: TrackerError }
  /** Every tracker failed; the next round starts in `retryIn` ms. `attempt` is 0-based. */
  | { readonly type: 'all-failed'; readonly attempt: number; readonly retryIn: number };

export const DEFAULT_ANNOUNCE_BACKOFF: BackoffConfig = {
  initialDelay: 5_000,
  factor: 2,
  maxDelay: 30 * 60_000,
  jitter: 0.5,
};
export const DEFAULT_INTERVAL_BOUNDS = { min: 30, max: 4 * 3600 } as const;
export const DEFAULT_REQUEST_TIMEOUT = 30_000;
export const DEFAULT_STOPPED_TIMEOUT = 5_000;

type RoundEnd = { readonly type: 'round-end'; readonly ok: boolean; readonly delay: number };
type Step = AnnounceUpdate | RoundEnd;
type Attempt = { readonly ok: true; readonly response: AnnounceResponse } | { readonly ok: false; readonly error: TrackerError };

export function announce$(input: AnnounceInput, deps: AnnounceDeps): Observable<AnnounceUpdate> {
  const { scheduler } = deps;
  const backoff = deps.backoff ?? DEFAULT_ANNOUNCE_BACKOFF;
  const requestTimeout = deps.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
  const stoppedTimeout = deps.stoppedTimeout ?? DEFAULT_STOPPED_TIMEOUT;
  const bounds = deps.intervalBounds ?? DEFAULT_INTERVAL_BOUNDS;

  return new Observable<AnnounceUpdate>((subscriber) => {
    let tiers = shuffleTiers(input.tiers, deps.random);
    if (tiers.length === 0) {
      subscriber.complete();
      return undefined;
    }
    const key = Math.floor(deps.random() * 0x1_0000_0000) >>> 0;
    const trackerIds = new Map<string, string>();
    const completedRequested = new BehaviorSubject(false);
    let lastWorking: string | undefined;
    const startedTo = new Set<string>();
    let completedSent = false;
    let failures = 0;

    const paramsFor = (tracker: string, event: AnnounceEventName | undefined): AnnounceParams => {
      const stats = input.stats();
      const trackerId = trackerIds.get(tracker);
      return {
        infoHash: input.infoHash,
        peerId: input.peerId,
        port: input.port,
        uploaded: stats.uploaded,
        downloaded: stats.downloaded,
        left: stats.left,
        key,
        ...(event === undefined ? {} : { event }),
        ...(input.numWant === undefined ? {} : { numWant: input.numWant }),
        ...(trackerId === undefined ? {} : { trackerId }),
      };
    };

    // Each tracker hears `started` the first time we reach it, even after a fail-over.
    const nextEvent = (tracker: string): AnnounceEventName | undefined => {
      if (!startedTo.has(tracker)) return 'started';
      return completedRequested.value && !completedSent ? 'completed' : undefined;
    };

    const noAnswer: Attempt = {
      ok: false,
      error: new TrackerError({ kind: 'malformed', reason: 'the transport completed without an answer' }),
    };
    const attempt = (tracker: string, event: AnnounceEventName | undefined): Observable<Attempt> =>
      defer(() => deps.transport(tracker, paramsFor(tracker, event))).pipe(
        take(1),
        timeout({
          first: requestTimeout,
          scheduler,
          with: () => throwError(() => new TrackerError({ kind: 'timeout', ms: requestTimeout })),
        }),
        map((response): Attempt => ({ ok: true, response })),
        defaultIfEmpty(noAnswer),
        catchError((error: unknown) => of<Attempt>({ ok: false, error: toTrackerError(error) })),
      );

    const succeeded = (tracker: string, event: AnnounceEventName | undefined, response: AnnounceResponse): Step[] => {
      tiers = promoteTracker(tiers, tracker);
      lastWorking = tracker;
      failures = 0;
      if (event === 'started') startedTo.add(tracker);
      if (event === 'completed') completedSent = true;
      if (response.trackerId !== undefined) trackerIds.set(tracker, response.trackerId);
      const interval = clampInterval(response, bounds);
      const steps: Step[] = [];
      if (response.warning !== undefined) steps.push({ type: 'warning', tracker, message: response.warning });
      steps.push({
        type: 'peers',
        tracker,
        peers: response.peers,
        interval,
        ...(event === undefined ? {} : { event }),
        ...(response.complete === undefined ? {} : { complete: response.complete }),
        ...(response.incomplete === undefined ? {} : { incomplete: response.incomplete }),
      });
      steps.push({ type: 'round-end', ok: true, delay: interval * 1000 });
      return steps;
    };

    const allFailed = (): Step[] => {
      const retryIn = backoffDelay(failures, backoff, deps.random);
      const update: AnnounceUpdate = { type: 'all-failed', attempt: failures, retryIn };
      failures += 1;
      return [update, { type: 'round-end', ok: false, delay: retryIn }];
    };

    const round = (): Observable<Step> =>
      defer(() => {
        const order = announceOrder(tiers);
        const tryFrom = (index: number): Observable<Step> => {
          const tracker = order[index];
          if (tracker === undefined) return defer(() => of(...allFailed()));
          const event = nextEvent(tracker);
          return attempt(tracker, event).pipe(
            mergeMap((result) =>
              result.ok
                ? of(...succeeded(tracker, event, result.response))
                : concat(of<Step>({ type: 'tracker-error', tracker, error: result.error }), tryFrom(index + 1)),
            ),
          );
        };
        return tryFrom(0);
      });

    const completedPending$ = completedRequested.pipe(
      filter((requested) => requested && !completedSent),
      take(1),
    );
    const wait = (end: RoundEnd): Observable<unknown> =>
      end.ok ? race(timer(end.delay, scheduler), completedPending$) : timer(end.delay, scheduler);

    const completedSubscription = input.completed$.pipe(take(1)).subscribe({
      next: () => completedRequested.next(true),
      error: () => undefined,
    });
    const loopSubscription = round()
      .pipe(
        expand((step) => (step.type === 'round-end' ? wait(step).pipe(take(1), switchMap(round)) : EMPTY)),
        filter((step): step is AnnounceUpdate => step.type !== 'round-end'),
      )
      .subscribe(subscriber);

    return () => {
      completedSubscription.unsubscribe();
      loopSubscription.unsubscribe();
      if (lastWorking === undefined) return;
      const tracker = lastWorking;
      defer(() => deps.transport(tracker, paramsFor(tracker, 'stopped')))
        .pipe(
          take(1),
          timeout({ first: stoppedTimeout, scheduler, with: () => EMPTY }),
          catchError(() => EMPTY),
        )
        .subscribe({ error: () => undefined });
    };
  });
}

/** The tracker's interval, raised to its `min interval`, clamped to `bounds` (seconds). */
export function clampInterval(
  response: Pick<AnnounceResponse, 'interval' | 'minInterval'>,
  bounds: { readonly min: number; readonly max: number },
): number {
  const asked = Math.max(response.interval, response.minInterval ?? 0);
  return Math.min(bounds.max, Math.max(bounds.min, asked));
}
