/**
 * The disk pool: ONE for the whole client, shared by every torrent. It replaces the file workers
 * of the original actor design; the Observable a request returns is the callback channel.
 *
 * ```
 * write(piece 7: a.bin[900..1000), b.bin[0..24)) ──▶ lane a.bin: … ─▶ open+write ─┐
 *                                                   lane b.bin: … ─▶ open+write ─┴─▶ { bytes: 124 }|
 * ```
 *
 * - A request is split by file: each segment waits in its file's lane (see `createKeyedQueue`),
 *   so writes to one file land in the order they were subscribed (the last issued wins), and a
 *   read sees every write queued before it. Different files proceed in parallel, at most
 *   `concurrency` operations at once (the libuv pool has 4 threads).
 * - Requests are cold: subscribing queues the segments; unsubscribing drops the ones not yet
 *   started (a started write runs to its end; its back-off retries stop).
 * - A transient error (EIO, EAGAIN, EBUSY, EINTR, EMFILE, ENFILE) is retried with jittered
 *   exponential back-off (`retryBackoff`) inside the file's lane, so a retry never jumps the
 *   order; when retries run out the request errors with `io`. ENOSPC / EDQUOT are never retried:
 *   `disk-full`. A segment that fails ends its request; the other segments still waiting are
 *   dropped.
 * - Reads fill one buffer for the whole request; a file that is missing or too short ends the
 *   request with `missing-data`.
 * - `close()` lets queued requests finish, then closes every file handle.
 */
import { join, resolve } from 'node:path';
import { Observable, type SchedulerLike, defer, finalize, lastValueFrom } from '../rx.js';
import { retryBackoff } from '../operators/retry-backoff.js';
import { DiskError, errorCode } from './disk-error.js';
import { createKeyedQueue } from './keyed-queue.js';
import { type Storage, createFileStorage } from './storage.js';

export interface WriteSegment {
  /** The file's path segments below `root`. */
  readonly path: readonly string[];
  readonly fileLength: number;
  readonly fileOffset: number;
  readonly data: Uint8Array;
}

export interface WriteRequest {
  readonly torrentId: string;
  readonly root: string;
  readonly segments: readonly WriteSegment[];
}

export interface WriteResult {
  readonly torrentId: string;
  readonly bytes: number;
  /** Back-off retries the request needed (0 on a healthy disk). */
  readonly retries: number;
}

export interface ReadSegment {
  readonly path: readonly string[];
  readonly fileLength: number;
  readonly fileOffset: number;
  readonly length: number;
}

export interface ReadRequest {
  readonly root: string;
  readonly segments: readonly ReadSegment[];
}

export interface DiskRetryOptions {
  /** Tries per segment, the first included; default 5. */
  readonly maxAttempts?: number;
  /** ms; default 50. */
  readonly initialDelay?: number;
  /** ms; default 2000. */
  readonly maxDelay?: number;
  readonly factor?: number;
  /** 0..1; default 0.5. */
  readonly jitter?: number;
}

export interface DiskPoolOptions {
  /** Storage for one download folder; default the file system (`createFileStorage`). */
  readonly storage?: (root: string) => Storage;
  /** File operations in flight at once, over all files; default 4. */
  readonly concurrency?: number;
  readonly retry?: DiskRetryOptions;
  /** Where back-off delays are scheduled; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

export interface DiskPoolStats {
  /** Segments waiting in their lanes, and running. */
  readonly queued: number;
  readonly running: number;
  /** Bytes of write requests subscribed and not yet finished: the number to hold back-pressure on. */
  readonly pendingWriteBytes: number;
}

export interface DiskPool {
  /** Cold; emits one `WriteResult` then completes, or errors with a `DiskError`. */
  write(request: WriteRequest): Observable<WriteResult>;
  /** Cold; emits the requested bytes, all segments in order in one buffer, then completes. */
  read(request: ReadRequest): Observable<Uint8Array>;
  /** Finishes queued requests, then closes every file; later requests error with `closed`. */
  close(): Promise<void>;
  stats(): DiskPoolStats;
}

const TRANSIENT = new Set(['EIO', 'EAGAIN', 'EBUSY', 'EINTR', 'EMFILE', 'ENFILE']);
const FULL = new Set(['ENOSPC', 'EDQUOT']);

interface Segment {
  readonly path: readonly string[];
  readonly fileLength: number;
  readonly fileOffset: number;
  readonly length: number;
}

