import { type MonoTypeOperatorFunction, type SchedulerLike, asyncScheduler, retry, throwError, timer } from '../rx.js';
import { type BackoffConfig, backoffDelay } from './backoff-delay.js';

export interface RetryBackoffConfig extends BackoffConfig {
  /** Retries before the error is passed on; default unlimited. */
  readonly maxAttempts?: number;
  /** Which errors are worth retrying; default all. An error it rejects passes through at once. */
  readonly shouldRetry?: (error: unknown) => boolean;
  /** Start counting attempts again after the source emits a value; default true. */
  readonly resetOnSuccess?: boolean;
  /** Where the delays are scheduled; a `TestScheduler` in specs. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Source of randomness for the jitter, in [0, 1); default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Resubscribes to the source after an error, waiting longer after each failure
 * (exponential back-off with jitter, see {@link backoffDelay}).
 *
 * ```
 * source:  --#                                 (each subscription fails after 2 frames)
 * retryBackoff({ initialDelay: 1, factor: 2, maxDelay: 4, maxAttempts: 3 })
 * result:  --  -(1)-- --(2)-- ----(4)-- --#
 *          ^ subscribe; retry after 1, 2, 4 frames; the fourth error passes through
 * ```
 *
 * @example
 * announceOnce$.pipe(
 *   retryBackoff({ initialDelay: 5_000, maxDelay: 30 * 60_000, jitter: 0.5,
 *                  shouldRetry: (e) => !(e instanceof TrackerError && e.detail.kind === 'failure') }),
 * );
 *
 * Values emitted before an error are not replayed; with `resetOnSuccess` (the default) a source
 * that emits and later fails starts again from `initialDelay`.
 */
export function retryBackoff<T>(config: RetryBackoffConfig): MonoTypeOperatorFunction<T> {
  const scheduler = config.scheduler ?? asyncScheduler;
  const random = config.random ?? Math.random;
  const shouldRetry = config.shouldRetry ?? (() => true);
  return retry<T>({
    count: config.maxAttempts ?? Infinity,
    resetOnSuccess: config.resetOnSuccess ?? true,
    delay: (error: unknown, retryCount: number) =>
      shouldRetry(error)
        ? timer(backoffDelay(retryCount - 1, config, random), scheduler)
        : throwError(() => error),
  });
}
