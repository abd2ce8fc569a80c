/**
 * `rxtorrent demo` as a user runs it: the real `bin/rxtorrent` (the compiled build) in a child
 * process, which itself starts a tracker, seeders as child processes and a download. After it
 * exits, none of its seeders may still run and its temp folder must be gone.
 */
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-demo-spec-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A parsing edge: one JSON line as a plain record. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.trimEnd().split('\n').map((line) => {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`not an object: ${line}`);
    return Object.fromEntries(Object.entries(value));
  });
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function numbers(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((item): item is number => typeof item === 'number') : [];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

describe('rxtorrent demo', () => {
  it('downloads from two seeders found through the tracker, verifies, and leaves nothing behind', async () => {
    const result = await runCli(['demo', '--size', '4', '--seeders', '2', '--json'], { cwd: work });
    expect(result.stderr).toMatch(/verified: 4 files, 4\.00 MiB, identical/);
    expect(result.code).toBe(0);

    const events = jsonLines(result.stdout);
    for (const event of events) expect(event.infoHash).toMatch(/^[0-9a-f]{40}$/);
    expect(events.some((event) => event.type === 'done')).toBe(true);
    const seeders = events.find((event) => event.type === 'demo-seeders');
    const pids = numbers(seeders?.pids);
    expect(pids).toHaveLength(2);
    expect(numbers(seeders?.ports)).toHaveLength(2);
    const verified = events.find((event) => event.type === 'demo-verified');
    expect(verified).toMatchObject({ files: 4, bytes: 4 * 1024 * 1024 - 1 });
    const stopped = events.find((event) => event.type === 'demo-stopped');
    expect(stopped?.seeders).toEqual(pids.map((pid) => expect.objectContaining({ pid, code: 0, signal: null })));
    expect(events.map((event) => event.type).slice(-3)).toEqual(['done', 'demo-verified', 'demo-stopped']);

    for (const pid of pids) expect(running(pid)).toBe(false);
    const removed = /removed (\S+)/.exec(result.stderr)?.[1];
    expect(removed).toBeDefined();
    expect(await exists(removed ?? work)).toBe(false);
  });

  it('keeps a folder given with --dir, with the data, the torrent and the download', async () => {
    const dir = join(work, 'kept');
    const result = await runCli(['demo', '--size', '1', '--seeders', '1', '--dir', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^verified: 4 files, 1\.00 MiB, identical \(downloaded in [\d.]+ s, [\d.]+ MB\/s/);
    expect(result.stderr).toMatch(/▸ tracker on http:\/\/127\.0\.0\.1:\d+\n/);
    expect(result.stderr).toMatch(/▸ 1 seeder ready/);
    expect((await readdir(dir)).sort()).toEqual(['data', 'download', 'rxtorrent-demo.torrent']);

    const again = await runCli(['demo', '--size', '1', '--dir', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^rxtorrent: --dir .* is not empty/);
  });

  it('refuses a bad --size or --seeders with a usage error', async () => {
    const size = await runCli(['demo', '--size', '0']);
    expect(size.code).toBe(2);
    expect(size.stderr.trimEnd().split('\n')).toHaveLength(1);
    const seeders = await runCli(['demo', '--seeders', '1.5']);
    expect(seeders.code).toBe(2);
    expect(seeders.stderr).toMatch(/--seeders/);
  });
});
