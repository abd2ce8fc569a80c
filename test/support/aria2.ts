/**
 * Runs Debian's aria2c 1.36 as a BitTorrent leecher or seeder on 127.0.0.1 for interop tests and
 * benchmarks (see /work/shared/INTEROP.md and docs/interop.md).
 *
 * aria2 learns peers only from trackers (and DHT/PEX/LPD, all off here): there is no option to
 * hand it a peer address, so a swarm with aria2 needs a tracker (test/support/opentracker.ts).
 * Unlike transmission it dials loopback peers from the tracker, and it keeps dialling while it
 * seeds, so it can seed to a transmission leecher. `trackerIntervalSec` makes it re-announce
 * often, so it finds peers that announced after it did despite opentracker's 30-minute interval.
 *
 * Modes: `seed: false` (default) exits 0 once the download completes (`--seed-time=0`);
 * `seed: true` verifies existing data (`--check-integrity`) and seeds until `kill()`
 * (`--seed-ratio=0.0`). `--stop-with-process` ties aria2 to this Node process, so a crashed test
 * worker leaves no aria2 behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { freePort } from './ports.js';
import { waitForListener } from './transmission.js';

export const ARIA2C_BIN = '/usr/bin/aria2c';

export function aria2Available(): boolean {
  return existsSync(ARIA2C_BIN);
}

export interface Aria2Options {
  /** The .torrent file. */
  readonly torrent: string;
  /** Download folder (aria2's `--dir`): the torrent's name lands below it. Created when missing. */
  readonly dir: string;
  /** TCP peer port on 127.0.0.1; a free one when omitted. Use a fresh one per run. */
  readonly listenPort?: number;
  /** Keep seeding until killed (default false: exit when the download is complete). */
  readonly seed?: boolean;
  /** Hash-check existing data first (default: true when seeding). */
  readonly checkIntegrity?: boolean;
  /** Re-announce every N seconds instead of the tracker's interval (default 2). */
  readonly trackerIntervalSec?: number;
  /** Trackers to use besides the torrent's own (`--bt-tracker`). */
  readonly extraTrackers?: readonly string[];
  /** Upload limit in bytes per second (0: none). */
  readonly maxUploadBytesPerSec?: number;
  /** Anything else, appended last so it wins. */
  readonly extraArgs?: readonly string[];
}

export interface Aria2Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunningAria2 {
  readonly pid: number;
  readonly listenPort: number;
  /** The command line, for failure messages and docs. */
  readonly args: readonly string[];
  /**
   * Resolves when aria2 exits with 0; rejects (with its output) on any other exit. A leecher
   * exits 0 only once complete (7 when killed before); a seeder exits 0 on `kill()`.
   */
  readonly done: Promise<void>;
  /** Resolves on any exit. */
  readonly exited: Promise<Aria2Exit>;
  /** What it printed so far (last 256 KiB). */
  output(): string;
  /** Resolves once its peer port accepts connections. */
  listening(timeoutMs?: number): Promise<void>;
  /** SIGTERM, SIGKILL after 3 s; resolves when it has exited. Idempotent. */
  kill(): Promise<void>;
}

/** The flags that keep aria2 on loopback and plain BitTorrent over TCP. */
export function aria2Args(options: Aria2Options & { readonly listenPort: number }): string[] {
  const seed = options.seed ?? false;
  const args = [
    '--no-conf=true',
    '--interface=127.0.0.1',
    '--disable-ipv6=true',
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--bt-require-crypto=false',
    '--bt-min-crypto-level=plain',
    `--listen-port=${options.listenPort}`,
    `--dir=${resolve(options.dir)}`,
    `--check-integrity=${String(options.checkIntegrity ?? seed)}`,
    '--bt-hash-check-seed=true',
    '--bt-save-metadata=false',
    '--bt-tracker-connect-timeout=3',
    '--bt-tracker-timeout=5',
    `--bt-tracker-interval=${options.trackerIntervalSec ?? 2}`,
    '--file-allocation=none',
    '--allow-overwrite=true',
    '--auto-file-renaming=false',
    '--enable-color=false',
    '--summary-interval=0',
    '--console-log-level=warn',
    '--download-result=hide',
    `--max-upload-limit=${options.maxUploadBytesPerSec ?? 0}`,
    `--stop-with-process=${process.pid}`,
    ...(seed ? ['--seed-ratio=0.0'] : ['--seed-time=0']),
    ...(options.extraTrackers !== undefined && options.extraTrackers.length > 0
      ? [`--bt-tracker=${options.extraTrackers.join(',')}`]
      : []),
    ...(options.extraArgs ?? []),
    resolve(options.torrent),
  ];
  return args;
}

const OUTPUT_LIMIT = 256 * 1024;

export async function runAria2(options: Aria2Options): Promise<RunningAria2> {
  const listenPort = options.listenPort ?? (await freePort());
  await mkdir(options.dir, { recursive: true });
  const args = aria2Args({ ...options, listenPort });
  let output = '';
  const child = spawn(ARIA2C_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const append = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<Aria2Exit>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', (error) => {
      append(Buffer.from(`spawn failed: ${error.message}\n`));
      done({ code: null, signal: null });
    });
  });
  const done = exited.then(({ code, signal }) => {
    if (code !== 0) throw new Error(`aria2c exited with ${code ?? signal}:\n${output.slice(-4000)}`);
  });
  done.catch(() => undefined);

  let killing: Promise<void> | undefined;
  const kill = (): Promise<void> => {
    killing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const forced = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(forced);
      }
    })();
    return killing;
  };

  return {
    pid: child.pid ?? -1,
    listenPort,
    args,
    done,
    exited,
    output: () => output,
    async listening(timeoutMs = 15_000) {
      const died = exited.then((exit) => {
        throw new Error(`aria2c exited (${exit.code ?? exit.signal}) before listening:\n${output}`);
      });
      died.catch(() => undefined);
      await Promise.race([waitForListener(listenPort, timeoutMs), died]);
    },
    kill,
  };
}
