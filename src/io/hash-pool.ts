/**
 * SHA-1 of whole pieces, off the event loop.
 *
 * A fixed set of worker threads (one per core by default), started by `warm()` or else lazily on
 * the first job. Jobs wait in a FIFO queue while every worker is busy; each worker hashes one
 * piece at a time.
 *
 * Bytes reach a worker without serialising them:
 * - a piece that already lives on a `SharedArrayBuffer` (the client's `PieceBufferPool`, or
 *   {@link allocatePieceBuffer}) is shared with the worker as it is: no copy at all;
 * - any other piece is copied once, when its job starts, into that worker's shared scratch
 *   buffer (~0.07 ms per MiB on the event loop, against ~0.55 ms per MiB of SHA-1 in the
 *   worker). The caller's buffer is never transferred or detached.
 * Either way the caller must not change the bytes until the Observable has emitted.
 *
 * Lifecycle: a worker is `ref`'d only while it holds a job, so an idle pool never keeps the
 * process alive, and a pending hash does. `close()` terminates every worker.
 *
 * Measured against `crypto.subtle.digest` (libuv pool) and the other transports in docs/disk.md;
 * `engine: 'subtle'` keeps that alternative behind the same API.
 */
import { availableParallelism } from 'node:os';
import { webcrypto } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { Observable, map } from '../rx.js';
import { HashError } from './hash-error.js';
import { HASH_WORKER_SOURCE, type HashJobMessage, isHashResult } from './hash-worker.js';

export interface HashPool {
  /** Cold: subscribing queues the job, unsubscribing before it starts drops it. Emits the 20-byte digest. */
  sha1(data: Uint8Array): Observable<Uint8Array>;
  /** Emits whether SHA-1 of `data` equals `expected`. */
  verify(data: Uint8Array, expected: Uint8Array): Observable<boolean>;
  /**
   * Starts every worker now, if not yet running. A worker takes 70–80 ms to boot on idle cores
   * (≈ 80 ms of CPU on the bench VM), ≈ 0.3 s while a download shares the cores with its seeder;
   * warmed before, it is ready when the first piece is (docs/performance.md, round 13). No-op
   * after `close()` and for the `subtle` engine.
   */
  warm(): void;
  /** Terminates the workers; queued and running jobs error with `closed`, as do later ones. */
  close(): Promise<void>;
  /** A snapshot for back-pressure and tests. */
  stats(): HashPoolStats;
}

export interface HashPoolStats {
  /** Jobs waiting for a worker. */
  readonly queued: number;
  /** Jobs being hashed now. */
  readonly running: number;
  /** Live worker threads. */
  readonly workers: number;
  /** Jobs hashed since the pool was created. */
  readonly hashed: number;
}

export interface HashPoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  readonly size?: number;
  /** `workers` (default, measured faster and cheaper) or `subtle` (`crypto.subtle`, libuv's pool). */
  readonly engine?: 'workers' | 'subtle';
}

export function createHashPool(options: HashPoolOptions = {}): HashPool {
  const digest = options.engine === 'subtle'
    ? subtleDigest()
    : workerDigest(Math.max(1, Math.floor(options.size ?? availableParallelism())));
  return {
    sha1: digest.sha1,
    verify: (data, expected) => digest.sha1(data).pipe(map((actual) => equalBytes(actual, expected))),
    warm: digest.warm,
    close: digest.close,
    stats: digest.stats,
  };
}

