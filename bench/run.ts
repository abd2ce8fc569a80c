/**
 * `npm run bench`: rxtorrent against real clients on 127.0.0.1, ratios in one run.
 *
 * 1. writes a deterministic multi-file payload (test/support/swarm-data.ts) and makes its torrent
 *    with `rxtorrent create`, announcing to the bench tracker (bench/tracker.ts);
 * 2. for each scenario (a set of seeders) and each round, downloads it with every client in turn
 *    (the order rotates each round, so drift hits all alike), on fresh ports, with fresh seeders;
 * 3. verifies every file (SHA-1 against the source) after every download;
 * 4. writes bench/out/results.{md,json} and bench/out/ratios.svg (bench/report.ts).
 *
 * Options: --size MiB (1024) --piece KiB (1024) --runs N (3) --clients a,b --scenarios a,b
 * --memory (only: rxtorrent's peak RSS for 256 MiB, 1 GiB and 4 GiB torrents, --runs each) --out DIR --keep
 * --report results.json (re-render the Markdown and SVG of an earlier run).
 */
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashFile, makeSwarmData } from '../test/support/swarm-data.js';
import { freePort } from '../test/support/ports.js';
import { CLIENTS, TransmissionSeeder, startLeecher, startLtSeeder, startRxSeeder, startTransmissionLeecher } from './clients.js';
import type { ClientName, Leecher, Seeder } from './clients.js';
import { allocatedBytes } from './measure.js';
import { writeReports } from './report.js';
import type { BenchResults, RunRecord } from './report.js';
import { startBenchTracker } from './tracker.js';
import type { BenchTracker } from './tracker.js';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname.replace('/bench/out/build/', '/');

export const SCENARIOS: Readonly<Record<string, readonly ClientName[]>> = {
  swarm: ['transmission', 'rxtorrent', 'libtorrent'],
  'rx-seeder': ['rxtorrent'],
  'lt-seeder': ['libtorrent'],
  // transmission-daemon alone (not in the default set: it serves a loopback peer at ~8 MB/s).
  // Its own leecher is left out: neither transmission dials a loopback peer.
  'tx-seeder': ['transmission'],
  memory: ['rxtorrent', 'libtorrent'],
  // --memory: the same seeders, one scenario per torrent size so the report has a row for each.
  'memory-256MiB': ['rxtorrent', 'libtorrent'],
  'memory-1024MiB': ['rxtorrent', 'libtorrent'],
  'memory-4096MiB': ['rxtorrent', 'libtorrent'],
};

interface Options {
  sizeMiB: number;
  pieceKiB: number;
  runs: number;
  clients: ClientName[];
  scenarios: string[];
  memory: boolean;
  /** Re-render results.{md,svg} from this results.json instead of running. */
  report: string | undefined;
  out: string;
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    sizeMiB: 1024, pieceKiB: 1024, runs: 3, clients: [...CLIENTS], scenarios: ['swarm', 'rx-seeder', 'lt-seeder'],
    memory: false, report: undefined, out: join(ROOT, 'bench', 'out'), keep: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--size') options.sizeMiB = Number(value());
    else if (flag === '--piece') options.pieceKiB = Number(value());
    else if (flag === '--runs') options.runs = Number(value());
    else if (flag === '--clients') options.clients = value().split(',').map(clientName);
    else if (flag === '--scenarios') options.scenarios = value().split(',');
    else if (flag === '--memory') options.memory = true;
    else if (flag === '--out') options.out = value();
    else if (flag === '--report') options.report = value();
    else if (flag === '--keep') options.keep = true;
    else throw new Error(`unknown option ${flag} (see bench/run.ts)`);
  }
  if (!(options.sizeMiB > 0) || !(options.pieceKiB >= 16) || !(options.runs >= 1)) throw new Error('bad --size, --piece or --runs');
  for (const name of options.scenarios) if (SCENARIOS[name] === undefined) throw new Error(`unknown scenario ${name}`);
  return options;
}

function clientName(text: string): ClientName {
  const found = CLIENTS.find((name) => name === text);
  if (found === undefined) throw new Error(`unknown client ${text}; one of ${CLIENTS.join(', ')}`);
  return found;
}

const log = (text: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
};

interface Payload {
  readonly sizeMiB: number;
  readonly bytes: number;
  readonly dataDir: string;
  readonly torrent: string;
  readonly paths: readonly string[];
  readonly hashes: ReadonlyMap<string, string>;
}

