/**
 * Broken trackers must not stop a download. Every fault is a real server on 127.0.0.1: HTTP 500,
 * a `failure reason`, a body that is not bencode, a body of 50 MB (streamed, no Content-Length),
 * a redirect loop, a tracker that accepts the connection and never answers, and a UDP tracker
 * (a bound socket) that never answers.
 *
 * The tracker actor walks tiers one tracker at a time, and gives a silent tracker its whole
 * patience before the next: 15 s for HTTP (the HTTP edge's deadline) and 60 s for UDP (the
 * actor's `requestTimeout`; the UDP client alone would wait 15 · (2⁹ − 1) s). So the fast
 * failures come first, the silent trackers last, and the swarm's peers come either from a
 * working tracker reached after the fast failures, or from `peers`.
 */
import * as dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Subscription, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeBencode } from '../../src/bencode/index.js';
import { createClient } from '../../src/client/create-client.js';
import type { Client } from '../../src/client/client-types.js';
import type { TorrentEvent } from '../../src/client/torrent-events.js';
import { createTorrent } from '../../src/io/create-torrent.js';
import { HTTP_ANNOUNCE_DEFAULTS } from '../../src/io/http-tracker.js';
import { type RunningTrackerServer, startTrackerServer } from '../../src/io/tracker-server.js';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import { boundPort } from '../support/ports.js';
import { differingPaths, makeSwarmData } from '../support/swarm-data.js';

const FILES = [{ path: 'faults/a.bin', size: 700_001 }, { path: 'faults/sub/b.bin', size: 300_000 }];
const PATHS = FILES.map((file) => file.path);
const FIFTY_MB = 50 * 1000 * 1000;

let work: string;
const clients: Client[] = [];
const subscriptions: Subscription[] = [];
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'rxt-trk-'));
});

afterEach(async () => {
  subscriptions.splice(0).forEach((s) => s.unsubscribe());
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(closers.splice(0).map((close) => close()));
  await rm(work, { recursive: true, force: true });
});

// ── the broken trackers ─────────────────────────────────────────────────────────────────────

/** An HTTP server on 127.0.0.1 whose `/announce` is `handler`; closed after the test. */
async function httpTracker(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  closers.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${boundPort(server)}/announce`;
}

/** A bencoded `{ "failure reason": reason }`, as trackers refuse (with HTTP 200). */
const failureBody = (reason: string): Uint8Array => encodeBencode(new Map([['failure reason', new TextEncoder().encode(reason)]]));

const answer = (status: number, body: string | Uint8Array): http.RequestListener => (_req, res) => {
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
  res.end(body);
};

/** 200 with 50 MB of bencode-ish bytes, chunked, written only as fast as the client reads. */
async function hugeTracker(): Promise<{ url: string; sent: () => number }> {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const url = await httpTracker((_req, res) => {
    res.on('error', () => undefined);
    res.writeHead(200, { 'content-type': 'text/plain' }); // no content-length: the client must count
    res.write('d5:peers50000000:');
    const pump = (): void => {
      while (sent < FIFTY_MB && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end('e');
    };
    pump();
  });
  return { url, sent: () => sent };
}

/** Redirects every request to itself (query included), forever. */
async function redirectLoop(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const url = await httpTracker((req, res) => {
    requests += 1;
    res.writeHead(302, { location: req.url ?? '/announce', connection: 'close' });
    res.end();
  });
  return { url, requests: () => requests };
}

/** A TCP server that accepts and never says a word. */
async function silentHttpTracker(): Promise<{ url: string; accepted: () => number }> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  closers.push(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${boundPort(server)}/announce`, accepted: () => accepted };
}

