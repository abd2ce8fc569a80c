/**
 * Crash safety of a download, with the real CLI: `rxtorrent download` is killed with SIGKILL at
 * random moments and started again with the same command, until it finishes.
 *
 * ```
 * seeder child ◀── throttling proxy (this process, ≤ 2 MiB/s) ◀── leecher child ── kill -9 ×3, restart
 * ```
 *
 * After each kill, before the restart, every piece the leecher's resume file claims is read back
 * and hashed: a piece is never recorded as done that is not correct on disk. Each restart must
 * find at least the pieces done before the kill (`checked`) and download no more than the rest.
 * The fast path (a valid resume file means no recheck) is checked on its own at the end.
 *
 * The throttle exists only to make "a random moment" fall in the middle of the download; nothing
 * here asserts on time. Reproduce a run with KILL_SEED=<seed printed in the failure message>.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, open, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTorrentFile } from '../../src/io/read-torrent.js';
import { contentPath, createResumeStore, defaultResumeDir } from '../../src/io/resume-store.js';
import { pieceLength, pieceSegments } from '../../src/metainfo/file-layout.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import { boundPort, freePort } from '../support/ports.js';
import { BIN, runCli } from '../support/run-cli.js';

const PIECE = 256 * 1024;
/** Seeder → leecher bytes per second through the proxy: 48 MiB take ≥ 24 s, so the kills land mid-download. */
const RATE = 2 * 1024 * 1024;
/** Pieces a restart may receive beyond what it lacked: those in flight, endgame duplicates. */
const SLACK_PIECES = 8;
/** The client saves its resume file at least this often (the lead's throttle); one kill comes later than that. */
const SAVE_EVERY_S = 5;
const FILES: Readonly<Record<string, number>> = {
  'big/a.bin': 30 * 1024 * 1024 + 123,
  'big/sub/b.bin': 17 * 1024 * 1024 + 4_567,
  'big/c.bin': 1024 * 1024 - 89,
};

type JsonEvent = Record<string, unknown>;

interface Running {
  readonly child: ChildProcess;
  readonly lines: JsonEvent[];
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first event (from now on or already seen) for which `match` is true; rejects if the process exits first. */
  waitFor(match: (event: JsonEvent) => boolean): Promise<JsonEvent>;
}

const children: Running[] = [];
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
const timers = new Set<NodeJS.Timeout>();
let work = '';
let seedDir = '';
let torrent = '';
let meta: Metainfo;
let seedPort = 0;
let proxyPort = 0;

function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: JsonEvent[] = [];
  let waiters: { match: (e: JsonEvent) => boolean; resolve: (e: JsonEvent) => void; reject: (e: Error) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() === '') continue;
      let event: JsonEvent;
      try {
        event = JSON.parse(line) as JsonEvent;
      } catch {
        continue; // never a whole line: a kill can only cut the last one, which has no newline yet
      }
      lines.push(event);
      waiters = waiters.filter((waiter) => {
        if (!waiter.match(event)) return true;
        waiter.resolve(event);
        return false;
      });
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`exited (${code ?? signal}) first; stderr: ${stderr.slice(-2000)}`));
      resolve({ code, signal });
    });
  });
  const running: Running = {
    child, lines, exit,
    waitFor: (match) => new Promise((resolve, reject) => {
      for (const event of lines) {
        if (match(event)) {
          resolve(event);
          return;
        }
      }
      if (child.exitCode !== null || child.signalCode !== null) reject(new Error('already exited'));
      else waiters.push({ match, resolve, reject });
    }),
  };
  children.push(running);
  return running;
}

/** A TCP proxy to `target` that lets at most `rate` bytes per second through, per direction and connection. */
async function throttlingProxy(target: number, rate: number): Promise<number> {
  const pace = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk: Buffer) => {
      to.write(chunk);
      from.pause();
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!from.destroyed) from.resume();
      }, (chunk.length / rate) * 1000);
      timers.add(timer);
    });
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    pace(client, upstream);
    pace(upstream, client);
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return boundPort(server);
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
  const timer = setTimeout(() => {
    timers.delete(timer);
    resolve();
  }, ms);
  timers.add(timer);
});

