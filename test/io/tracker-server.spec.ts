import { afterEach, describe, it, expect } from 'vitest';
import * as http from 'node:http';
import * as net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { decodeBencode } from '../../src/bencode/index.js';
import type { BencodeValue } from '../../src/bencode/index.js';
import { createTorrent } from '../../src/io/create-torrent.js';
import { httpAnnounce } from '../../src/io/http-tracker.js';
import { parseRawQuery, startTrackerServer } from '../../src/io/tracker-server.js';
import type { RunningTrackerServer, TrackerServerOptions } from '../../src/io/tracker-server.js';
import { announceUrl } from '../../src/tracker/announce-url.js';
import type { AnnounceParams, AnnounceResponse } from '../../src/tracker/announce-types.js';
import { TrackerError } from '../../src/tracker/tracker-error.js';
import { countResources, waitForResources } from '../support/active-resources.js';
import { aria2Available, runAria2 } from '../support/aria2.js';
import type { RunningAria2 } from '../support/aria2.js';

// Bytes a naive decoder gets wrong: NUL, '%', '+', '&', '=', space, and non-UTF-8 high bytes.
const INFO_HASH = Uint8Array.from([0x00, 0x25, 0xff, 0x2b, 0x26, 0x3d, 0x20, 0x80, 0xc3, 0x28, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xfe]);
const HEX = Buffer.from(INFO_HASH).toString('hex');

const peerId = (n: number): Uint8Array => Uint8Array.from({ length: 20 }, (_, i) => (i === 19 ? n : i === 0 ? 0xff : 0x25));

const params = (port: number, extra: Partial<AnnounceParams> = {}): AnnounceParams => ({
  infoHash: INFO_HASH,
  peerId: peerId(port & 0xff),
  port,
  uploaded: 0,
  downloaded: 0,
  left: 100,
  event: 'started',
  ...extra,
});

const running: RunningTrackerServer[] = [];
async function start(options: TrackerServerOptions = {}): Promise<RunningTrackerServer> {
  const server = await startTrackerServer(options);
  running.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

const announce = (server: RunningTrackerServer, p: AnnounceParams): Promise<AnnounceResponse> =>
  firstValueFrom(httpAnnounce(server.url, p, { timeout: 5_000 }));

/** A plain GET of `url`, the body decoded as bencode (for queries `httpAnnounce` cannot send). */
function getBencoded(url: string): Promise<Map<string, BencodeValue>> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = decodeBencode(Uint8Array.from(Buffer.concat(chunks)));
          if (body instanceof Map) resolve(new Map(body));
          else reject(new Error('body is not a dictionary'));
        });
      })
      .on('error', reject);
  });
}

const failureOf = async (promise: Promise<unknown>): Promise<string> => {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TrackerError) || error.detail.kind !== 'failure') throw new Error(`expected a failure, got ${String(error)}`);
  return error.detail.reason;
};

const text = (value: BencodeValue | undefined): string =>
  value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : `<${typeof value}>`;

