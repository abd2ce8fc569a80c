import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTorrent, readTorrentFile } from '../../src/io/read-torrent.js';
import { buildMetainfo, MetainfoError } from '../../src/metainfo/index.js';
import type { MetainfoErrorDetail } from '../../src/metainfo/index.js';

const torrentBytes = buildMetainfo({
  name: 'x.bin',
  files: [{ path: [], length: 40 }],
  singleFile: true,
  pieceLength: 32,
  pieceHashes: new Uint8Array(40),
  announce: [['http://t/announce']],
});

async function rejection(promise: Promise<unknown>): Promise<MetainfoErrorDetail> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MetainfoError);
  if (!(error instanceof MetainfoError)) throw new Error('expected a MetainfoError');
  return error.detail;
}

describe('parseTorrent / readTorrentFile', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxtorrent-read-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses bytes with node:crypto SHA-1 over the raw info value', () => {
    const meta = parseTorrent(torrentBytes);
    expect(meta.infoHashHex).toBe(createHash('sha1').update(meta.infoBytes).digest('hex'));
    expect(meta.infoHashHex).toMatch(/^[0-9a-f]{40}$/);
    expect(meta.name).toBe('x.bin');
  });

  it('reads a .torrent file', async () => {
    const path = join(dir, 'x.torrent');
    await writeFile(path, torrentBytes);
    const meta = await readTorrentFile(path);
    expect(meta.infoHashHex).toBe(parseTorrent(torrentBytes).infoHashHex);
    expect(meta.announce).toEqual([['http://t/announce']]);
  });

  it('fails with file-not-found for a missing file', async () => {
    const path = join(dir, 'missing.torrent');
    expect(await rejection(readTorrentFile(path))).toEqual({ kind: 'file-not-found', path });
  });

  it('refuses a file over the size limit without parsing it', async () => {
    const path = join(dir, 'big.torrent');
    await writeFile(path, torrentBytes);
    expect(await rejection(readTorrentFile(path, { maxTorrentBytes: 10 }))).toEqual({
      kind: 'torrent-too-large',
      size: torrentBytes.length,
      max: 10,
    });
  });

  it('reports a folder as read-failed and a bad file as a parse error', async () => {
    const folder = join(dir, 'folder.torrent');
    await mkdir(folder);
    expect((await rejection(readTorrentFile(folder))).kind).toBe('read-failed');
    const bad = join(dir, 'bad.torrent');
    await writeFile(bad, 'd4:infoi1ee');
    expect(await rejection(readTorrentFile(bad))).toEqual({ kind: 'wrong-type', key: 'info', expected: 'dictionary' });
  });
});
