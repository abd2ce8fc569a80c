/**
 * Disk faults under a running client: a full file system (a real tmpfs of a few MiB), an I/O error
 * (a storage that fails on purpose: a real disk cannot produce EIO on demand), a file deleted under
 * a seeder, and a symbolic link that would lead a download out of its folder.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Subscription, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client-types.js';
import { createClient } from '../../src/client/create-client.js';
import type { TorrentEvent } from '../../src/client/torrent-events.js';
import { createTorrent } from '../../src/io/create-torrent.js';
import { type Storage, createFileStorage } from '../../src/io/storage.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';

let work: string;
const clients: Client[] = [];
const cleanups: (() => void)[] = [];

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-disk-'));
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const cleanup of cleanups.splice(0)) cleanup();
  await rm(work, { recursive: true, force: true });
});

function client(options: Parameters<typeof createClient>[0] = {}): Client {
  const c = createClient({ port: 0, host: '127.0.0.1', progressInterval: 200, ...options });
  clients.push(c);
  return c;
}

async function content(root: string, name: string, files: Record<string, number>): Promise<Metainfo> {
  for (const [path, size] of Object.entries(files)) {
    await mkdir(join(root, name, path, '..'), { recursive: true });
    await writeFile(join(root, name, path), randomBytes(size));
  }
  const events = await lastValueFrom(createTorrent(join(root, name), { pieceLength: 64 * 1024 }).pipe(toArray()));
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error('no torrent');
  return done.metainfo;
}

async function seeding(meta: Metainfo, dir: string): Promise<{ port: number; subscription: Subscription; events: TorrentEvent[] }> {
  const seeder = client();
  const events: TorrentEvent[] = [];
  let subscription: Subscription | undefined;
  await new Promise<void>((resolve, reject) => {
    subscription = seeder.add(meta, { dir, seed: true }).subscribe({
      next: (event) => {
        events.push(event);
        if (event.type === 'state' && event.state === 'seeding') resolve();
      },
      error: reject,
    });
  });
  if (subscription === undefined) throw new Error('not subscribed');
  return { port: await seeder.listening, subscription, events };
}

async function sha(path: string): Promise<string> {
  return createHash('sha1').update(await readFile(path)).digest('hex');
}

/** Waits until `events` holds one that matches. */
function waitFor(events: TorrentEvent[], match: (e: TorrentEvent) => boolean): Promise<TorrentEvent> {
  return new Promise((resolve) => {
    const poll = (): void => {
      const found = events.find(match);
      if (found) resolve(found);
      else setTimeout(poll, 20);
    };
    poll();
  });
}

function tryMountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    cleanups.push(() => execFileSync('umount', ['-l', dir], { stdio: 'ignore' }));
    return true;
  } catch {
    return false;
  }
}

