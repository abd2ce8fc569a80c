import { availableParallelism } from 'node:os';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { Observable } from '../rx.js';
import { buildMetainfo, choosePieceLength, DEFAULT_METAINFO_LIMITS, safePath } from '../metainfo/index.js';
import type { Metainfo } from '../metainfo/index.js';
import { parseTorrent } from './read-torrent.js';

export interface CreateTorrentOptions {
  /** Tracker tiers (BEP 12); the first URL also becomes `announce`. */
  readonly trackers?: readonly (readonly string[])[];
  /** Default: `choosePieceLength(total)` (a power of two, 16 KiB–16 MiB). */
  readonly pieceLength?: number;
  readonly private?: boolean;
  readonly comment?: string;
  /** Default `rxtorrent`. */
  readonly createdBy?: string;
  /** Default: the base name of `path`. */
  readonly name?: string;
  readonly urlList?: readonly string[];
  /** Seconds since the epoch; default now; `null` leaves the field out. */
  readonly creationDate?: number | null;
}

export type CreateTorrentEvent =
  | { readonly type: 'progress'; readonly hashedBytes: number; readonly totalBytes: number }
  | { readonly type: 'done'; readonly torrent: Uint8Array; readonly metainfo: Metainfo };

export type CreateTorrentErrorDetail =
  | { readonly kind: 'not-found'; readonly path: string }
  | { readonly kind: 'not-a-file-or-folder'; readonly path: string }
  | { readonly kind: 'empty'; readonly path: string }
  | { readonly kind: 'unsafe-name'; readonly path: string }
  | { readonly kind: 'bad-piece-length'; readonly pieceLength: number }
  | { readonly kind: 'too-many-files'; readonly count: number; readonly max: number }
  | { readonly kind: 'file-changed'; readonly path: string }
  | { readonly kind: 'read-failed'; readonly path: string; readonly reason: string };

export class CreateTorrentError extends Error {
  override readonly name = 'CreateTorrentError';

  constructor(readonly detail: CreateTorrentErrorDetail) {
    super(describe(detail));
  }
}

function describe(detail: CreateTorrentErrorDetail): string {
  switch (detail.kind) {
    case 'not-found':
      return `create: no such file or folder ${JSON.stringify(detail.path)}`;
    case 'not-a-file-or-folder':
      return `create: ${JSON.stringify(detail.path)} is neither a file nor a folder`;
    case 'empty':
      return `create: ${JSON.stringify(detail.path)} holds no data (total size 0)`;
    case 'unsafe-name':
      return `create: ${JSON.stringify(detail.path)} has a name a torrent cannot carry`;
    case 'bad-piece-length':
      return `create: piece length ${detail.pieceLength} is not a positive integer up to 256 MiB`;
    case 'too-many-files':
      return `create: ${detail.count} files, more than the limit of ${detail.max}`;
    case 'file-changed':
      return `create: ${JSON.stringify(detail.path)} changed size while it was hashed`;
    case 'read-failed':
      return `create: cannot read ${JSON.stringify(detail.path)}: ${detail.reason}`;
  }
}

/**
 * Hashes a file or a folder into a `.torrent`. Cold: subscribing starts the work, unsubscribing
 * stops it and closes the open file.
 *
 * ```
 * createTorrent('data/') : --p--p--p--(d|)
 * ```
 *
 * A folder is walked recursively and its files sorted by their `/`-joined UTF-8 path bytes (as
 * mktorrent does); hidden and zero-length files are included; symbolic links and special files
 * inside it are skipped, never followed (the `path` argument itself is followed). Data is
 * streamed one piece at a time; SHA-1 runs on the libuv thread pool (`crypto.subtle.digest`),
 * with at most one batch (`max(pieceLength, 1 MiB)`) in flight per core, so memory stays
 * under `cores × max(pieceLength, 1 MiB)`.
 * `progress` is emitted at most every 100 ms and once at 100 %; `done` comes last.
 */
