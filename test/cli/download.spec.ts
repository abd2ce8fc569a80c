/**
 * `rxtorrent seed` and `rxtorrent download` as a user runs them: real child processes, real
 * sockets on 127.0.0.1, real files; --json events, exit codes, graceful signals.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedBytes, directIoWorks } from '../support/direct-io.js';
import { freePort } from '../support/ports.js';
import { BIN, runCli } from '../support/run-cli.js';

interface Running {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly exit: Promise<number | null>;
  /** Resolves with the first JSON event that matches. */
  waitFor(match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as Record<string, unknown>;
      lines.push(event);
      for (const waiter of waiters.splice(0)) {
        if (waiter.match(event)) waiter.resolve(event);
        else waiters.push(waiter);
      }
    }
  });
  child.stderr?.resume();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child, lines, exit,
    waitFor: (match) => new Promise((resolve) => {
      const found = lines.find(match);
      if (found) resolve(found);
      else waiters.push({ match, resolve });
    }),
  };
}

const running: Running[] = [];
let work: string;
let torrent: string;
let seedDir: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-cli-dl-'));
  seedDir = join(work, 'seed');
  await mkdir(join(seedDir, 'pack', 'sub'), { recursive: true });
  await writeFile(join(seedDir, 'pack', 'a.bin'), randomBytes(2_000_003));
  await writeFile(join(seedDir, 'pack', 'sub', 'b.txt'), randomBytes(1_234));
  await writeFile(join(seedDir, 'pack', 'sub', 'empty'), '');
  torrent = join(work, 'pack.torrent');
  const created = await runCli(['create', join(seedDir, 'pack'), '-o', torrent, '-l', '64K']);
  expect(created.code).toBe(0);
});

afterAll(async () => {
  for (const r of running) r.child.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

async function sha(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

describe('seed and download', () => {
  it('downloads from a seeder, prints JSON events, exits 0; the seeder stops gracefully on SIGTERM', async () => {
    const seedPort = await freePort();
    const seeder = start(['seed', torrent, '--dir', seedDir, '--port', String(seedPort), '--host', '127.0.0.1', '--json']);
    running.push(seeder);
    await seeder.waitFor((e) => e.type === 'state' && e.state === 'seeding');

    const out = join(work, 'out');
    const result = await runCli(['download', torrent, '-o', out, '--port', String(await freePort()), '--host', '127.0.0.1',
      '--peer', `127.0.0.1:${seedPort}`, '--json']);
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.every((e) => typeof e.type === 'string' && typeof e.infoHash === 'string')).toBe(true);
    const done = events.find((e) => e.type === 'done');
    expect(done).toMatchObject({ received: 2_001_237, failed: 0, checked: 0 });
    expect(typeof done?.seconds).toBe('number');
    expect(events.some((e) => e.type === 'progress' && typeof e.uploaded === 'number')).toBe(true);
    for (const path of ['pack/a.bin', 'pack/sub/b.txt', 'pack/sub/empty']) {
      expect(await sha(join(out, path)), path).toBe(await sha(join(seedDir, path)));
    }

    seeder.child.kill('SIGTERM');
    expect(await seeder.exit).toBe(0);
  });

  it('Ctrl-C stops a download that cannot finish and exits 130', async () => {
    const closedPort = await freePort();
    const leecher = start(['download', torrent, '-o', join(work, 'never'), '--port', String(await freePort()), '--host', '127.0.0.1',
      '--peer', `127.0.0.1:${closedPort}`, '--json']);
    running.push(leecher);
    await leecher.waitFor((e) => e.type === 'state' && e.state === 'downloading');
    leecher.child.kill('SIGINT');
    expect(await leecher.exit).toBe(130);
  });

  it('a torrent that is already complete on disk is checked, not downloaded', async () => {
    const result = await runCli(['download', torrent, '-o', seedDir, '--port', String(await freePort()), '--host', '127.0.0.1', '--json']);
    expect(result.code).toBe(0);
    const done = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.type === 'done');
    expect(done).toMatchObject({ received: 0, checked: 31 });
  });

  it('writes pieces past the page cache by default, and through it with --no-direct-io', async () => {
    const seedPort = await freePort();
    const seeder = start(['seed', torrent, '--dir', seedDir, '--port', String(seedPort), '--host', '127.0.0.1', '--json']);
    running.push(seeder);
    await seeder.waitFor((e) => e.type === 'state' && e.state === 'seeding');
    // Bytes of a.bin in the page cache after a download (fincore, util-linux).
    const cachedAfter = async (out: string, extra: string[]): Promise<number> => {
      const result = await runCli(['download', torrent, '-o', out, '--port', String(await freePort()), '--host', '127.0.0.1',
        '--peer', `127.0.0.1:${seedPort}`, '--quiet', ...extra]);
      expect(result.code).toBe(0);
      const cached = cachedBytes(join(out, 'pack/a.bin')); // before reading it back fills the cache
      expect(await sha(join(out, 'pack/a.bin'))).toBe(await sha(join(seedDir, 'pack/a.bin')));
      return cached;
    };
    const direct = await cachedAfter(join(work, 'direct'), []);
    const buffered = await cachedAfter(join(work, 'buffered'), ['--no-direct-io']);
    expect(buffered).toBeGreaterThanOrEqual(2_000_003);
    if (await directIoWorks(work)) expect(direct).toBeLessThan(2_000_003);
    seeder.child.kill('SIGTERM');
    expect(await seeder.exit).toBe(0);
  });
});
