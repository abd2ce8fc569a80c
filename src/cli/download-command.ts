/**
 * `rxtorrent download` and the run that `seed` shares with it: read the torrents, start one
 * client, `add` each torrent, merge their event streams into one view, stop on SIGINT/SIGTERM.
 *
 * The wiring is thin on purpose: what the user sees is a pure function of the events
 * (`plain-view.ts`, `progress-view.ts`, `json-view.ts`); this file only decides which view,
 * when to stop, and the exit code.
 *
 * Stopping: the first SIGINT/SIGTERM unsubscribes every torrent (the client's graceful stop) and
 * awaits `client.close()`; a second one ends the process at once. One torrent's fatal error (or
 * a stream that fails or ends early) stops that torrent only.
 */
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EMPTY, Observable, ReplaySubject, catchError, concatWith, defer, interval, merge, of, takeUntil, tap } from '../rx.js';
import type { Subscription } from '../rx.js';
import { createClient } from '../client/create-client.js';
import type { TorrentEvent } from '../client/torrent-events.js';
import type { HashPool } from '../io/hash-pool.js';
import { readTorrentFile } from '../io/read-torrent.js';
import type { Metainfo } from '../metainfo/metainfo.js';
import { CliError, UsageError, describeError } from './cli-error.js';
import { createJsonView } from './json-view.js';
import { parsePeers } from './parse-peer.js';
import { createPlainView } from './plain-view.js';
import type { EventView } from './plain-view.js';
import { createProgressView } from './progress-view.js';

/** The options `download` and `seed` share. */
export interface SwarmArgs {
  readonly torrents: readonly string[];
  readonly port: number;
  /** Address to listen on; default all interfaces. */
  readonly host?: string;
  readonly peer: readonly string[];
  readonly maxPeers: number;
  /** Write pieces past the page cache (`O_DIRECT`); default true. */
  readonly directIo?: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
}

export interface DownloadArgs extends SwarmArgs {
  readonly out: string;
  readonly seed: boolean;
}

export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface TorrentRunIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Default: the process's SIGINT and SIGTERM, listened to only while the run lasts. */
  readonly signals?: Observable<StopSignal>;
  /** Default: `Date.now`. */
  readonly now?: () => number;
  /** Ends the process at once on a second signal; default `process.exit`. */
  readonly exit?: (code: number) => void;
  /** The hash pool for the client (`ClientOptions.hashPool`); default the client's own. */
  readonly hashPool?: HashPool;
}

/** What `download` and `seed` both run. */
export interface TorrentRun extends SwarmArgs {
  readonly command: 'download' | 'seed';
  /** The folder the content is written to or read from. */
  readonly dir: string;
  readonly seed: boolean;
}

const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Exit codes: 0 all done, 1 a torrent failed, 130/143 stopped by SIGINT/SIGTERM before done. */
export function runDownload(args: DownloadArgs, io: TorrentRunIo): Promise<number> {
  return runTorrents({ ...args, command: 'download', dir: args.out }, io);
}

export async function runTorrents(run: TorrentRun, io: TorrentRunIo): Promise<number> {
  if (!Number.isInteger(run.port) || run.port < 0 || run.port > 65_535) {
    throw new UsageError('--port must be a whole number from 0 to 65535 (0: any free port)');
  }
  if (!Number.isInteger(run.maxPeers) || run.maxPeers < 1) {
    throw new UsageError('--max-peers must be a whole number of at least 1');
  }
  if (run.json && run.quiet) throw new UsageError('--json and --quiet do not go together');
  const peers = parsePeers(run.peer);
  const torrents = await readTorrents(run.torrents);
  const dir = resolve(run.dir);
  await prepareDir(dir, run.command);

  const now = io.now ?? Date.now;
  const start = now();
  const view = chooseView(run, io, torrents, start);
  const client = createClient({
    port: run.port, maxPeersPerTorrent: run.maxPeers, directWrites: run.directIo ?? true, ...(run.host ? { host: run.host } : {}),
    ...(io.hashPool ? { hashPool: io.hashPool } : {}),
  });
  const done = new Set<string>();
  const failed = new Set<string>();
  let broken = false;
  let stoppedBy: StopSignal | undefined;
  const stop$ = new ReplaySubject<void>(1);
  let viewFinished = false;
  const finishView = (): void => {
    if (!viewFinished) view.finish(now());
    viewFinished = true;
  };
  const noteLate = (message: string): void => {
    if (!viewFinished) view.note(message);
  };
  client.listening.then(
    (port) => noteLate(`listening on port ${port}`),
    (error: unknown) => noteLate(`not listening for peers: ${describeError(error)}`),
  );
  const code = (): number => exitCode(run.command, stoppedBy, failed.size > 0 || broken, done.size >= torrents.length);
  const signals = (io.signals ?? processSignals()).subscribe({
    next: (signal) => {
      if (stoppedBy !== undefined) {
        finishView();
        (io.exit ?? ((status: number) => process.exit(status)))(code());
        return;
      }
      stoppedBy = signal;
      view.note(`stopping (${signal}); again to quit at once`);
      stop$.next();
    },
    error: (error: unknown) => view.note(`rxtorrent: signals: ${describeError(error)}`),
  });
  const ticker = interval(200).subscribe({
    next: () => view.tick(now()),
    error: (error: unknown) => view.note(`rxtorrent: ${describeError(error)}`),
  });

  let events: Subscription | undefined;
  try {
    await new Promise<void>((settle) => {
      const runs = torrents.map((meta) => supervised(meta, () => client.add(meta, { dir, peers, seed: run.seed })));
      events = merge(...runs).pipe(takeUntil(stop$)).subscribe({
        next: (event) => {
          if (event.type === 'done') done.add(event.infoHash);
          if (event.type === 'error' && event.fatal) failed.add(event.infoHash);
          if (!viewFinished) view.update(event, now());
        },
        // `supervised` turns every torrent's error into an event; this is a last resort.
        error: (error: unknown) => {
          broken = true;
          view.note(`rxtorrent: ${describeError(error)}`);
          settle();
        },
        complete: () => settle(),
      });
    });
    try {
      await client.close();
    } catch (error) {
      broken = true;
      view.note(`rxtorrent: closing the client: ${describeError(error)}`);
    }
  } finally {
    events?.unsubscribe();
    ticker.unsubscribe();
    finishView();
    signals.unsubscribe();
  }
  return code();
}

