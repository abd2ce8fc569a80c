/**
 * The clients the bench runs, as seeders and as leechers, all on 127.0.0.1 with fresh ports.
 *
 * Leechers that exit when complete (rxtorrent, aria2c, libtorrent, WebTorrent) run under bench/rusage.py;
 * transmission-daemon is a fresh daemon per run, measured from /proc. transmission never dials
 * loopback peers, so as a leecher it is added and announced *before* the seeders start: their
 * first announce names it and they dial it (rxtorrent from the tracker, libtorrent from the
 * tracker and `connect_peer`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { aria2Args } from '../test/support/aria2.js';
import { freePort } from '../test/support/ports.js';
import { startTransmission, waitForListener } from '../test/support/transmission.js';
import type { RunningTransmission } from '../test/support/transmission.js';
import { procCpuSeconds, procStatus, sampleAnon, spawnMeasured } from './measure.js';
import type { Usage } from './measure.js';

export const CLIENTS = ['rxtorrent', 'aria2', 'libtorrent', 'webtorrent', 'transmission'] as const;
export type ClientName = (typeof CLIENTS)[number];

const ROOT = new URL('../', import.meta.url).pathname.replace('/bench/out/build/', '/');
const RXTORRENT = join(ROOT, 'bin', 'rxtorrent');
const LT = join(ROOT, 'bench', 'lt.py');
const WT = join(ROOT, 'bench', 'wt.mjs');
const PYTHON = '/usr/bin/python3';

export interface Leecher {
  readonly port: number;
  /** Resolves once every byte is on disk (the client's own "done"), with its usage so far. */
  readonly done: Promise<Usage & { readonly doneAt: number }>;
  /** Stops it (it may already have exited) and resolves with the usage over its whole life. */
  stop(): Promise<Usage>;
}

export interface LeechContext {
  readonly torrent: string;
  readonly out: string;
  readonly work: string;
  readonly timeoutMs: number;
}

/** The command line of a leecher that exits once complete. */
function leecherArgv(name: Exclude<ClientName, 'transmission'>, ctx: LeechContext, port: number): string[] {
  switch (name) {
    case 'rxtorrent':
      return [RXTORRENT, 'download', ctx.torrent, '-o', ctx.out, '--port', String(port), '--host', '127.0.0.1', '--json'];
    case 'aria2':
      return ['/usr/bin/aria2c', ...aria2Args({ torrent: ctx.torrent, dir: ctx.out, listenPort: port, trackerIntervalSec: 2 })];
    case 'webtorrent':
      return [process.execPath, WT, 'leech', ctx.torrent, ctx.out, String(port)];
    case 'libtorrent':
      return [PYTHON, LT, 'leech', ctx.torrent, ctx.out, String(port)];
  }
}

/** A leecher that dials: started once the seeders are ready. */
export async function startLeecher(name: Exclude<ClientName, 'transmission'>, ctx: LeechContext): Promise<Leecher> {
  const port = await freePort();
  const child = spawnMeasured(leecherArgv(name, ctx, port));
  let doneAt: number | undefined;
  child.onLine((line) => {
    if (doneAt === undefined && (line.startsWith('{"type":"done"') || line.startsWith('{"type": "done"'))) doneAt = Date.now();
  });
  const done = withTimeout(child.exited, ctx.timeoutMs, () => `${name} did not finish:\n${child.output().slice(-3000)}`).then((usage) => {
    if (usage.code !== 0) throw new Error(`${name} exited with ${usage.code}:\n${child.output().slice(-3000)}`);
    return { ...usage, doneAt: doneAt ?? Date.now() };
  });
  done.catch(() => undefined);
  return {
    port,
    done,
    stop: async () => {
      await child.kill();
      return child.exited;
    },
  };
}