describe('startTrackerServer', () => {
  it('listens on 127.0.0.1 and gives its announce URL', async () => {
    const server = await start();
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/announce`);
  });

  it('lets two peers on one IP see each other, never themselves, with counts and interval', async () => {
    const server = await start({ interval: 42 });
    const first = await announce(server, params(7001));
    expect(first.peers).toEqual([]);
    expect(first.interval).toBe(42);
    const second = await announce(server, params(7002, { left: 0 }));
    expect(second.peers).toEqual([{ host: '127.0.0.1', port: 7001 }]);
    expect(second).toMatchObject({ complete: 1, incomplete: 1 });
    const again = await announce(server, params(7001, { event: undefined }));
    expect(again.peers).toEqual([{ host: '127.0.0.1', port: 7002 }]);
    expect(server.peers(HEX).map((peer) => peer.port).sort()).toEqual([7001, 7002]);
  });

  it('round-trips a binary info hash and peer id (0x00, 0x25, 0xff, +, &, =)', async () => {
    const server = await start();
    await announce(server, params(7003, { uploaded: 5, downloaded: 6, left: 7 }));
    const [peer] = server.peers(HEX);
    expect(peer).toMatchObject({ host: '127.0.0.1', port: 7003, uploaded: 5, downloaded: 6, left: 7 });
    expect(peer?.peerId).toEqual(peerId(7003 & 0xff));
    expect(server.peers(HEX.toUpperCase())).toHaveLength(1);
  });

  it('drops a peer on event=stopped', async () => {
    const server = await start();
    await announce(server, params(7004));
    await announce(server, params(7005));
    const stopped = await announce(server, params(7004, { event: 'stopped' }));
    expect(stopped.peers).toEqual([]);
    expect(server.peers(HEX).map((peer) => peer.port)).toEqual([7005]);
    const after = await announce(server, params(7006));
    expect(after.peers).toEqual([{ host: '127.0.0.1', port: 7005 }]);
  });

  it('answers in the dictionary model when compact=0, with peer ids unless no_peer_id=1', async () => {
    const server = await start();
    await announce(server, params(7007));
    const url = announceUrl(server.url, params(7008)).replace('compact=1', 'compact=0');
    const body = await getBencoded(url);
    const peers = body.get('peers');
    expect(Array.isArray(peers)).toBe(true);
    const [entry] = Array.isArray(peers) ? peers : [];
    expect(entry instanceof Map).toBe(true);
    const dict: ReadonlyMap<string, BencodeValue> = entry instanceof Map ? entry : new Map();
    expect(text(dict.get('ip'))).toBe('127.0.0.1');
    expect(dict.get('port')).toBe(7007);
    expect(dict.get('peer id')).toEqual(peerId(7007 & 0xff));

    const bare = await getBencoded(`${url}&no_peer_id=1`);
    const barePeers = bare.get('peers');
    const [bareEntry] = Array.isArray(barePeers) ? barePeers : [];
    expect(bareEntry instanceof Map && bareEntry.has('peer id')).toBe(false);
  });

  it('answers compact peers (6 bytes each) by default', async () => {
    const server = await start();
    await announce(server, params(0x1ae1));
    const body = await getBencoded(announceUrl(server.url, params(7009)));
    expect(body.get('peers')).toEqual(Uint8Array.from([127, 0, 0, 1, 0x1a, 0xe1]));
  });

  it('caps the list at numwant, and at 50 by default', async () => {
    const server = await start();
    for (let port = 8000; port < 8060; port += 1) await announce(server, params(port));
    expect((await announce(server, params(9000, { numWant: 3 }))).peers).toHaveLength(3);
    expect((await announce(server, params(9001, { numWant: 0 }))).peers).toHaveLength(0);
    const all = await announce(server, params(9002));
    expect(all.peers).toHaveLength(50);
    expect(new Set(all.peers.map((peer) => peer.port)).size).toBe(50);
  });

  it('expires peers not heard from for twice the interval', async () => {
    let now = 1_000_000;
    const server = await start({ interval: 10, clock: () => now });
    await announce(server, params(7010));
    now += 15_000;
    await announce(server, params(7011));
    now += 6_000; // 7010 last seen 21 s ago, 7011 6 s ago
    expect(server.peers(HEX).map((peer) => peer.port)).toEqual([7011]);
    expect((await announce(server, params(7012))).peers).toEqual([{ host: '127.0.0.1', port: 7011 }]);
  });

  it('refuses bad requests with a bencoded failure reason', async () => {
    const server = await start({ allow: (hex) => hex === HEX });
    expect(await failureOf(announce(server, params(7013, { infoHash: new Uint8Array(19) })))).toBe(
      'info_hash is 19 bytes, expected 20',
    );
    expect(await failureOf(announce(server, params(7013, { infoHash: new Uint8Array(20) })))).toMatch(/not tracked here/);
    expect(await failureOf(announce(server, params(0)))).toBe('invalid port');
    const missing = await getBencoded(`${server.url}?peer_id=${'a'.repeat(20)}&port=1`);
    expect(text(missing.get('failure reason'))).toBe('missing info_hash');
    const badEscape = await getBencoded(`${server.url}?info_hash=%zz`);
    expect(text(badEscape.get('failure reason'))).toBe('malformed percent-encoding in info_hash');
    const badEvent = await getBencoded(announceUrl(server.url, params(7013)).replace('event=started', 'event=exploded'));
    expect(text(badEvent.get('failure reason'))).toBe('invalid event');
    expect(server.peers(HEX)).toEqual([]);
  });

  it('scrapes seeders, leechers and completions', async () => {
    const server = await start();
    await announce(server, params(7014));
    await announce(server, params(7015, { event: 'completed', left: 0 }));
    const body = await getBencoded(`${server.url.replace('/announce', '/scrape')}?info_hash=${escape(INFO_HASH)}`);
    const files = body.get('files');
    const stats = files instanceof Map ? files.get(Buffer.from(INFO_HASH).toString('latin1')) : undefined;
    expect(stats).toEqual(new Map([['complete', 1], ['downloaded', 1], ['incomplete', 1]]));
  });

  it('closes every connection, a half-sent request too, and leaves no socket open', async () => {
    // Handles of earlier tests' servers and clients go away a moment after they close.
    await waitForResources('TCPServerWrap', 0);
    await waitForResources('TCPSocketWrap', 0);
    const server = await startTrackerServer();
    const client = net.connect(server.port, '127.0.0.1');
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', () => undefined);
    try {
      expect((await announce(server, params(7016))).peers).toEqual([]);
      await new Promise<void>((resolve) => client.write('GET /announce?info_hash=', () => resolve()));
      expect(countResources('TCPServerWrap')).toBe(1);
    } finally {
      await server.close();
      client.destroy();
    }
    await clientClosed;
    await waitForResources('TCPServerWrap', 0);
    await waitForResources('TCPSocketWrap', 0);
    await server.close(); // a second close is harmless
  });
});

describe.skipIf(!aria2Available())('startTrackerServer with aria2c', () => {
  // aria2c 1.36 sends no event=stopped when it gets SIGTERM, so leaving is tested with httpAnnounce only.
  it('tracks an aria2c seeder: it announces with its binary ids, and is handed to the next peer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtorrent-tracker-server-'));
    const server = await start({ interval: 60 });
    let aria2: RunningAria2 | undefined;
    try {
      await writeFile(join(dir, 'data.bin'), Buffer.alloc(100_000, 7));
      const created = await lastValueFrom(createTorrent(join(dir, 'data.bin'), { trackers: [[server.url]] }));
      if (created.type !== 'done') throw new Error('createTorrent did not finish');
      const hex = created.metainfo.infoHashHex;
      await writeFile(join(dir, 'data.torrent'), created.torrent);
      aria2 = await runAria2({ torrent: join(dir, 'data.torrent'), dir, seed: true });
      const seeder = { host: '127.0.0.1', port: aria2.listenPort };
      await until(() => server.peers(hex).some((peer) => peer.port === seeder.port && peer.left === 0), aria2.output);
      const [tracked] = server.peers(hex);
      expect(tracked?.host).toBe('127.0.0.1');
      expect(tracked?.peerId.subarray(0, 3)).toEqual(new TextEncoder().encode('A2-'));
      const leecher = await announce(server, params(7017, { infoHash: created.metainfo.infoHash }));
      expect(leecher.peers).toEqual([seeder]);
      expect(leecher).toMatchObject({ complete: 1, incomplete: 1 });
    } finally {
      await aria2?.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Polls `check` until it holds; fails after `timeoutMs` with `output()` for context. */
async function until(check: () => boolean, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('parseRawQuery', () => {
  it('decodes bytes, not UTF-8, and keeps repeated fields', () => {
    const query = parseRawQuery('info_hash=%00%25%FF+a&x&info_hash=b&=');
    expect(query instanceof Map).toBe(true);
    if (!(query instanceof Map)) return;
    expect(query.get('info_hash')).toEqual([Uint8Array.from([0, 0x25, 0xff, 0x20, 0x61]), Uint8Array.from([0x62])]);
    expect(query.get('x')).toEqual([new Uint8Array(0)]);
  });

  it('rejects a truncated or non-hex escape', () => {
    expect(parseRawQuery('a=%4')).toEqual({ kind: 'bad-escape', field: 'a' });
    expect(parseRawQuery('a=%g0')).toEqual({ kind: 'bad-escape', field: 'a' });
  });
});

function escape(bytes: Uint8Array): string {
  return [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}