export function createDiskPool(options: DiskPoolOptions = {}): DiskPool {
  const makeStorage = options.storage ?? ((root: string) => createFileStorage({ root }));
  const storages = new Map<string, Storage>();
  const queue = createKeyedQueue(options.concurrency ?? 4);
  const retry = options.retry ?? {};
  const maxAttempts = Math.max(1, retry.maxAttempts ?? 5);
  let pendingWriteBytes = 0;
  let closed = false;

  const storageFor = (root: string): Storage => {
    let storage = storages.get(root);
    if (storage === undefined) {
      storage = makeStorage(root);
      storages.set(root, storage);
    }
    return storage;
  };

  /**
   * Runs `operation` with back-off on transient errors; resolves with the attempts it took. The
   * first attempt runs plainly: only a failure builds the back-off pipeline, which starts by
   * replaying that failure, so its delays and counts are those of a pipeline from the start.
   */
  const withRetry = async (operation: () => Promise<void>, stopped: () => boolean): Promise<number> => {
    let firstError: unknown;
    try {
      await operation();
      return 1;
    } catch (error) {
      firstError = error;
    }
    let attempts = 0;
    const attempt$ = defer(async () => {
      attempts += 1;
      if (attempts === 1) throw firstError;
      await operation();
    }).pipe(retryBackoff({
      initialDelay: retry.initialDelay ?? 50,
      maxDelay: retry.maxDelay ?? 2_000,
      factor: retry.factor ?? 2,
      jitter: retry.jitter ?? 0.5,
      maxAttempts: maxAttempts - 1,
      shouldRetry: (error) => !stopped() && TRANSIENT.has(errorCode(error) ?? ''),
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
    }));
    try {
      await lastValueFrom(attempt$, { defaultValue: undefined });
    } catch (error) {
      throw new FailedAfter(error, attempts);
    }
    return attempts;
  };

  /**
   * The shared body of read and write: checks the segments, queues one task per segment in its
   * file's lane, and settles the subscriber when every task is done or the first one fails.
   */
  const run = <T>(
    root: string,
    segments: readonly Segment[],
    reading: boolean,
    perform: (storage: Storage, index: number, stopped: () => boolean) => Promise<void>,
    finish: () => T,
  ): Observable<T> => new Observable<T>((subscriber) => {
    if (closed) {
      subscriber.error(new DiskError({ kind: 'closed' }));
      return undefined;
    }
    const base = resolve(root);
    for (const segment of segments) {
      if (!fits(segment)) {
        subscriber.error(new DiskError({
          kind: 'out-of-range', path: join(base, ...segment.path),
          offset: segment.fileOffset, length: segment.length, fileLength: segment.fileLength,
        }));
        return undefined;
      }
    }
    const storage = storageFor(base);
    let stopped = false;
    const isStopped = (): boolean => stopped;
    let remaining = segments.length;
    const cancels = segments.map((segment, index) => queue.add(`${base}\0${segment.path.join('/')}`, reading, async () => {
      if (stopped) return;
      try {
        await perform(storage, index, isStopped);
      } catch (error) {
        stopped = true;
        subscriber.error(toDiskError(error, join(base, ...segment.path), reading, segment));
        return;
      }
      remaining -= 1;
      if (remaining === 0) {
        subscriber.next(finish());
        subscriber.complete();
      }
    }));
    if (segments.length === 0) {
      subscriber.next(finish());
      subscriber.complete();
    }
    return () => {
      stopped = true;
      for (const cancel of cancels) cancel();
    };
  });

  return {
    write: (request) => defer(() => {
      const segments = request.segments.map((segment) => ({ ...segment, length: segment.data.length }));
      const total = segments.reduce((sum, segment) => sum + segment.length, 0);
      let retries = 0;
      const write$ = run(request.root, segments, false, async (storage, index, stopped) => {
        const segment = segments[index];
        if (segment === undefined) return;
        const attempts = await withRetry(async () => {
          await storage.open(segment.path, segment.fileLength);
          await storage.write(segment.path, segment.fileOffset, segment.data);
        }, stopped);
        retries += attempts - 1;
      }, () => ({ torrentId: request.torrentId, bytes: total, retries }));
      pendingWriteBytes += total;
      return write$.pipe(finalize(() => {
        pendingWriteBytes -= total;
      }));
    }),
    read: (request) => defer(() => {
      const starts: number[] = [];
      let total = 0;
      for (const segment of request.segments) {
        starts.push(total);
        total += segment.length;
      }
      const buffer = new Uint8Array(total);
      return run(request.root, request.segments, true, async (storage, index, stopped) => {
        const segment = request.segments[index];
        const start = starts[index];
        if (segment === undefined || start === undefined) return;
        const into = buffer.subarray(start, start + segment.length);
        let got = 0;
        await withRetry(async () => {
          got = await storage.read(segment.path, segment.fileOffset, into);
        }, stopped);
        if (got < segment.length) throw new ShortRead(got);
      }, () => buffer);
    }),
    close: async () => {
      closed = true;
      await queue.idle();
      await Promise.all([...storages.values()].map((storage) => storage.closeAll()));
    },
    stats: () => ({ queued: queue.queued, running: queue.running, pendingWriteBytes }),
  };
}

function fits(segment: Segment): boolean {
  return Number.isSafeInteger(segment.fileOffset) && Number.isSafeInteger(segment.fileLength)
    && segment.fileOffset >= 0 && segment.length >= 0 && segment.fileOffset + segment.length <= segment.fileLength;
}

/** Carries the number of attempts from the retry loop to the error mapping. */
class FailedAfter extends Error {
  constructor(readonly original: unknown, readonly attempts: number) {
    super('disk operation failed');
  }
}

class ShortRead extends Error {
  constructor(readonly got: number) {
    super('short read');
  }
}

function toDiskError(error: unknown, path: string, reading: boolean, segment: Segment): DiskError {
  if (error instanceof ShortRead) {
    return new DiskError({ kind: 'missing-data', path, offset: segment.fileOffset, length: segment.length, got: error.got });
  }
  const attempts = error instanceof FailedAfter ? error.attempts : 1;
  const cause = error instanceof FailedAfter ? error.original : error;
  if (cause instanceof DiskError) return cause;
  const code = errorCode(cause) ?? 'UNKNOWN';
  if (FULL.has(code)) return new DiskError({ kind: 'disk-full', path });
  if (reading && (code === 'ENOENT' || code === 'ENOTDIR')) {
    return new DiskError({ kind: 'missing-data', path, offset: segment.fileOffset, length: segment.length, got: 0 });
  }
  return new DiskError({ kind: 'io', code, path, attempts });
}
