/**
 * Metainfo against independent implementations: Debian's mktorrent and transmission-create make
 * torrents that `rxtorrent info --json` must read exactly as transmission-show does, and a torrent
 * made by `rxtorrent create` must read back in transmission-show with the same info hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTorrent } from '../../src/io/read-torrent.js';
import { run, runCli } from '../support/run-cli.js';

interface ShowResult {
  readonly hash: string;
  readonly pieceCount: number;
  readonly files: readonly string[];
  readonly trackers: readonly (readonly string[])[];
  readonly privacy: string;
}

/** Reads what transmission-show 3.00 prints: GENERAL, TRACKERS (by tier) and FILES sections. */
async function transmissionShow(torrent: string): Promise<ShowResult> {
  const text = await run('transmission-show', [torrent]);
  const section = (name: string): string[] => {
    const lines = text.split('\n');
    const start = lines.indexOf(name);
    if (start < 0) return [];
    const rest = lines.slice(start + 1);
    const end = rest.findIndex((line) => /^[A-Z]+$/.test(line));
    return (end < 0 ? rest : rest.slice(0, end)).map((l) => l.trim()).filter((l) => l.length > 0);
  };
  const general = section('GENERAL');
  const field = (key: string): string =>
    general.find((line) => line.startsWith(`${key}: `))?.slice(key.length + 2) ?? '';
  const trackers: string[][] = [];
  for (const line of section('TRACKERS')) {
    if (/^Tier #\d+$/.test(line)) trackers.push([]);
    else trackers.at(-1)?.push(line);
  }
  return {
    hash: field('Hash'),
    pieceCount: Number(field('Piece Count')),
    files: section('FILES').map((line) => line.replace(/ \([^)]*\)$/, '')),
    trackers,
    privacy: field('Privacy'),
  };
}

interface InfoJson {
  infoHash: string;
  name: string;
  length: number;
  pieceLength: number;
  pieceCount: number;
  files: { path: string; length: number }[];
  announce: string[][];
  private: boolean;
}

async function rxInfo(torrent: string): Promise<InfoJson> {
  const result = await runCli(['info', torrent, '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as InfoJson;
}

let work: string;
let content: string;
const sizes: Record<string, number> = {
  'a.bin': 100_000,
  'sub/b.bin': 33_000,
  'sub/empty': 0,
  'sub/deeper/c': 5,
  'sub/deeper/ünïcødé name.txt': 70_001,
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-interop-meta-'));
  content = join(work, 'content');
  await mkdir(join(content, 'sub', 'deeper'), { recursive: true });
  for (const [path, size] of Object.entries(sizes)) {
    await writeFile(join(content, path), randomBytes(size));
  }
  await writeFile(join(work, 'single.iso'), randomBytes(1_000_003));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function expectSameAsShow(info: InfoJson, show: ShowResult): void {
  expect(info.infoHash).toBe(show.hash);
  expect(info.pieceCount).toBe(show.pieceCount);
  // transmission-show lists files sorted by name; the torrent's own order may differ.
  expect(info.files.map((file) => file.path).sort()).toEqual([...show.files].sort());
  expect(info.announce).toEqual(show.trackers);
  expect(info.private).toBe(show.privacy === 'Private torrent');
}

describe('torrents made by other tools', () => {
  it('mktorrent, multi-file with nested folders and a zero-length file', async () => {
    const torrent = join(work, 'mk-multi.torrent');
    await run('mktorrent', ['-a', 'http://127.0.0.1:1/announce,http://127.0.0.1:2/announce',
      '-a', 'udp://127.0.0.1:3', '-l', '15', '-o', torrent, content]);
    const [info, show] = await Promise.all([rxInfo(torrent), transmissionShow(torrent)]);
    expectSameAsShow(info, show);
    expect(info.files).toContainEqual({ path: 'content/sub/empty', length: 0 });
    expect(info.length).toBe(Object.values(sizes).reduce((a, b) => a + b, 0));
    expect(info.pieceLength).toBe(32 * 1024);
  });

  it('mktorrent, single file, private', async () => {
    const torrent = join(work, 'mk-single.torrent');
    await run('mktorrent', ['-p', '-a', 'http://127.0.0.1:1/announce', '-l', '16', '-o', torrent,
      join(work, 'single.iso')]);
    const [info, show] = await Promise.all([rxInfo(torrent), transmissionShow(torrent)]);
    expectSameAsShow(info, show);
    expect(info).toMatchObject({ name: 'single.iso', length: 1_000_003, private: true });
    expect(info.files).toEqual([{ path: 'single.iso', length: 1_000_003 }]);
  });

  it('transmission-create, multi-file', async () => {
    const torrent = join(work, 'tr-multi.torrent');
    await run('transmission-create', ['-o', torrent, '-t', 'http://127.0.0.1:1/announce', '-s', '32', content]);
    const [info, show] = await Promise.all([rxInfo(torrent), transmissionShow(torrent)]);
    expectSameAsShow(info, show);
  });

  it('transmission-create, single file, private, odd piece size', async () => {
    const torrent = join(work, 'tr-single.torrent');
    await run('transmission-create', ['-p', '-o', torrent, '-t', 'http://127.0.0.1:1/announce', '-s', '64',
      join(work, 'single.iso')]);
    const [info, show] = await Promise.all([rxInfo(torrent), transmissionShow(torrent)]);
    expectSameAsShow(info, show);
  });
});

describe('torrents made by rxtorrent create', () => {
  it('read back by transmission-show with the same info hash; piece hashes verify', async () => {
    const torrent = join(work, 'rx-multi.torrent');
    const created = await runCli(['create', content, '-t', 'http://127.0.0.1:1/announce',
      '-t', 'udp://127.0.0.1:2,http://127.0.0.1:3/a', '-l', '32K', '--comment', 'made in a test',
      '-o', torrent]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const [info, show] = await Promise.all([rxInfo(torrent), transmissionShow(torrent)]);
    expectSameAsShow(info, show);
    expect(info.announce).toEqual([['http://127.0.0.1:1/announce'], ['udp://127.0.0.1:2', 'http://127.0.0.1:3/a']]);

    // The pieces must verify against the data, concatenated in the torrent's file order.
    const meta = parseTorrent(await readFile(torrent));
    const data = Buffer.concat(await Promise.all(
      meta.files.map((file) => readFile(join(content, ...file.path))),
    ));
    expect(data.length).toBe(meta.totalLength);
    for (let index = 0; index < meta.pieceCount; index += 1) {
      const piece = data.subarray(index * meta.pieceLength, (index + 1) * meta.pieceLength);
      const digest = createHash('sha1').update(piece).digest();
      expect(Buffer.from(meta.pieceHashes[index] ?? []).equals(digest), `piece ${index}`).toBe(true);
    }
  });

  it('single file, private: transmission-show agrees', async () => {
    const torrent = join(work, 'rx-single.torrent');
    const created = await runCli(['create', join(work, 'single.iso'), '-t', 'http://127.0.0.1:1/announce',
      '--private', '-o', torrent]);
    expect(created.code).toBe(0);
    const [info, show] = await Promise.all([rxInfo(torrent), transmissionShow(torrent)]);
    expectSameAsShow(info, show);
    expect(info.private).toBe(true);
  });
});