export function createTorrent(path: string, options: CreateTorrentOptions = {}): Observable<CreateTorrentEvent> {
  return new Observable<CreateTorrentEvent>((subscriber) => {
    const abort = new AbortController();
    const emit = (event: CreateTorrentEvent): void => {
      if (!abort.signal.aborted) subscriber.next(event);
    };
    run(path, options, abort.signal, emit).then(
      () => subscriber.complete(),
      (error: unknown) => {
        if (!abort.signal.aborted) subscriber.error(error);
      },
    );
    return () => abort.abort();
  });
}

interface SourceFile {
  readonly absolute: string;
  readonly segments: readonly string[];
  readonly length: number;
}

const PROGRESS_INTERVAL_MS = 100;

async function run(
  path: string,
  options: CreateTorrentOptions,
  signal: AbortSignal,
  emit: (event: CreateTorrentEvent) => void,
): Promise<void> {
  const name = options.name ?? basename(resolve(path));
  if (!safePath([name]).ok) throw new CreateTorrentError({ kind: 'unsafe-name', path: name });
  const { files, singleFile } = await listFiles(path);
  const maxFiles = DEFAULT_METAINFO_LIMITS.maxFiles;
  if (files.length > maxFiles) throw new CreateTorrentError({ kind: 'too-many-files', count: files.length, max: maxFiles });
  const totalBytes = files.reduce((sum, file) => sum + file.length, 0);
  if (totalBytes === 0) throw new CreateTorrentError({ kind: 'empty', path });
  const pieceLength = options.pieceLength ?? choosePieceLength(totalBytes);
  if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0 || pieceLength > DEFAULT_METAINFO_LIMITS.maxPieceLength) {
    throw new CreateTorrentError({ kind: 'bad-piece-length', pieceLength });
  }
  let lastProgress = 0;
  const pieceHashes = await hashPieces(files, totalBytes, pieceLength, signal, (hashedBytes) => {
    const now = Date.now();
    if (hashedBytes === totalBytes || now - lastProgress >= PROGRESS_INTERVAL_MS) {
      lastProgress = now;
      emit({ type: 'progress', hashedBytes, totalBytes });
    }
  });
  if (signal.aborted) return;
  const creationDate = options.creationDate === undefined ? Math.floor(Date.now() / 1000) : options.creationDate;
  const torrent = buildMetainfo({
    name,
    files: files.map((file) => ({ path: file.segments, length: file.length })),
    singleFile,
    pieceLength,
    pieceHashes,
    announce: options.trackers ?? [],
    private: options.private ?? false,
    createdBy: options.createdBy ?? 'rxtorrent',
    ...(options.comment === undefined ? {} : { comment: options.comment }),
    ...(creationDate === null ? {} : { creationDate }),
    ...(options.urlList === undefined ? {} : { urlList: options.urlList }),
  });
  emit({ type: 'done', torrent, metainfo: parseTorrent(torrent) });
}