/** Stopping a seed, or a download that has finished, is success; else the signal's code. */
export function exitCode(
  command: TorrentRun['command'], stoppedBy: StopSignal | undefined, failed: boolean, allDone: boolean,
): number {
  if (failed) return 1;
  if (stoppedBy === undefined || command === 'seed' || allDone) return 0;
  return SIGNAL_EXIT[stoppedBy];
}

/**
 * A torrent's events, with the ways a stream could break the contract (throwing, erroring,
 * completing without `done`) turned into a fatal `error` event of that torrent.
 */
function supervised(meta: Metainfo, start: () => Observable<TorrentEvent>): Observable<TorrentEvent> {
  return defer(() => {
    let ended = false;
    const fatal = (message: string): TorrentEvent => ({ type: 'error', infoHash: meta.infoHashHex, message, fatal: true });
    return defer(start).pipe(
      tap((event) => {
        if (event.type === 'done' || (event.type === 'error' && event.fatal)) ended = true;
      }),
      catchError((error: unknown) => {
        ended = true;
        return of(fatal(describeError(error)));
      }),
      concatWith(defer(() => (ended ? EMPTY : of(fatal('stopped before it finished'))))),
    );
  });
}

async function readTorrents(paths: readonly string[]): Promise<Metainfo[]> {
  const torrents: Metainfo[] = [];
  const seen = new Map<string, string>();
  for (const path of paths) {
    const meta = await readTorrentFile(path);
    const first = seen.get(meta.infoHashHex);
    if (first !== undefined) throw new UsageError(`${path} and ${first} are the same torrent (${meta.infoHashHex})`);
    seen.set(meta.infoHashHex, path);
    torrents.push(meta);
  }
  return torrents;
}

/** A download may create its folder; a seed needs the folder that holds the content. */
async function prepareDir(dir: string, command: TorrentRun['command']): Promise<void> {
  if (command === 'download') {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new CliError(`cannot create ${dir}: ${describeError(error)}`);
    }
    return;
  }
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) throw new CliError(`--dir ${dir} is not a folder`);
}

/** `--json` wins; then `--quiet`; then bars on a terminal, lines elsewhere. Human text goes to stderr. */
function chooseView(run: TorrentRun, io: TorrentRunIo, torrents: readonly Metainfo[], start: number): EventView {
  const labels = torrents.map((meta) => ({ infoHash: meta.infoHashHex, name: meta.name }));
  const toStderr = (text: string): void => {
    io.stderr.write(text);
  };
  if (run.json) return createJsonView((text) => io.stdout.write(text));
  if (run.quiet) return createPlainView({ torrents: labels, write: toStderr, start, quiet: true });
  if (io.stderr.isTTY === true) {
    return createProgressView({ torrents: labels, write: toStderr, start, columns: () => io.stderr.columns || 80 }); // 0 when the terminal reports no size
  }
  return createPlainView({ torrents: labels, write: toStderr, start });
}

function processSignals(): Observable<StopSignal> {
  return new Observable<StopSignal>((subscriber) => {
    const onInt = (): void => subscriber.next('SIGINT');
    const onTerm = (): void => subscriber.next('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    return () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  });
}