/** A piece buffer on shared memory: the hash pool reads it without a copy. */
export function allocatePieceBuffer(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

/** Word size of V8's copies into shared memory; the scratch copy keeps the source's phase in it. */
const SCRATCH_ALIGN = 8;

interface Digest {
  sha1(data: Uint8Array): Observable<Uint8Array>;
  warm(): void;
  close(): Promise<void>;
  stats(): HashPoolStats;
}

interface Job {
  readonly data: Uint8Array;
  readonly done: (digest: Uint8Array) => void;
  readonly fail: (error: HashError) => void;
}

interface Slot {
  readonly worker: Worker;
  scratch: Uint8Array;
  job: Job | undefined;
  jobId: number;
}

function workerDigest(size: number): Digest {
  const queue = new Set<Job>();
  const slots = new Set<Slot>();
  let closed = false;
  let hashed = 0;
  let nextId = 0;

  const spawn = (): Slot => {
    const worker = new Worker(HASH_WORKER_SOURCE, { eval: true });
    const slot: Slot = { worker, scratch: new Uint8Array(0), job: undefined, jobId: 0 };
    worker.on('message', (message: unknown) => {
      const job = slot.job;
      slot.job = undefined;
      worker.unref();
      if (job !== undefined) {
        hashed += 1;
        if (isHashResult(message) && message.id === slot.jobId) job.done(message.digest);
        else job.fail(new HashError({ kind: 'worker-failed', reason: 'malformed reply' }));
      }
      pump();
    });
    const lose = (reason: string): void => {
      if (!slots.delete(slot)) return;
      const job = slot.job;
      slot.job = undefined;
      job?.fail(new HashError(closed ? { kind: 'closed' } : { kind: 'worker-failed', reason }));
      pump();
    };
    worker.on('error', (error: Error) => lose(error.message));
    worker.on('exit', (code: number) => lose(`exited with code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker's port again, and an idle
    // (warmed) worker must not keep the process alive.
    worker.unref();
    slots.add(slot);
    return slot;
  };

  const idleSlot = (): Slot | undefined => {
    for (const slot of slots) if (slot.job === undefined) return slot;
    return slots.size < size ? spawn() : undefined;
  };

  const start = (slot: Slot, job: Job): void => {
    let view = job.data;
    if (!(job.data.buffer instanceof SharedArrayBuffer)) {
      // V8 copies into shared memory word by word only when source and target share their
      // alignment, else byte by byte (4x slower for a piece at an odd offset): match it.
      const shift = job.data.byteOffset % SCRATCH_ALIGN;
      if (slot.scratch.length < job.data.length + shift) slot.scratch = allocatePieceBuffer(job.data.length + SCRATCH_ALIGN);
      view = slot.scratch.subarray(shift, shift + job.data.length);
      view.set(job.data);
    }
    nextId += 1;
    slot.job = job;
    slot.jobId = nextId;
    slot.worker.ref();
    const message: HashJobMessage = { id: nextId, data: view };
    slot.worker.postMessage(message);
  };

  const pump = (): void => {
    while (!closed && queue.size > 0) {
      const slot = idleSlot();
      if (slot === undefined) return;
      const job: Job | undefined = queue.values().next().value;
      if (job === undefined) return;
      queue.delete(job);
      start(slot, job);
    }
  };

  return {
    sha1: (data) => new Observable<Uint8Array>((subscriber) => {
      if (closed) {
        subscriber.error(new HashError({ kind: 'closed' }));
        return undefined;
      }
      const job: Job = {
        data,
        done: (digest) => {
          subscriber.next(digest);
          subscriber.complete();
        },
        fail: (error) => subscriber.error(error),
      };
      queue.add(job);
      pump();
      // A running job finishes in its worker; its result is then ignored.
      return () => queue.delete(job);
    }),
    warm: () => {
      while (!closed && slots.size < size) spawn();
    },
    close: async () => {
      closed = true;
      const error = new HashError({ kind: 'closed' });
      const queued = [...queue];
      queue.clear();
      for (const job of queued) job.fail(error);
      await Promise.all([...slots].map((slot) => slot.worker.terminate()));
    },
    stats: () => {
      let running = 0;
      for (const slot of slots) if (slot.job !== undefined) running += 1;
      return { queued: queue.size, running, workers: slots.size, hashed };
    },
  };
}

function subtleDigest(): Digest {
  let closed = false;
  let running = 0;
  let hashed = 0;
  return {
    sha1: (data) => new Observable<Uint8Array>((subscriber) => {
      if (closed) {
        subscriber.error(new HashError({ kind: 'closed' }));
        return undefined;
      }
      running += 1;
      webcrypto.subtle.digest('SHA-1', data).then(
        (digest) => {
          running -= 1;
          hashed += 1;
          subscriber.next(new Uint8Array(digest));
          subscriber.complete();
        },
        (error: unknown) => {
          running -= 1;
          subscriber.error(new HashError({ kind: 'digest-failed', reason: String(error) }));
        },
      );
      return undefined;
    }),
    warm: () => undefined,
    close: () => {
      closed = true;
      return Promise.resolve();
    },
    stats: () => ({ queued: 0, running, workers: 0, hashed }),
  };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