/** Reads piece `index` from the download folder; `undefined` when a file is missing or short. */
async function readPiece(dir: string, index: number): Promise<Uint8Array | undefined> {
  const out = new Uint8Array(pieceLength(meta, index));
  for (const segment of pieceSegments(meta, index)) {
    const file = meta.files[segment.fileIndex];
    if (file === undefined) return undefined;
    let handle;
    try {
      handle = await open(join(dir, ...contentPath(meta, file)), 'r');
    } catch {
      return undefined;
    }
    try {
      const { bytesRead } = await handle.read(out, segment.pieceOffset, segment.length, segment.fileOffset);
      if (bytesRead !== segment.length) return undefined;
    } finally {
      await handle.close();
    }
  }
  return out;
}

async function pieceIsCorrect(dir: string, index: number): Promise<boolean> {
  const data = await readPiece(dir, index);
  const expected = meta.pieceHashes[index];
  if (data === undefined || expected === undefined) return false;
  return createHash('sha1').update(data).digest().equals(expected);
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

const isProgress = (event: JsonEvent): boolean => event.type === 'progress';
const num = (event: JsonEvent | undefined, key: string): number => {
  const value = event?.[key];
  if (typeof value !== 'number') throw new Error(`event has no number ${key}: ${JSON.stringify(event)}`);
  return value;
};

const downloadArgs = async (out: string): Promise<string[]> => [
  'download', torrent, '-o', out, '--port', String(await freePort()), '--host', '127.0.0.1',
  '--peer', `127.0.0.1:${proxyPort}`, '--json',
];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-kill-'));
  seedDir = join(work, 'seed');
  for (const [path, size] of Object.entries(FILES)) {
    await mkdir(join(seedDir, path, '..'), { recursive: true });
    await writeFile(join(seedDir, path), randomBytes(size));
  }
  torrent = join(work, 'big.torrent');
  const created = await runCli(['create', join(seedDir, 'big'), '-o', torrent, '-l', '256K']);
  expect(created.code, created.stderr).toBe(0);
  meta = await readTorrentFile(torrent);
  expect(meta.pieceLength).toBe(PIECE);

  seedPort = await freePort();
  const seeder = start(['seed', torrent, '--dir', seedDir, '--port', String(seedPort), '--host', '127.0.0.1', '--json']);
  await seeder.waitFor((e) => e.type === 'state' && e.state === 'seeding');
  proxyPort = await throttlingProxy(seedPort, RATE);
});