/** Four files, one two folders down, an odd total: the shapes that break file layouts. */
async function makePayload(work: string, sizeMiB: number, pieceKiB: number, tracker: BenchTracker): Promise<Payload> {
  const bytes = Math.round(sizeMiB * 2 ** 20) - 7;
  const a = Math.floor(bytes * 0.4);
  const b = Math.floor(bytes * 0.3) + 1;
  const c = Math.floor(bytes * 0.2);
  const files = [
    { path: 'rxbench/a.bin', size: a },
    { path: 'rxbench/sub/b.bin', size: b },
    { path: 'rxbench/c.bin', size: c },
    { path: 'rxbench/sub/deep/d.bin', size: bytes - a - b - c },
  ];
  const dataDir = join(work, `data-${sizeMiB}`);
  const started = Date.now();
  await makeSwarmData(dataDir, { files, seed: `rxtorrent-bench-${sizeMiB}` });
  const torrent = join(work, `rxbench-${sizeMiB}.torrent`);
  await run(process.execPath, [join(ROOT, 'bin', 'rxtorrent'), 'create', join(dataDir, 'rxbench'), '-t', tracker.url,
    '-l', `${pieceKiB}K`, '-o', torrent, '-f', '--json']);
  const hashes = new Map<string, string>();
  for (const file of files) hashes.set(file.path, await hashFile(join(dataDir, file.path)));
  // On disk before the first run: the kernel would otherwise write the payload back during it,
  // on the same two cores, and slow whichever client goes first (rxtorrent, in round 1).
  for (const file of files) {
    const handle = await open(join(dataDir, file.path), 'r');
    await handle.sync().finally(() => handle.close());
  }
  // An rxtorrent seeder checks the fresh payload once and records it (its resume record, saved
  // durably at stop), as a seeder that has been running has. Otherwise the first run's seeder
  // would check it, and save that record 5 s later: fsyncs that stall every process's disk
  // writes in the middle of that run (docs/performance.md, round 15).
  const primer = await startRxSeeder({ torrent, dataDir, readyTimeoutMs: 120_000 }, await freePort());
  await primer.stop();
  log(`payload: ${files.length} files, ${bytes} bytes, ${pieceKiB} KiB pieces (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return { sizeMiB, bytes, dataDir, torrent, paths: files.map((file) => file.path), hashes };
}

async function waitFor(what: string, test: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Env {
  readonly work: string;
  readonly tracker: BenchTracker;
  readonly txSeeder: () => Promise<TransmissionSeeder>;
}

async function oneRun(env: Env, payload: Payload, scenario: string, client: ClientName, round: number): Promise<RunRecord> {
  const { tracker, work } = env;
  tracker.reset();
  const out = await mkdtemp(join(work, `dl-${client}-`));
  const timeoutMs = 120_000 + payload.sizeMiB * 500;
  const seeders: Seeder[] = [];
  let leecher: Leecher | undefined;
  const record = { scenario, client, round, sizeMiB: payload.sizeMiB, bytes: payload.bytes };
  try {
    const tx = client === 'transmission' ? await startTransmissionLeecher({ torrent: payload.torrent, out, work, timeoutMs }) : undefined;
    leecher = tx;
    const seedCtx = { torrent: payload.torrent, dataDir: payload.dataDir, readyTimeoutMs: 120_000, ...(tx ? { dial: tx.port } : {}) };
    await Promise.all((SCENARIOS[scenario] ?? []).map(async (name) => {
      if (name === 'transmission') {
        const txs = await env.txSeeder();
        tracker.markSeeder(txs.port);
        seeders.push(await txs.reseed(payload.torrent, payload.dataDir, 120_000));
        return;
      }
      const port = await freePort();
      tracker.markSeeder(port);
      seeders.push(await (name === 'rxtorrent' ? startRxSeeder(seedCtx, port) : startLtSeeder(seedCtx, port)));
    }));
    await waitFor('the seeders on the tracker', () => seeders.every((seeder) => tracker.ports().includes(seeder.port)), 60_000);
    const t0 = Date.now();
    if (tx !== undefined) await tx.begin();
    const running = tx ?? (client === 'transmission' ? undefined : await startLeecher(client, { torrent: payload.torrent, out, work, timeoutMs }));
    if (running === undefined) throw new Error('no leecher');
    leecher = running;
    let firstByte: number | undefined;
    const poll = setInterval(() => {
      void allocatedBytes(out).then((bytes) => {
        if (firstByte === undefined && bytes > 0) firstByte = Date.now();
      });
    }, 100);
    const finished = await running.done.finally(() => clearInterval(poll));
    const wallS = (finished.doneAt - t0) / 1000;
    const transferS = (finished.doneAt - (firstByte ?? t0)) / 1000;
    const usage = await running.stop();
    leecher = undefined;
    const bad: string[] = [];
    for (const path of payload.paths) {
      const got = await hashFile(join(out, path)).catch(() => 'missing');
      if (got !== payload.hashes.get(path)) bad.push(path);
    }
    if (bad.length > 0) throw new Error(`bytes differ: ${bad.join(', ')}`);
    const cpuSeconds = Number.isFinite(usage.cpuSeconds) ? Math.max(usage.cpuSeconds, finished.cpuSeconds) : finished.cpuSeconds;
    return {
      ...record, ok: true, wallS, transferS,
      mbps: payload.bytes / 1e6 / wallS,
      transferMbps: payload.bytes / 1e6 / transferS,
      cpuSeconds,
      cpuPerGiB: cpuSeconds / (payload.bytes / 2 ** 30),
      peakRssMiB: Math.max(usage.peakRssKb || 0, finished.peakRssKb || 0) / 1024,
      peakAnonMiB: Math.max(usage.peakAnonKb || 0, finished.peakAnonKb || 0) / 1024,
    };
  } catch (error) {
    log(`  FAILED: ${error instanceof Error ? error.message.slice(0, 2000) : String(error)}`);
    return { ...record, ok: false, error: error instanceof Error ? error.message.slice(0, 500) : String(error) };
  } finally {
    await leecher?.stop().catch(() => undefined);
    await Promise.all(seeders.map((seeder) => seeder.stop().catch(() => undefined)));
    await rm(out, { recursive: true, force: true });
  }
}

async function versions(): Promise<Record<string, string>> {
  const first = async (file: string, args: string[], pick: (out: string) => string): Promise<string> => {
    try {
      const { stdout, stderr } = await run(file, args);
      return pick(`${stdout}${stderr}`).trim();
    } catch {
      return 'unavailable';
    }
  };
  const cpu = await first('/usr/bin/grep', ['-m1', 'model name', '/proc/cpuinfo'], (out) => out.split(':')[1] ?? out);
  return {
    node: process.version,
    cpu,
    cores: await first('/usr/bin/nproc', [], (out) => out),
    aria2: await first('/usr/bin/aria2c', ['--version'], (out) => out.split('\n')[0] ?? ''),
    transmission: await first('/usr/bin/transmission-daemon', ['-V'], (out) => out.split('\n')[0] ?? ''),
    libtorrent: await first('/usr/bin/python3', ['-c', 'import libtorrent; print(libtorrent.__version__)'], (out) => out),
    webtorrent: await first(process.execPath, ['-p', "require('webtorrent/package.json').version"], (out) => out),
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  await mkdir(options.out, { recursive: true });
  if (options.report !== undefined) {
    const saved = JSON.parse(await readFile(options.report, 'utf8')) as BenchResults;
    log(`wrote ${(await writeReports(saved, options.out, saved.options['memory'] === true ? 'memory' : 'results')).join(', ')}`);
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'rxtorrent-bench-'));
  const tracker = await startBenchTracker(5);
  let txSeeder: Promise<TransmissionSeeder> | undefined;
  const env: Env = { work, tracker, txSeeder: () => (txSeeder ??= TransmissionSeeder.start(join(work, 'tr-seed'))) };
  const records: RunRecord[] = [];
  const started = Date.now();
  const stopAll = async (): Promise<void> => {
    if (txSeeder !== undefined) await (await txSeeder).stop().catch(() => undefined);
    await tracker.close();
    if (!options.keep) await rm(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  try {
    const plan: { sizeMiB: number; scenario: string; clients: ClientName[]; runs: number }[] = options.memory
      ? [256, 1024, 4096].map((sizeMiB) => ({ sizeMiB, scenario: `memory-${sizeMiB}MiB`, clients: ['rxtorrent'], runs: options.runs }))
      : options.scenarios.map((scenario) => ({
        sizeMiB: options.sizeMiB,
        scenario,
        clients: scenario === 'tx-seeder' ? options.clients.filter((client) => client !== 'transmission') : options.clients,
        runs: options.runs,
      }));
    const payloads = new Map<number, Payload>();
    for (const step of plan) {
      let payload = payloads.get(step.sizeMiB);
      if (payload === undefined) {
        for (const old of payloads.values()) await rm(old.dataDir, { recursive: true, force: true });
        payloads.clear();
        payload = await makePayload(work, step.sizeMiB, options.pieceKiB, tracker);
        payloads.set(step.sizeMiB, payload);
      }
      for (let round = 0; round < step.runs; round += 1) {
        const order = step.clients.map((_, i) => step.clients[(i + round) % step.clients.length]!);
        for (const client of order) {
          log(`${step.scenario} round ${round + 1}/${step.runs}: ${client} ← ${(SCENARIOS[step.scenario] ?? []).join(' + ')}`);
          const record = await oneRun(env, payload, step.scenario, client, round);
          records.push(record);
          if (record.ok) {
            log(`  ${record.mbps.toFixed(1)} MB/s (transfer ${record.transferMbps.toFixed(1)}), ${record.cpuPerGiB.toFixed(2)} CPU s/GiB, peak RSS ${record.peakRssMiB.toFixed(0)} MiB (anon ${record.peakAnonMiB.toFixed(0)})`);
          }
        }
      }
    }
    const results: BenchResults = {
      date: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
      options: { sizeMiB: options.sizeMiB, pieceKiB: options.pieceKiB, runs: options.runs, memory: options.memory },
      machine: await versions(),
      scenarios: Object.fromEntries(Object.entries(SCENARIOS)),
      runs: records,
    };
    const written = await writeReports(results, options.out, options.memory ? 'memory' : 'results');
    log(`wrote ${written.join(', ')}`);
    if (records.some((record) => !record.ok)) process.exitCode = 1;
  } finally {
    await stopAll();
  }
}

await main();