describe('disk faults', () => {
  it('a full disk pauses the torrent with a clear message, others carry on, and it completes once space is freed', async (context) => {
    const seedDir = join(work, 'seed');
    const meta = await content(seedDir, 'big', { 'a.bin': 3_000_000, 'b.bin': 1_000_001 });
    const other = await content(seedDir, 'other', { 'c.bin': 900_000 });
    const small = join(work, 'small');
    await mkdir(small);
    if (!tryMountTmpfs(small, '6m')) {
      context.skip(); // needs root to mount a tmpfs; CI runs as root
      return;
    }
    await writeFile(join(small, 'filler'), Buffer.alloc(4 * 1024 * 1024));
    const seeders = await Promise.all([seeding(meta, seedDir), seeding(other, seedDir)]);

    const leecher = client();
    const events: TorrentEvent[] = [];
    const finished = new Promise<void>((resolve, reject) => {
      leecher.add(meta, { dir: small, peers: [{ host: '127.0.0.1', port: seeders[0].port }] }).subscribe({
        next: (event) => events.push(event),
        error: reject,
        complete: resolve,
      });
    });
    const otherDone = lastValueFrom(leecher.add(other, { dir: join(work, 'elsewhere'), peers: [{ host: '127.0.0.1', port: seeders[1].port }] }).pipe(toArray()));

    const full = await waitFor(events, (e) => e.type === 'error' && /no space left/.test(e.message));
    expect(full).toMatchObject({ fatal: false });
    expect(full.type === 'error' && full.message).toMatch(/paused, trying again in \d+ s/);
    await waitFor(events, (e) => e.type === 'state' && e.state === 'paused');
    const piecesBeforeFree = events.filter((e) => e.type === 'progress').at(-1);

    // The other torrent, on another disk, finishes while this one waits.
    expect((await otherDone).map((e) => e.type)).toContain('done');
    await unlink(join(small, 'filler'));
    await finished;
    seeders.forEach((s) => s.subscription.unsubscribe());

    expect(events.at(-1)?.type).toBe('done');
    expect(piecesBeforeFree?.type === 'progress' && piecesBeforeFree.piecesDone).toBeLessThan(meta.pieceCount);
    for (const name of ['a.bin', 'b.bin']) expect(await sha(join(small, 'big', name))).toBe(await sha(join(seedDir, 'big', name)));
  });

  it('an I/O error is retried, then reported; the piece is fetched again and the download completes', async () => {
    const seedDir = join(work, 'seed');
    const meta = await content(seedDir, 'eio', { 'a.bin': 1_500_000 });
    const { port, subscription } = await seeding(meta, seedDir);
    let writes = 0;
    let failing = 0;
    // Writes 7 to 14 fail with EIO: more than the pool's retries of one piece.
    const flaky = (root: string): Storage => {
      const disk = createFileStorage({ root });
      return {
        ...disk,
        write: async (path, offset, data) => {
          writes += 1;
          if (writes >= 7 && writes <= 14) {
            failing += 1;
            throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
          }
          return disk.write(path, offset, data);
        },
      };
    };
    const events = await lastValueFrom(client({ storage: flaky }).add(meta, {
      dir: join(work, 'leech'), peers: [{ host: '127.0.0.1', port }],
    }).pipe(toArray()));
    subscription.unsubscribe();

    expect(failing).toBe(8);
    const errors = events.filter((e) => e.type === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.type === 'error' && !e.fatal && /EIO/.test(e.message))).toBe(true);
    expect(events.at(-1)?.type).toBe('done');
    expect(await sha(join(work, 'leech', 'eio', 'a.bin'))).toBe(await sha(join(seedDir, 'eio', 'a.bin')));
  });

  // A deleted file stays readable through a handle the storage still holds open (POSIX keeps the
  // inode), so truncation is what a running seeder notices at once; a deletion shows once the
  // handle is closed (the same path), or at the next start.
  it('a file truncated under a seeder is noticed on read and the data is checked again', async () => {
    const seedDir = join(work, 'seed');
    const meta = await content(seedDir, 'gone', { 'keep.bin': 700_000, 'lost.bin': 700_000 });
    const mirror = join(work, 'mirror');
    await content(mirror, 'unused', { x: 1 }); // a second honest seeder needs the same data:
    await mkdir(join(mirror, 'gone'), { recursive: true });
    for (const name of ['keep.bin', 'lost.bin']) await writeFile(join(mirror, 'gone', name), await readFile(join(seedDir, 'gone', name)));
    const first = await seeding(meta, seedDir);
    const second = await seeding(meta, mirror);
    await truncate(join(seedDir, 'gone', 'lost.bin'), 1000);

    const events = await lastValueFrom(client().add(meta, {
      dir: join(work, 'leech'), peers: [{ host: '127.0.0.1', port: first.port }, { host: '127.0.0.1', port: second.port }],
    }).pipe(toArray()));
    expect(events.at(-1)?.type).toBe('done');
    expect(await sha(join(work, 'leech', 'gone', 'lost.bin'))).toBe(await sha(join(mirror, 'gone', 'lost.bin')));

    // The first seeder found out, said so, and checked again: it no longer claims the lost pieces.
    await waitFor(first.events, (e) => e.type === 'warning' && /no longer on disk/.test(e.message));
    const states = first.events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.state : ''));
    expect(states.filter((s) => s === 'checking').length).toBe(2);
    const after = await waitFor(first.events, (e) => e.type === 'progress' && e.piecesDone < meta.pieceCount);
    expect(after.type === 'progress' && after.piecesDone).toBeGreaterThan(0);
    first.subscription.unsubscribe();
    second.subscription.unsubscribe();
  });

  it('a symbolic link inside the download folder never leads a write outside it', async () => {
    const seedDir = join(work, 'seed');
    const meta = await content(seedDir, 'trap', { 'a.bin': 300_000 });
    const { port, subscription } = await seeding(meta, seedDir);
    const outside = join(work, 'outside');
    await mkdir(outside);
    const leechDir = join(work, 'leech');
    await mkdir(leechDir);
    await symlink(outside, join(leechDir, 'trap'));

    const events = await lastValueFrom(client().add(meta, { dir: leechDir, peers: [{ host: '127.0.0.1', port }] }).pipe(toArray()));
    subscription.unsubscribe();
    const fatal = events.find((e) => e.type === 'error' && e.fatal);
    expect(fatal?.type === 'error' && fatal.message).toMatch(/would leave/);
    expect(events.at(-1)).toMatchObject({ type: 'state', state: 'error' });
    expect(await readdir(outside)).toEqual([]);
  });
});