afterAll(async () => {
  for (const running of children) {
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  }
  await Promise.all(children.map((running) => running.exit));
  for (const timer of timers) clearTimeout(timer);
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('kill -9 and restart', () => {
  it('killed three times at random moments, the download still ends byte-identical and never trusts a piece it lacks', { timeout: 240_000 }, async () => {
    const seed = Number(process.env.KILL_SEED ?? Math.floor(Math.random() * 2 ** 32));
    const random = prng(seed);
    const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
    // After N progress events of the running download, plus a random part of the next interval.
    const moments = [between(2, 4), between(2, 4), between(SAVE_EVERY_S + 1, SAVE_EVERY_S + 3)]
      .map((events) => ({ events, extraMs: Math.floor(random() * 900) }));
    const why = (text: string): string => `${text} (KILL_SEED=${seed}, moments ${JSON.stringify(moments)})`;

    const out = join(work, 'leech');
    const args = await downloadArgs(out);
    const store = createResumeStore({ dir: defaultResumeDir(out) });
    const bound = (checked: number): number => meta.totalLength - checked * PIECE + SLACK_PIECES * PIECE;
    let doneBeforeKill = 0;
    let recordsSeen = 0;

    /** What every run after a kill must show: it found the pieces done before, and fetches only the rest. */
    const checkRestart = (lines: readonly JsonEvent[], run: number): void => {
      // Progress while checking counts up from 0; from the end of the check on, `checked` is final.
      const reports = lines.filter((e) => (isProgress(e) && e.state !== 'checking') || e.type === 'done');
      expect(reports.length, why(`run ${run} reported nothing after its check`)).toBeGreaterThan(0);
      for (const event of reports) {
        const checked = num(event, 'checked');
        expect(checked, why(`run ${run}: checked ≥ pieces done before the kill`)).toBeGreaterThanOrEqual(doneBeforeKill);
        expect(num(event, 'received'), why(`run ${run}: received ≤ what was missing + slack`)).toBeLessThanOrEqual(bound(checked));
      }
    };

    for (const [run, moment] of moments.entries()) {
      const leecher = start(args);
      let downloading = 0;
      await leecher.waitFor((e) => isProgress(e) && e.state === 'downloading' && (downloading += 1) >= moment.events)
        .catch((error: unknown) => {
          throw new Error(why(`run ${run} ended before its kill: ${error instanceof Error ? error.message : String(error)}`));
        });
      await sleep(moment.extraMs);
      const seenBeforeKill = leecher.lines.filter(isProgress);
      leecher.child.kill('SIGKILL');
      expect(await leecher.exit, why(`run ${run} finished before its kill`)).toEqual({ code: null, signal: 'SIGKILL' });
      if (run > 0) checkRestart(leecher.lines, run);
      const last = seenBeforeKill.at(-1);
      expect(num(last, 'piecesDone'), why(`run ${run} made no progress before the kill`)).toBeLessThan(meta.pieceCount);
      doneBeforeKill = Math.max(doneBeforeKill, num(last, 'piecesDone'));

      // Before the restart: whatever the resume file claims must be on disk and correct.
      const record = await store.read(meta);
      if (record !== undefined) {
        recordsSeen += 1;
        for (const index of record.have.setIndexes()) {
          expect(await pieceIsCorrect(out, index), why(`after kill ${run}: piece ${index} is recorded but not on disk`)).toBe(true);
        }
      }
      const trusted = await store.load(meta, out);
      if (trusted !== undefined) expect(record?.have.equals(trusted), why('load returned what read did not')).toBe(true);
    }
    expect(recordsSeen, why(`no resume file after a kill more than ${SAVE_EVERY_S} s into a run: does the client save it?`))
      .toBeGreaterThan(0);

    const last = start(args);
    expect(await last.exit, why('the last run')).toEqual({ code: 0, signal: null });
    checkRestart(last.lines, moments.length);
    expect(last.lines.some((e) => e.type === 'done'), why('no done event')).toBe(true);
    for (const path of Object.keys(FILES)) {
      expect(await sha256(join(out, path)), why(path)).toBe(await sha256(join(seedDir, path)));
    }
    // A clean exit leaves a resume file that vouches for every piece.
    expect((await store.load(meta, out))?.isComplete, why('no complete resume file after a clean exit')).toBe(true);
  });

  it('a restart with a valid resume file skips the recheck; one with a file touched since rechecks', { timeout: 120_000 }, async () => {
    const out = join(work, 'copy');
    await cp(join(seedDir, 'big'), join(out, 'big'), { recursive: true });
    const args = await downloadArgs(out);
    const first = start(args);
    expect(await first.exit).toEqual({ code: 0, signal: null });
    expect(first.lines.find((e) => e.type === 'done')).toMatchObject({ checked: meta.pieceCount, received: 0 });

    // A byte changed behind the client's back, size and mtime as recorded: fast resume trusts the record
    // (a recheck would have found piece 7 broken and fetched it again).
    const store = createResumeStore({ dir: defaultResumeDir(out) });
    const victim = join(out, 'big', 'a.bin');
    const before = await stat(victim);
    const handle = await open(victim, 'r+');
    try {
      const byte = new Uint8Array(1);
      await handle.read(byte, 0, 1, 7 * PIECE + 5);
      byte[0] = (byte[0] ?? 0) ^ 0xff;
      await handle.write(byte, 0, 1, 7 * PIECE + 5);
    } finally {
      await handle.close();
    }
    await utimes(victim, before.atime, before.mtime);
    const loaded = await store.load(meta, out);
    if (loaded === undefined) {
      // utimes cannot restore a sub-microsecond mtime everywhere: record the changed file as the client would.
      const full = await store.read(meta);
      expect(full?.have.isComplete, 'the clean run left a complete resume file').toBe(true);
      if (full !== undefined) await store.save(meta, out, full.have);
    }
    const trusting = start(args);
    expect(await trusting.exit).toEqual({ code: 0, signal: null });
    expect(trusting.lines.find((e) => e.type === 'done'), 'a valid resume file means no recheck')
      .toMatchObject({ checked: meta.pieceCount, received: 0 });

    // Touched since the record: the recheck finds piece 7 broken and downloads exactly that piece.
    await utimes(victim, before.atime, new Date(before.mtimeMs + 2_000));
    const rechecking = start(args);
    expect(await rechecking.exit).toEqual({ code: 0, signal: null });
    const done = rechecking.lines.find((e) => e.type === 'done');
    expect(done).toMatchObject({ checked: meta.pieceCount - 1 });
    expect(num(done, 'received')).toBeGreaterThanOrEqual(PIECE);
    expect(num(done, 'received')).toBeLessThanOrEqual((1 + SLACK_PIECES) * PIECE);
    expect(await sha256(victim)).toBe(await sha256(join(seedDir, 'big', 'a.bin')));
  });
});
