/**
 * `rxtorrent demo`: a whole swarm on 127.0.0.1, start to finish, in one command.
 *
 *   1. sample data: a folder of a few deterministic files (`demo-data.ts`);
 *   2. a tracker (`startTrackerServer`) and a torrent of the folder announcing to it;
 *   3. N seeders, each a child process `rxtorrent seed … --json` (`demo-seeders.ts`), ready once
 *      each reports `seeding` and the tracker lists them all;
 *   4. the download, through the very function `rxtorrent download` runs (`runDownload`), so the
 *      user sees the usual bars / lines / JSON; it finds the seeders through the tracker only;
 *   5. a SHA-256 comparison of every downloaded file with the sample data;
 *   6. teardown, also on failure and Ctrl-C (`demo-session.ts`): seeders get SIGTERM and are
 *      waited for, the tracker closes, the temp folder goes (unless `--keep` or `--dir`).
 *
 * Step lines go to stderr; the result line to stdout (with `--json`: stdout carries the
 * download's events plus `demo-seeders`, `demo-verified` and `demo-stopped` lines, and the
 * result line goes to stderr).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTorrent } from '../io/create-torrent.js';
import { startTrackerServer } from '../io/tracker-server.js';
import type { RunningTrackerServer } from '../io/tracker-server.js';
import type { Metainfo } from '../metainfo/metainfo.js';
import { CliError, UsageError, describeError } from './cli-error.js';
import { DEMO_NAME, demoLayout, describeMismatch, verifyDemoData, writeDemoData } from './demo-data.js';
import { startSeeder } from './demo-seeders.js';
import type { Seeder, SeederExit } from './demo-seeders.js';
import { openDemoSession, removeNow, signalExitCode } from './demo-session.js';
import type { DemoSession } from './demo-session.js';
import { runDownload } from './download-command.js';
import type { TorrentRunIo } from './download-command.js';
import { formatBytes } from './format.js';

export interface DemoArgs {
  /** MiB of sample data. */
  readonly size: number;
  readonly seeders: number;
  /** Work folder (kept); default a temp folder (removed unless `keep`). */
  readonly dir?: string;
  readonly keep: boolean;
  readonly json: boolean;
}

/** The demo's own JSON lines (with `--json`), besides the download's `TorrentEvent`s. */
export type DemoEvent =
  | {
      readonly type: 'demo-seeders'; readonly infoHash: string; readonly tracker: string;
      readonly pids: readonly number[];
      /** The ports the tracker lists for the torrent (the seeders picked them; not in pid order). */
      readonly ports: readonly number[];
    }
  | {
      readonly type: 'demo-verified'; readonly infoHash: string; readonly files: number; readonly bytes: number;
      readonly seconds: number; readonly megabytesPerSecond: number;
    }
  | {
      readonly type: 'demo-stopped'; readonly infoHash: string;
      readonly seeders: readonly { readonly pid: number; readonly code: number | null; readonly signal: string | null;
        readonly uploaded: number }[];
    };

// Two levels up from src/cli, dist/cli and the CLI's bundle (dist/cli/rxtorrent.mjs) alike.
const BIN = fileURLToPath(new URL('../../bin/rxtorrent', import.meta.url));
const MAX_SEEDERS = 16;
const MAX_SIZE_MIB = 16_384;
const STOP_GRACE_MS = 10_000;
const TRACKER_WAIT_MS = 15_000;
/** Seeders report their upload count about every second; wait that long for a fresh one. */
const UPLOAD_REPORT_MS = 1_500;

