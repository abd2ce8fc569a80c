/** The CLI as a user meets it: the real `bin/rxtorrent` in a child process, real files. */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, run, runCli } from '../support/run-cli.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-cli-'));
  await mkdir(join(work, 'album', 'disc 2'), { recursive: true });
  await writeFile(join(work, 'album', '01.flac'), randomBytes(50_000));
  await writeFile(join(work, 'album', 'disc 2', '01.flac'), randomBytes(70_000));
  await writeFile(join(work, 'album', 'cover.jpg'), randomBytes(3_000));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function expectOneLineError(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^rxtorrent: /);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('bin/rxtorrent executed as a program', () => {
  // The other tests run `node bin/rxtorrent`, which skips the shebang and its V8 flags.
  it('starts through its shebang, flags and all, and prints the package version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as
      { version: string };
    expect((await run(BIN, ['--version'])).trim()).toBe(version);
  });
});

describe('usage', () => {
  it('exits 2 with one line when no command is given', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr);
  });

  it('exits 2 on an unknown option', async () => {
    const result = await runCli(['info', 'x.torrent', '--bogus']);
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr);
    expect(result.stderr).toMatch(/bogus/);
  });

  it('prints help with examples and exits 0', async () => {
    const result = await runCli(['create', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--tracker/);
    expect(result.stdout).toMatch(/Examples:/);
  });
});

describe('create and info', () => {
  it('creates a torrent, shows it as a tree and as JSON', async () => {
    const torrent = join(work, 'album.torrent');
    const created = await runCli(['create', join(work, 'album'), '-t', 'http://127.0.0.1:6969/announce',
      '--comment', 'hi', '-o', torrent]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/info hash [0-9a-f]{40}/);

    const json = await runCli(['info', torrent, '--json']);
    expect(json.code).toBe(0);
    const info = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(info).toMatchObject({
      name: 'album',
      length: 123_000,
      announce: [['http://127.0.0.1:6969/announce']],
      private: false,
      comment: 'hi',
    });
    expect(info.infoHash).toMatch(/^[0-9a-f]{40}$/);
    expect(created.stdout).toContain(String(info.infoHash));
    expect(info.files).toEqual([
      { path: 'album/01.flac', length: 50_000 },
      { path: 'album/cover.jpg', length: 3_000 },
      { path: 'album/disc 2/01.flac', length: 70_000 },
    ]);
    expect(Number(info.pieceCount)).toBe(Math.ceil(123_000 / Number(info.pieceLength)));

    const text = await runCli(['info', torrent]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Info hash:    ${String(info.infoHash)}`);
    expect(text.stdout).toMatch(/^ {2}album\/ {2}120 KiB$/m);
    expect(text.stdout).toMatch(/^ {4}disc 2\/ {2}68\.4 KiB$/m);
    expect(text.stdout).toMatch(/^ {6}01\.flac {2}68\.4 KiB$/m);
    expect(text.stdout).toMatch(/tier 1: http:\/\/127\.0\.0\.1:6969\/announce/);
  });

  it('refuses to overwrite an existing torrent without --force', async () => {
    const torrent = join(work, 'exists.torrent');
    await writeFile(torrent, 'keep me');
    const result = await runCli(['create', join(work, 'album'), '-o', torrent]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr);
    expect(await readFile(torrent, 'utf8')).toBe('keep me');
    const forced = await runCli(['create', join(work, 'album'), '-o', torrent, '--force']);
    expect(forced.code).toBe(0);
    expect((await readFile(torrent)).subarray(0, 1).toString()).toBe('d');
  });

  it('rejects a tracker that is not a URL as a usage error', async () => {
    const result = await runCli(['create', join(work, 'album'), '-t', 'not a url', '-o', join(work, 'x.torrent')]);
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr);
  });

  it('rejects a malformed piece length as a usage error', async () => {
    const result = await runCli(['create', join(work, 'album'), '-l', 'huge', '-o', join(work, 'y.torrent')]);
    expect(result.code).toBe(2);
    expectOneLineError(result.stderr);
  });
});

describe('bad input', () => {
  it('a missing torrent file is one line and exit 1', async () => {
    const result = await runCli(['info', join(work, 'nope.torrent')]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr);
  });

  it.each([
    ['not bencode', 'hello world'],
    ['trailing garbage', 'd4:infode e'],
    ['leading zero', 'd4:infod6:lengthi012eee'],
    ['pieces not a multiple of 20', 'd4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces3:abcee'],
    ['path escaping with ..', 'd4:infod5:filesld6:lengthi1e4:pathl2:..1:xeee4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee'],
  ])('%s is one line and exit 1', async (_label, body) => {
    const torrent = join(work, `bad-${_label.replace(/\W+/g, '-')}.torrent`);
    await writeFile(torrent, body);
    const result = await runCli(['info', torrent]);
    expect(result.code).toBe(1);
    expectOneLineError(result.stderr);
    expect(result.stdout).toBe('');
  });
});