/** A bound UDP socket that reads every datagram and never answers. */
async function deadUdpTracker(): Promise<{ url: string; received: () => number }> {
  let received = 0;
  const socket = dgram.createSocket('udp4');
  socket.on('message', () => {
    received += 1;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  closers.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { url: `udp://127.0.0.1:${boundPort(socket)}/announce`, received: () => received };
}

// ── content, torrents, clients ──────────────────────────────────────────────────────────────

async function torrentOf(path: string): Promise<Metainfo> {
  const events = await lastValueFrom(createTorrent(path, { pieceLength: 16 * 1024 }).pipe(toArray()));
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error('no torrent');
  return done.metainfo;
}

/** The same torrent (same info hash) with other trackers: the announce list is outside `info`. */
function announcing(meta: Metainfo, tiers: readonly (readonly string[])[]): Metainfo {
  return { ...meta, announce: tiers };
}

function client(): Client {
  const c = createClient({ port: 0, host: '127.0.0.1', progressInterval: 200 });
  clients.push(c);
  return c;
}

/** Seeders of `meta` (announcing to its trackers), resolved once every one is seeding. */
async function seeders(count: number, meta: Metainfo, dir: string): Promise<{ host: string; port: number }[]> {
  const started = Array.from({ length: count }, () => client());
  await Promise.all(started.map((seeder) => new Promise<void>((resolve, reject) => {
    subscriptions.push(seeder.add(meta, { dir, seed: true }).subscribe({
      next: (event) => {
        if (event.type === 'state' && event.state === 'seeding') resolve();
        if (event.type === 'error') reject(new Error(`seeder: ${event.message}`));
      },
      error: reject,
    }));
  })));
  return (await Promise.all(started.map((seeder) => seeder.listening))).map((port) => ({ host: '127.0.0.1', port }));
}

/** Polls `condition` on every turn of the event loop; rejects with `what` after `ms`. */
async function until(condition: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const warningsOf = (events: readonly TorrentEvent[]): string[] =>
  events.flatMap((event) => (event.type === 'warning' ? [event.message] : []));

/** The warning that names `url`, if any. */
const warningFor = (warnings: readonly string[], url: string): string | undefined =>
  warnings.find((message) => message.startsWith(`tracker ${url}:`));

// ── the tests ───────────────────────────────────────────────────────────────────────────────

describe('a download survives broken trackers', () => {
  it('falls through tiers of failing HTTP trackers to a working one in the last tier', async () => {
    const seedDir = join(work, 'seed');
    await makeSwarmData(seedDir, { seed: 'tracker-faults', files: FILES });
    const base = await torrentOf(join(seedDir, 'faults'));

    const tracker: RunningTrackerServer = await startTrackerServer();
    closers.push(() => tracker.close());
    await seeders(2, announcing(base, [[tracker.url]]), seedDir);
    await until(() => tracker.peers(base.infoHashHex).length === 2, 'the seeders to announce', 10_000);

    const status500 = await httpTracker(answer(500, 'internal error'));
    const refusing = await httpTracker(answer(200, failureBody('torrent not registered')));
    const notBencode = await httpTracker(answer(200, '<html><body>It works!</body></html>'));
    const huge = await hugeTracker();
    const loop = await redirectLoop();
    const broken = [status500, refusing, notBencode, huge.url, loop.url];
    const meta = announcing(base, [[status500, refusing, notBencode], [huge.url, loop.url], [tracker.url]]);

    const leechDir = join(work, 'leech');
    // No `peers`: the seeders can only come from the tracker in the last tier.
    const events = await lastValueFrom(client().add(meta, { dir: leechDir }).pipe(toArray()));

    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(events.at(-1)?.type).toBe('done');
    expect(await differingPaths(seedDir, leechDir, PATHS)).toEqual([]);

    const warnings = warningsOf(events);
    expect(warningFor(warnings, refusing)).toBe(`tracker ${refusing}: tracker: refused: torrent not registered`);
    expect(warningFor(warnings, status500)).toContain('HTTP status 500');
    expect(warningFor(warnings, notBencode)).toContain('malformed response');
    expect(warningFor(warnings, huge.url)).toContain(`response larger than ${HTTP_ANNOUNCE_DEFAULTS.maxBytes} bytes`);
    expect(warningFor(warnings, loop.url)).toContain(`more than ${HTTP_ANNOUNCE_DEFAULTS.maxRedirects} redirects`);
    expect(warnings.filter((message) => !broken.some((url) => message.startsWith(`tracker ${url}:`)))).toEqual([]);
    // The client hung up after its 2 MiB cap (the rest is socket buffers), not at 50 MB, and
    // stopped following the loop.
    expect(huge.sent()).toBeLessThan(20_000_000);
    expect(loop.requests()).toBe(HTTP_ANNOUNCE_DEFAULTS.maxRedirects + 1);
  });

  it('downloads from known peers while every tracker fails or stays silent', async () => {
    const seedDir = join(work, 'seed');
    await makeSwarmData(seedDir, { seed: 'tracker-faults-2', files: FILES });
    const base = await torrentOf(join(seedDir, 'faults'));
    const peers = await seeders(2, announcing(base, []), seedDir);

    const status500 = await httpTracker(answer(500, 'internal error'));
    const refusing = await httpTracker(answer(200, failureBody('go away')));
    const notBencode = await httpTracker(answer(200, 'not bencode at all'));
    const huge = await hugeTracker();
    const loop = await redirectLoop();
    const silent = await silentHttpTracker();
    const deadUdp = await deadUdpTracker();
    const fast = [status500, refusing, notBencode, huge.url, loop.url];
    // Silent trackers last: each holds the round up for its whole timeout.
    const meta = announcing(base, [fast, [silent.url], [deadUdp.url]]);

    // `seed: true` keeps the torrent (and its tracker actor) running after the download, so the
    // warnings of the slow trackers can still arrive.
    const events: TorrentEvent[] = [];
    let streamError: unknown;
    subscriptions.push(client().add(meta, { dir: join(work, 'leech'), peers, seed: true }).subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => {
        streamError = error;
      },
    }));

    await until(() => events.some((e) => e.type === 'done') || streamError !== undefined, 'done', 20_000);
    expect(streamError).toBeUndefined();
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(await differingPaths(seedDir, join(work, 'leech'), PATHS)).toEqual([]);

    // Every fast failure is reported; the silent HTTP tracker was reached and is reported once
    // the HTTP deadline passes; then the round moves on and asks the UDP tracker.
    await until(() => fast.every((url) => warningFor(warningsOf(events), url) !== undefined), 'the fast warnings', 10_000);
    expect(silent.accepted()).toBeGreaterThanOrEqual(1);
    await until(() => warningFor(warningsOf(events), silent.url) !== undefined, 'the silent tracker warning', HTTP_ANNOUNCE_DEFAULTS.timeout + 10_000);
    expect(warningFor(warningsOf(events), silent.url)).toContain(`no answer within ${HTTP_ANNOUNCE_DEFAULTS.timeout} ms`);
    await until(() => deadUdp.received() >= 1, 'a datagram at the UDP tracker', 10_000);
    // Its own warning would take the actor's 60 s `requestTimeout`; the download did not wait for it.
    expect(warningFor(warningsOf(events), deadUdp.url)).toBeUndefined();
    expect(events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? e.state : ''))).toEqual(['checking', 'downloading', 'seeding']);
  }, 45_000);
});