export async function runDemo(args: DemoArgs, io: TorrentRunIo): Promise<number> {
  if (!Number.isFinite(args.size) || args.size <= 0 || args.size > MAX_SIZE_MIB) {
    throw new UsageError(`--size must be a number of MiB above 0 and at most ${MAX_SIZE_MIB}`);
  }
  if (!Number.isInteger(args.seeders) || args.seeders < 1 || args.seeders > MAX_SEEDERS) {
    throw new UsageError(`--seeders must be a whole number from 1 to ${MAX_SEEDERS}`);
  }
  const step = (text: string): void => {
    io.stderr.write(`▸ ${text}\n`);
  };
  const emit = (event: DemoEvent): void => {
    if (args.json) io.stdout.write(`${JSON.stringify(event)}\n`);
  };
  const work = await openWorkFolder(args.dir);
  const removeWork = args.dir === undefined && !args.keep;
  const session = openDemoSession();
  if (removeWork) session.onExit(() => removeNow(work));
  const seeders: Seeder[] = [];
  let tracker: RunningTrackerServer | undefined;
  let uploads: number[] | undefined;
  let infoHash = '';
  let failure: unknown;
  let code = 0;
  try {
    const files = demoLayout(args.size);
    const total = files.reduce((sum, file) => sum + file.length, 0);
    const data = join(work, 'data');
    step(`generating ${formatBytes(total)} of sample data (${files.length} files) in ${work} …`);
    const written = await writeDemoData(join(data, DEMO_NAME), files, session.abort);

    tracker = await startTrackerServer({ host: '127.0.0.1', port: 0 });
    step(`tracker on http://127.0.0.1:${tracker.port}`);
    const torrentPath = join(work, `${DEMO_NAME}.torrent`);
    const meta = await makeTorrent(join(data, DEMO_NAME), tracker.url, torrentPath, session.abort);
    infoHash = meta.infoHashHex;
    step(`torrent ${meta.name}: ${meta.pieceCount} pieces of ${formatBytes(meta.pieceLength)}, info hash ${infoHash}`);

    step(`starting ${args.seeders} seeder${args.seeders === 1 ? '' : 's'} (rxtorrent seed, child processes) …`);
    for (let index = 0; index < args.seeders; index += 1) {
      const seeder = startSeeder({
        bin: BIN, torrent: torrentPath, dir: data, abort: session.abort,
        readyTimeoutMs: 30_000 + Math.ceil(args.size) * 500,
      });
      seeders.push(seeder);
      session.onExit(() => seeder.signalNow());
    }
    await Promise.all(seeders.map((seeder) => seeder.ready));
    const ports = await waitForAnnounces(tracker, infoHash, seeders.length, session.abort);
    step(`${seeders.length} seeder${seeders.length === 1 ? '' : 's'} ready (pids ${seeders.map((s) => s.pid).join(', ')}; ` +
      `the tracker lists ports ${ports.join(', ')})`);
    emit({ type: 'demo-seeders', infoHash, tracker: tracker.url, pids: seeders.map((seeder) => seeder.pid), ports });

    step(`downloading into ${join(work, 'download')} (peers from the tracker only) …`);
    const started = Date.now();
    session.setDownloading(true);
    const downloaded = await runDownload({
      torrents: [torrentPath], out: join(work, 'download'), port: 0, host: '127.0.0.1', peer: [], maxPeers: 50,
      seed: false, json: args.json, quiet: false,
    }, { stdout: io.stdout, stderr: io.stderr, signals: session.signals, exit: session.quit });
    session.setDownloading(false);
    const seconds = (Date.now() - started) / 1000;
    session.abort.throwIfAborted();
    if (downloaded !== 0) throw new CliError(`demo: the download failed (exit code ${downloaded})`);

    step('verifying (SHA-256 of every file) …');
    const mismatches = await verifyDemoData(join(work, 'download', DEMO_NAME), written, session.abort);
    const [first] = mismatches;
    if (first !== undefined) {
      const more = mismatches.length > 1 ? ` (and ${mismatches.length - 1} more)` : '';
      throw new CliError(`demo: not identical: ${describeMismatch(first)}${more}`);
    }
    const rate = total / 1e6 / Math.max(seconds, 0.001);
    const line = `verified: ${written.length} files, ${(total / 1024 ** 2).toFixed(2)} MiB, identical ` +
      `(downloaded in ${seconds.toFixed(2)} s, ${rate.toFixed(1)} MB/s, from ${seeders.length} seeder${seeders.length === 1 ? '' : 's'})`;
    (args.json ? io.stderr : io.stdout).write(`${line}\n`);
    uploads = await Promise.all(seeders.map((seeder) => seeder.nextUploaded(UPLOAD_REPORT_MS)));
    emit({ type: 'demo-verified', infoHash, files: written.length, bytes: total, seconds, megabytesPerSecond: rate });
  } catch (error) {
    failure = error;
  } finally {
    session.setDownloading(false);
    code = await tearDown({ seeders, uploads, tracker, work, removeWork, infoHash, step, emit });
    session.close();
  }
  const stoppedBy = session.stoppedBy();
  if (stoppedBy !== undefined) {
    io.stderr.write(`rxtorrent: demo interrupted (${stoppedBy})\n`);
    return signalExitCode(stoppedBy);
  }
  if (failure !== undefined) throw failure;
  if (code !== 0) throw new CliError('demo: the swarm did not shut down cleanly (see above)');
  return 0;
}

interface TearDown {
  readonly seeders: readonly Seeder[];
  /** Each seeder's upload count after a verified download (not asked for after a failure). */
  readonly uploads: readonly number[] | undefined;
  readonly tracker: RunningTrackerServer | undefined;
  readonly work: string;
  readonly removeWork: boolean;
  readonly infoHash: string;
  readonly step: (text: string) => void;
  readonly emit: (event: DemoEvent) => void;
}