async function listFiles(path: string): Promise<{ files: SourceFile[]; singleFile: boolean }> {
  const top = await stat(path).catch((error: unknown) => {
    throw ioError(path, error);
  });
  if (top.isFile()) return { files: [{ absolute: path, segments: [], length: top.size }], singleFile: true };
  if (!top.isDirectory()) throw new CreateTorrentError({ kind: 'not-a-file-or-folder', path });
  const files: SourceFile[] = [];
  // An explicit stack, not recursion: folder depth is whatever the disk holds.
  const pending: { absolute: string; segments: readonly string[] }[] = [{ absolute: path, segments: [] }];
  for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) {
    const entries = await readdir(folder.absolute, { withFileTypes: true }).catch((error: unknown) => {
      throw ioError(folder.absolute, error);
    });
    for (const entry of entries) {
      const absolute = join(folder.absolute, entry.name);
      const segments = [...folder.segments, entry.name];
      if (!safePath(segments).ok) throw new CreateTorrentError({ kind: 'unsafe-name', path: absolute });
      if (entry.isDirectory()) pending.push({ absolute, segments });
      else if (entry.isFile()) {
        const info = await lstat(absolute).catch((error: unknown) => {
          throw ioError(absolute, error);
        });
        files.push({ absolute, segments, length: info.size });
      }
    }
  }
  const keyed = files.map((file) => ({ file, key: Buffer.from(file.segments.join('/'), 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return { files: keyed.map(({ file }) => file), singleFile: false };
}

/** Bytes read per `read` call at least: small pieces are read (not hashed) in batches. */
const READ_BATCH_BYTES = 1024 * 1024;

/**
 * Reads the files as one stream of pieces and hashes each on the thread pool. At most one batch
 * per core is in flight (each `max(pieceLength, 1 MiB)` rounded to whole pieces).
 */
async function hashPieces(
  files: readonly SourceFile[],
  totalBytes: number,
  pieceLength: number,
  signal: AbortSignal,
  onHashed: (hashedBytes: number) => void,
): Promise<Uint8Array> {
  const pieceCount = Math.ceil(totalBytes / pieceLength);
  const hashes = new Uint8Array(pieceCount * 20);
  const piecesPerBatch = Math.max(1, Math.floor(READ_BATCH_BYTES / pieceLength));
  const batchCount = Math.ceil(pieceCount / piecesPerBatch);
  const slots = Math.max(1, Math.min(availableParallelism(), batchCount));
  const free: Uint8Array[] = [];
  const bufferSize = Math.min(piecesPerBatch * pieceLength, totalBytes);
  for (let i = 0; i < slots; i += 1) free.push(new Uint8Array(bufferSize));
  const inFlight = new Set<Promise<void>>();
  const reader = new ConcatReader(files);
  let hashedBytes = 0;
  try {
    for (let first = 0; first < pieceCount && !signal.aborted; first += piecesPerBatch) {
      while (free.length === 0) await Promise.race(inFlight);
      const buffer = free.pop() ?? new Uint8Array(bufferSize);
      const length = Math.min(piecesPerBatch * pieceLength, totalBytes - first * pieceLength);
      await reader.fill(buffer.subarray(0, length), signal);
      if (signal.aborted) break;
      const digests: Promise<void>[] = [];
      for (let at = 0; at < length; at += pieceLength) {
        const index = first + at / pieceLength;
        const piece = buffer.subarray(at, Math.min(length, at + pieceLength));
        digests.push(
          webcrypto.subtle.digest('SHA-1', piece).then((digest) => {
            hashes.set(new Uint8Array(digest), index * 20);
            hashedBytes += piece.length;
            onHashed(hashedBytes);
          }),
        );
      }
      const job = Promise.all(digests).then(() => {
        free.push(buffer);
        inFlight.delete(job);
      });
      inFlight.add(job);
    }
    await Promise.all(inFlight);
  } finally {
    await reader.close();
  }
  return hashes;
}

/** Reads consecutive byte ranges of the concatenated files, one open file at a time. */
class ConcatReader {
  private fileIndex = 0;
  private fileOffset = 0;
  private handle: FileHandle | undefined;

  constructor(private readonly files: readonly SourceFile[]) {}

  async fill(target: Uint8Array, signal: AbortSignal): Promise<void> {
    let filled = 0;
    while (filled < target.length && !signal.aborted) {
      const file = this.files[this.fileIndex];
      if (file === undefined) throw new CreateTorrentError({ kind: 'file-changed', path: this.files.at(-1)?.absolute ?? '' });
      if (this.fileOffset >= file.length) {
        await this.close();
        this.fileIndex += 1;
        this.fileOffset = 0;
        continue;
      }
      this.handle ??= await open(file.absolute, 'r').catch((error: unknown) => {
        throw ioError(file.absolute, error);
      });
      const want = Math.min(target.length - filled, file.length - this.fileOffset);
      const { bytesRead } = await this.handle.read(target, filled, want, this.fileOffset).catch((error: unknown) => {
        throw ioError(file.absolute, error);
      });
      if (bytesRead === 0) throw new CreateTorrentError({ kind: 'file-changed', path: file.absolute });
      filled += bytesRead;
      this.fileOffset += bytesRead;
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

function ioError(path: string, error: unknown): CreateTorrentError {
  if (error instanceof CreateTorrentError) return error;
  const code = error instanceof Error && 'code' in error ? String(error.code) : undefined;
  if (code === 'ENOENT') return new CreateTorrentError({ kind: 'not-found', path });
  return new CreateTorrentError({ kind: 'read-failed', path, reason: error instanceof Error ? error.message : String(error) });
}