/** transmission-daemon as a leecher: a fresh daemon, the torrent added and announced. */
export async function startTransmissionLeecher(ctx: LeechContext): Promise<Leecher & { begin(): Promise<void> }> {
  const daemon = await startTransmission({ dir: join(ctx.work, `tr-leech-${Date.now()}`) });
  const id = await daemon.addTorrent(ctx.torrent, ctx.out);
  await daemon.waitAnnounced(id, 15_000);
  let cpuAtBegin = 0;
  let anon: { stop(): number } | undefined;
  let begun: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (begun = resolve));
  const usage = async (): Promise<Usage> => ({
    cpuSeconds: (await procCpuSeconds(daemon.pid)) - cpuAtBegin,
    peakRssKb: (await procStatus(daemon.pid))?.hwmKb ?? NaN,
    peakAnonKb: anon?.stop() ?? NaN,
  });
  const done = started.then(async () => {
    await daemon.waitDone(id, ctx.timeoutMs);
    const doneAt = Date.now();
    return { ...(await usage()), doneAt };
  });
  done.catch(() => undefined);
  return {
    port: daemon.peerPort,
    async begin() {
      cpuAtBegin = await procCpuSeconds(daemon.pid);
      anon = sampleAnon(daemon.pid);
      begun();
    },
    done,
    async stop() {
      const last = await usage().catch(() => ({ cpuSeconds: NaN, peakRssKb: NaN, peakAnonKb: NaN }));
      await daemon.remove(id).catch(() => undefined);
      await daemon.stop();
      await rm(daemon.dir, { recursive: true, force: true });
      return last;
    },
  };
}

export interface Seeder {
  readonly name: ClientName;
  readonly port: number;
  stop(): Promise<void>;
}

export interface SeedContext {
  readonly torrent: string;
  /** The folder that holds the content (`dataDir/<name>`). */
  readonly dataDir: string;
  readonly readyTimeoutMs: number;
  /** A transmission leecher to dial, when there is one. */
  readonly dial?: number;
}

/** `rxtorrent seed` in a child process on a fresh port; resolves once it reports `seeding`. */
export async function startRxSeeder(ctx: SeedContext, port: number): Promise<Seeder> {
  const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', RXTORRENT, 'seed', ctx.torrent,
    '--dir', ctx.dataDir, '--port', String(port), '--host', '127.0.0.1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"type":"state"') && line.includes('"state":"seeding"')) resolve();
      if (line.includes('"fatal":true')) reject(new Error(`rxtorrent seeder: ${line}`));
    });
    void closed.then(() => reject(new Error(`rxtorrent seeder exited before seeding: ${stderr}`)));
  });
  const stop = (): Promise<void> => stopChild(child, closed);
  await readyOrStop(withTimeout(ready, ctx.readyTimeoutMs, () => `rxtorrent seeder not seeding: ${stderr}`), stop);
  return { name: 'rxtorrent', port, stop };
}

/** libtorrent (lt.py seed, seed_mode) on a fresh port; dials `ctx.dial` when given. */
export async function startLtSeeder(ctx: SeedContext, port: number): Promise<Seeder> {
  const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'TERM', '--', PYTHON, LT, 'seed', ctx.torrent, ctx.dataDir, String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output = (output + line + '\n').slice(-4000);
      if (line.includes('"ready"')) resolve();
    });
    void closed.then(() => reject(new Error(`libtorrent seeder exited: ${output}`)));
  });
  const stop = (): Promise<void> => stopChild(child, closed);
  await readyOrStop(withTimeout(ready, ctx.readyTimeoutMs, () => `libtorrent seeder not ready: ${output}`), stop);
  if (ctx.dial !== undefined) child.stdin.write(`connect ${ctx.dial}\n`);
  return { name: 'libtorrent', port, stop };
}

/**
 * transmission-daemon as a seeder: one daemon for the whole bench; every run removes the
 * torrent and seeds it again (a re-verify), because once a loopback peer completed the torrent
 * it refuses all of 127.0.0.1 for it (docs/interop.md).
 */
export class TransmissionSeeder {
  private id: number | undefined;
  private constructor(readonly daemon: RunningTransmission) {}

  static async start(dir: string): Promise<TransmissionSeeder> {
    return new TransmissionSeeder(await startTransmission({ dir }));
  }

  get port(): number {
    return this.daemon.peerPort;
  }

  async reseed(torrent: string, dataDir: string, timeoutMs: number): Promise<Seeder> {
    if (this.id !== undefined) await this.daemon.remove(this.id);
    this.id = undefined;
    this.id = await this.daemon.seed(torrent, dataDir, timeoutMs);
    await waitForListener(this.daemon.peerPort);
    return {
      name: 'transmission',
      port: this.daemon.peerPort,
      // Removed after each run: it re-announces every few seconds and must not join later runs.
      stop: async () => {
        if (this.id !== undefined) await this.daemon.remove(this.id);
        this.id = undefined;
      },
    };
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has closed. */
async function stopChild(child: ChildProcess, closed: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
  await closed;
  clearTimeout(forced);
}

/** Waits for a seeder to be ready; stops it when it never is. */
async function readyOrStop(ready: Promise<void>, stop: () => Promise<void>): Promise<void> {
  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