/** Stops everything the demo started, in reverse; resolves 1 when something did not stop cleanly. */
async function tearDown(state: TearDown): Promise<number> {
  let code = 0;
  if (state.seeders.length > 0) {
    const uploads = state.uploads ?? state.seeders.map((seeder) => seeder.uploaded());
    const uploaded = state.uploads === undefined ? '' : `; they uploaded ${uploads.map((bytes) => formatBytes(bytes)).join(', ')}`;
    state.step(`stopping ${state.seeders.length} seeder${state.seeders.length === 1 ? '' : 's'} (SIGTERM)${uploaded} …`);
    const exits = await Promise.all(state.seeders.map((seeder) => seeder.stop(STOP_GRACE_MS)));
    for (const exit of exits) {
      const problem = describeExit(exit);
      if (problem !== undefined) {
        state.step(`seeder ${exit.pid} ${problem}`);
        code = 1;
      }
    }
    if (code === 0) state.step('seeders stopped');
    if (state.infoHash !== '') {
      state.emit({ type: 'demo-stopped', infoHash: state.infoHash, seeders: exits.map((exit, index) => ({
        pid: exit.pid, code: exit.code, signal: exit.signal, uploaded: uploads[index] ?? 0 })) });
    }
  }
  if (state.tracker !== undefined) {
    try {
      await state.tracker.close();
    } catch (error) {
      state.step(`closing the tracker: ${describeError(error)}`);
      code = 1;
    }
  }
  if (state.removeWork) {
    try {
      await rm(state.work, { recursive: true, force: true });
      state.step(`removed ${state.work}`);
    } catch (error) {
      state.step(`cannot remove ${state.work}: ${describeError(error)}`);
      code = 1;
    }
  } else {
    state.step(`kept ${state.work}`);
  }
  return code;
}

/** Why a seeder's exit was not the clean one SIGTERM asks for (`seed` exits 0), if it was not. */
function describeExit(exit: SeederExit): string | undefined {
  if (exit.forced) return `ignored SIGTERM for ${STOP_GRACE_MS / 1000} s and was killed`;
  if (exit.code === 0) return undefined;
  return exit.signal !== null ? `ended by ${exit.signal}` : `exited with code ${String(exit.code)}`;
}

/** A fresh temp folder, or `dir` made if missing; a given folder must be empty. */
async function openWorkFolder(dir: string | undefined): Promise<string> {
  if (dir === undefined) return mkdtemp(join(tmpdir(), 'rxtorrent-demo-'));
  const path = resolve(dir);
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    throw new CliError(`cannot create ${path}: ${describeError(error)}`);
  }
  if ((await readdir(path)).length > 0) throw new UsageError(`--dir ${path} is not empty`);
  return path;
}

/** Hashes `source` into `output`; unsubscribes (stopping the hashing) when `abort` fires. */
async function makeTorrent(source: string, tracker: string, output: string, abort: AbortSignal): Promise<Metainfo> {
  const created = await new Promise<{ readonly torrent: Uint8Array; readonly metainfo: Metainfo }>((done, fail) => {
    const onAbort = (): void => {
      subscription.unsubscribe();
      fail(abort.reason);
    };
    const subscription = createTorrent(source, {
      trackers: [[tracker]], createdBy: 'rxtorrent/0.1.0 demo', comment: 'rxtorrent demo sample data',
    }).subscribe({
      next: (event) => {
        if (event.type === 'done') done(event);
      },
      error: (error: unknown) => fail(error),
      complete: () => fail(new CliError('demo: creating the torrent ended without a result')),
    });
    if (abort.aborted) onAbort();
    else abort.addEventListener('abort', onAbort, { once: true });
    subscription.add(() => abort.removeEventListener('abort', onAbort));
  });
  await writeFile(output, created.torrent);
  return created.metainfo;
}

/** Resolves with the ports the tracker lists for `infoHash` once it lists `count` peers. */
async function waitForAnnounces(
  tracker: RunningTrackerServer, infoHash: string, count: number, abort: AbortSignal,
): Promise<number[]> {
  const deadline = Date.now() + TRACKER_WAIT_MS;
  for (;;) {
    abort.throwIfAborted();
    const peers = tracker.peers(infoHash);
    if (peers.length >= count) return peers.map((peer) => peer.port);
    if (Date.now() > deadline) {
      throw new CliError(`demo: the tracker lists ${peers.length} of ${count} seeders after ${TRACKER_WAIT_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
