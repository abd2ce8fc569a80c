/**
 * Load: one leecher holding 20 torrents at once, each from the same 10 seeder clients, so the
 * leecher holds 200 peer connections. Every torrent must complete with identical bytes; the test
 * prints the peak RSS of the process (seeders included: they share it) and the most peers the
 * leecher reported connected at one moment, and checks that it really held most of the 200.
 *
 * The leecher runs with `seed: true` so that a torrent that finishes early keeps its sessions
 * while the others are still downloading; otherwise the fastest torrents would close theirs
 * before the slowest opened all of theirs, and the peak would measure the scheduler, not the
 * client. Each torrent's stream is ended once all 20 are done and have reported their peers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Subscription, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/create-client.js';
import type { Client } from '../../src/client/client-types.js';
import type { TorrentEvent } from '../../src/client/torrent-events.js';
import { createTorrent } from '../../src/io/create-torrent.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import { differingPaths, makeSwarmData } from '../support/swarm-data.js';

const TORRENTS = 20;
const SEEDERS = 10;
const PIECE = 16 * 1024;
/** 256 KiB … 512 KiB, odd lengths, so last pieces are short. */
const sizeOf = (i: number): number => 256 * 1024 + i * 13_107 + 7;

let work: string;
const clients: Client[] = [];
const subscriptions: Subscription[] = [];

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-load-'));
});

afterEach(async () => {
  subscriptions.splice(0).forEach((s) => s.unsubscribe());
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await rm(work, { recursive: true, force: true });
});

async function torrentOf(path: string): Promise<Metainfo> {
  const events = await lastValueFrom(createTorrent(path, { pieceLength: PIECE }).pipe(toArray()));
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error(`no torrent for ${path}`);
  return done.metainfo;
}

function client(maxConnections: number): Client {
  const c = createClient({ port: 0, host: '127.0.0.1', progressInterval: 100, maxConnections });
  clients.push(c);
  return c;
}

/** Resolves once `seeder` reports `seeding` for `meta`; rejects on an error event. */
function seed(seeder: Client, meta: Metainfo, dir: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    subscriptions.push(seeder.add(meta, { dir, seed: true }).subscribe({
      next: (event) => {
        if (event.type === 'state' && event.state === 'seeding') resolve();
        if (event.type === 'error') reject(new Error(`seeder: ${event.message}`));
      },
      error: reject,
      complete: () => reject(new Error('seeder stream completed')),
    }));
  });
}

describe('load: one leecher, 20 torrents, 10 seeders each', () => {
  it('holds about 200 connections and completes every torrent with identical bytes', async () => {
    const rssAtStart = process.memoryUsage().rss;
    const seedDir = join(work, 'seed');
    const names = Array.from({ length: TORRENTS }, (_, i) => `t${String(i).padStart(2, '0')}`);
    const paths = names.map((name) => `${name}/data.bin`);
    await makeSwarmData(seedDir, { seed: 'load', files: paths.map((path, i) => ({ path, size: sizeOf(i) })) });
    const metas: Metainfo[] = [];
    for (const name of names) metas.push(await torrentOf(join(seedDir, name)));

    const seeders = Array.from({ length: SEEDERS }, () => client(TORRENTS + 10));
    await Promise.all(seeders.flatMap((seeder) => metas.map((meta) => seed(seeder, meta, seedDir))));
    const peers = (await Promise.all(seeders.map((seeder) => seeder.listening))).map((port) => ({ host: '127.0.0.1', port }));

    const rssBeforeLeecher = process.memoryUsage().rss;
    const leecher = client(TORRENTS * SEEDERS + 50);
    const leechDir = join(work, 'leech');
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 100);
    const latestPeers = new Map<string, number>();
    const done = new Set<string>();
    /** Torrents that reported progress after everything was done: the peak is then final. */
    const reportedAfterAllDone = new Set<string>();
    const errors: string[] = [];
    let peakPeers = 0;
    let peakWhileDownloading = 0;
    const started = Date.now();
    try {
      await new Promise<void>((resolve, reject) => {
        const finished = (): void => {
          if (reportedAfterAllDone.size === TORRENTS) resolve();
        };
        for (const meta of metas) {
          subscriptions.push(leecher.add(meta, { dir: leechDir, peers, seed: true }).subscribe({
            next: (event: TorrentEvent) => {
              if (event.type === 'progress') {
                latestPeers.set(event.infoHash, event.peers);
                const connected = [...latestPeers.values()].reduce((a, b) => a + b, 0);
                peakPeers = Math.max(peakPeers, connected);
                if (done.size < TORRENTS) peakWhileDownloading = Math.max(peakWhileDownloading, connected);
                if (done.size === TORRENTS) reportedAfterAllDone.add(event.infoHash);
              }
              if (event.type === 'done') done.add(event.infoHash);
              if (event.type === 'error') errors.push(`${meta.name}: ${event.message}`);
              finished();
            },
            error: reject,
            complete: () => reject(new Error(`${meta.name}: stream completed while seeding`)),
          }));
        }
      });
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    subscriptions.splice(0).forEach((s) => s.unsubscribe());

    const totalBytes = metas.reduce((sum, meta) => sum + meta.totalLength, 0);
    const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `load: ${TORRENTS} torrents × ${SEEDERS} seeders, ${mib(totalBytes)} in ${seconds.toFixed(2)} s; ` +
      `peak connected peers ${peakPeers} (of ${TORRENTS * SEEDERS}; ${peakWhileDownloading} before the last torrent finished); peak RSS ${mib(peakRss)} ` +
      `(one process: ${mib(rssAtStart)} at start, ${mib(rssBeforeLeecher)} with the ${SEEDERS} seeders ready)`,
    );

    expect(errors).toEqual([]);
    expect(done.size).toBe(TORRENTS);
    expect(peakPeers).toBeGreaterThanOrEqual(150);
    expect(await differingPaths(seedDir, leechDir, paths)).toEqual([]);
  });
});
