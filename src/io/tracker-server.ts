/**
 * `startTrackerServer`: a small BEP 3 HTTP tracker for `npm run demo` and for tests, with no
 * dependencies. It keeps the peers of each info hash in memory, keyed by `ip:port` (every peer of
 * a loopback swarm shares 127.0.0.1), and answers `GET /announce` with `interval`, `complete`,
 * `incomplete` and `peers` — compact (BEP 23, IPv6 peers in `peers6`, BEP 7) unless `compact=0`
 * asks for the dictionary model. `GET /scrape` (BEP 48) counts seeders, leechers and completions.
 *
 * Binary values (`info_hash`, `peer_id`) are percent-decoded from the raw query string byte by
 * byte; `URLSearchParams` would decode them as UTF-8 and corrupt them. A bad request gets a
 * bencoded `failure reason` with HTTP 200, as trackers do. The asker never appears in its own
 * list; `event=stopped` drops it; a peer not heard from for 2 × `interval` expires (checked on
 * every request, so the server holds no timer). `close()` ends every connection, keep-alive ones
 * included, and resolves once the port is released.
 */
import * as http from 'node:http';
import { encodeBencode } from '../bencode/index.js';
import type { BencodeValue } from '../bencode/index.js';
import { encodeCompactPeers, parseIPv4, parseIPv6 } from '../tracker/compact-peers.js';

export interface TrackerServerOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Seconds between announces that the tracker asks for; default 60. */
  readonly interval?: number;
  /** Which torrents (lowercase hex info hash) it tracks; default all. */
  readonly allow?: (infoHashHex: string) => boolean;
  /** Milliseconds since the epoch; default `Date.now`. For tests of expiry. */
  readonly clock?: () => number;
  /** In [0, 1); picks which peers to send when there are more than `numwant`. Default `Math.random`. */
  readonly random?: () => number;
}

export interface TrackedPeer {
  readonly host: string;
  readonly port: number;
  readonly peerId: Uint8Array;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  /** `clock()` at the last announce. */
  readonly lastSeen: number;
}

export interface RunningTrackerServer {
  /** The announce URL, `http://host:port/announce`. */
  readonly url: string;
  readonly port: number;
  /** The live peers of one torrent, oldest first. */
  peers(infoHashHex: string): TrackedPeer[];
  close(): Promise<void>;
}

export const TRACKER_SERVER_DEFAULTS = { host: '127.0.0.1', port: 0, interval: 60, numWant: 50, maxNumWant: 200 } as const;

/** Why a request was refused; its text becomes the `failure reason`. */
export type TrackerRequestProblem =
  | { readonly kind: 'bad-escape'; readonly field: string }
  | { readonly kind: 'missing'; readonly field: string }
  | { readonly kind: 'bad-length'; readonly field: string; readonly length: number; readonly expected: number }
  | { readonly kind: 'invalid'; readonly field: string }
  | { readonly kind: 'not-allowed'; readonly infoHashHex: string };

export function describeProblem(problem: TrackerRequestProblem): string {
  switch (problem.kind) {
    case 'bad-escape':
      return `malformed percent-encoding in ${problem.field}`;
    case 'missing':
      return `missing ${problem.field}`;
    case 'bad-length':
      return `${problem.field} is ${problem.length} bytes, expected ${problem.expected}`;
    case 'invalid':
      return `invalid ${problem.field}`;
    case 'not-allowed':
      return `torrent ${problem.infoHashHex} is not tracked here`;
  }
}

type Swarm = { readonly peers: Map<string, TrackedPeer>; completed: number };
type Query = ReadonlyMap<string, readonly Uint8Array[]>;
type EventName = 'started' | 'completed' | 'stopped' | 'paused' | undefined;

export async function startTrackerServer(options: TrackerServerOptions = {}): Promise<RunningTrackerServer> {
  const host = options.host ?? TRACKER_SERVER_DEFAULTS.host;
  const interval = options.interval ?? TRACKER_SERVER_DEFAULTS.interval;
  const clock = options.clock ?? Date.now;
  const random = options.random ?? Math.random;
  const swarms = new Map<string, Swarm>();

  const swarmOf = (hex: string): Swarm => {
    const existing = swarms.get(hex);
    if (existing !== undefined) return existing;
    const created: Swarm = { peers: new Map(), completed: 0 };
    swarms.set(hex, created);
    return created;
  };
  const expire = (): void => {
    const oldest = clock() - 2 * interval * 1000;
    for (const [hex, swarm] of swarms) {
      for (const [key, peer] of swarm.peers) if (peer.lastSeen < oldest) swarm.peers.delete(key);
      if (swarm.peers.size === 0 && swarm.completed === 0) swarms.delete(hex);
    }
  };

  const announce = (query: Query, remote: string): BencodeValue => {
    const infoHash = binary(query, 'info_hash', 20);
    if (!(infoHash instanceof Uint8Array)) return failure(infoHash);
    const hex = toHex(infoHash);
    if (options.allow !== undefined && !options.allow(hex)) return failure({ kind: 'not-allowed', infoHashHex: hex });
    const peerId = binary(query, 'peer_id', 20);
    if (!(peerId instanceof Uint8Array)) return failure(peerId);
    const port = count(query, 'port', undefined, 65535);
    if (typeof port !== 'number') return failure(port);
    if (port === 0) return failure({ kind: 'invalid', field: 'port' });
    const uploaded = count(query, 'uploaded', 0);
    if (typeof uploaded !== 'number') return failure(uploaded);
    const downloaded = count(query, 'downloaded', 0);
    if (typeof downloaded !== 'number') return failure(downloaded);
    const left = count(query, 'left', 0);
    if (typeof left !== 'number') return failure(left);
    const askedWant = count(query, 'numwant', TRACKER_SERVER_DEFAULTS.numWant);
    if (typeof askedWant !== 'number') return failure(askedWant);
    const event = eventOf(query);
    if (event === 'invalid') return failure({ kind: 'invalid', field: 'event' });
    const claimed = text(query, 'ip');
    const address = claimed !== undefined && isIp(claimed) ? claimed : remote;

    const swarm = swarmOf(hex);
    const key = addressKey(address, port);
    if (event === 'stopped') swarm.peers.delete(key);
    else {
      if (event === 'completed' && swarm.peers.get(key)?.left !== 0) swarm.completed += 1;
      swarm.peers.delete(key); // re-insert: the map stays ordered by last announce
      swarm.peers.set(key, { host: address, port, peerId, uploaded, downloaded, left, lastSeen: clock() });
    }
    const others = event === 'stopped' ? [] : [...swarm.peers].filter(([k]) => k !== key).map(([, peer]) => peer);
    const chosen = sample(others, Math.min(askedWant, TRACKER_SERVER_DEFAULTS.maxNumWant), random);
    const seeds = [...swarm.peers.values()].filter((peer) => peer.left === 0).length;
    const response = new Map<string, BencodeValue>([
      ['interval', interval],
      ['complete', seeds],
      ['incomplete', swarm.peers.size - seeds],
    ]);
    if (text(query, 'compact') === '0') {
      const withIds = text(query, 'no_peer_id') !== '1';
      response.set('peers', chosen.map((peer) => dictionaryPeer(peer, withIds)));
    } else {
      const v6 = chosen.filter((peer) => peer.host.includes(':'));
      response.set('peers', encodeCompactPeers(chosen.filter((peer) => !peer.host.includes(':')), 4));
      if (v6.length > 0) response.set('peers6', encodeCompactPeers(v6, 6));
    }
    return response;
  };

  const scrape = (query: Query): BencodeValue => {
    const asked = query.get('info_hash') ?? [];
    if (asked.some((hash) => hash.length !== 20)) return failure({ kind: 'invalid', field: 'info_hash' });
    const hexes = asked.length > 0 ? asked.map(toHex) : [...swarms.keys()];
    const files = new Map<string, BencodeValue>();
    for (const hex of hexes) {
      if (options.allow !== undefined && !options.allow(hex)) continue;
      const swarm = swarms.get(hex);
      const peers = swarm === undefined ? [] : [...swarm.peers.values()];
      const seeds = peers.filter((peer) => peer.left === 0).length;
      files.set(
        String.fromCharCode(...fromHex(hex)),
        new Map<string, BencodeValue>([
          ['complete', seeds],
          ['downloaded', swarm?.completed ?? 0],
          ['incomplete', peers.length - seeds],
        ]),
      );
    }
    return new Map([['files', files]]);
  };

  const server = http.createServer((req, res) => {
    const raw = req.url ?? '/';
    const at = raw.indexOf('?');
    const path = at < 0 ? raw : raw.slice(0, at);
    const reply = (status: number, body: Uint8Array | string, type: string): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body);
    };
    if (req.method !== 'GET' || (path !== '/announce' && path !== '/scrape')) {
      reply(req.method === 'GET' ? 404 : 405, 'not found\n', 'text/plain');
      return;
    }
    expire();
    const query = parseRawQuery(at < 0 ? '' : raw.slice(at + 1));
    const body = !(query instanceof Map) ? failure(query) : path === '/scrape' ? scrape(query) : announce(query, remoteHost(req));
    reply(200, encodeBencode(body), 'text/plain');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? TRACKER_SERVER_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error('tracker server: not listening on an IP port');
  }
  const { port } = address;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/announce`,
    port,
    peers: (infoHashHex) => {
      expire();
      return [...(swarms.get(infoHashHex.toLowerCase())?.peers.values() ?? [])];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

/**
 * Splits a raw query string into fields of bytes. `+` is a space, `%XX` a byte, anything else
 * its char code; a repeated field (scrape's `info_hash`) keeps every value.
 */
export function parseRawQuery(raw: string): Map<string, Uint8Array[]> | TrackerRequestProblem {
  const fields = new Map<string, Uint8Array[]>();
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const nameBytes = percentDecode(eq < 0 ? part : part.slice(0, eq));
    if (nameBytes === undefined) return { kind: 'bad-escape', field: 'a field name' };
    const name = String.fromCharCode(...nameBytes);
    const value = percentDecode(eq < 0 ? '' : part.slice(eq + 1));
    if (value === undefined) return { kind: 'bad-escape', field: name };
    fields.set(name, [...(fields.get(name) ?? []), value]);
  }
  return fields;
}

function percentDecode(text: string): Uint8Array | undefined {
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (code === 0x2b) out.push(0x20);
    else if (code > 0xff) return undefined;
    else out.push(code);
  }
  return Uint8Array.from(out);
}

function binary(query: Query, field: string, length: number): Uint8Array | TrackerRequestProblem {
  const value = query.get(field)?.[0];
  if (value === undefined) return { kind: 'missing', field };
  return value.length === length ? value : { kind: 'bad-length', field, length: value.length, expected: length };
}

function text(query: Query, field: string): string | undefined {
  const value = query.get(field)?.[0];
  return value === undefined ? undefined : String.fromCharCode(...value);
}

/** A non-negative decimal integer, at most `max`; `fallback` when the field is absent. */
function count(query: Query, field: string, fallback: number | undefined, max = Number.MAX_SAFE_INTEGER): number | TrackerRequestProblem {
  const value = text(query, field);
  if (value === undefined) return fallback ?? { kind: 'missing', field };
  // Some clients send -1 for an unknown `left` or `numwant`; count it as 0 / the default.
  if (value === '-1') return field === 'numwant' ? TRACKER_SERVER_DEFAULTS.numWant : 0;
  const parsed = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(parsed) && parsed <= max ? parsed : { kind: 'invalid', field };
}

function eventOf(query: Query): EventName | 'invalid' {
  const value = text(query, 'event');
  if (value === undefined || value === '' || value === 'empty') return undefined;
  return value === 'started' || value === 'completed' || value === 'stopped' || value === 'paused' ? value : 'invalid';
}

function failure(problem: TrackerRequestProblem): BencodeValue {
  return new Map([['failure reason', new TextEncoder().encode(describeProblem(problem))]]);
}

function dictionaryPeer(peer: TrackedPeer, withId: boolean): BencodeValue {
  const entry = new Map<string, BencodeValue>([
    ['ip', new TextEncoder().encode(peer.host)],
    ['port', peer.port],
  ]);
  if (withId) entry.set('peer id', peer.peerId);
  return entry;
}

/** `count` of `items` chosen uniformly (a partial Fisher–Yates shuffle); all of them, in order, when they fit. */
function sample<T>(items: readonly T[], count: number, random: () => number): T[] {
  if (items.length <= count) return [...items];
  const pool = [...items];
  for (let i = 0; i < count; i += 1) {
    const j = i + Math.floor(random() * (pool.length - i));
    const picked = pool[j];
    const current = pool[i];
    if (picked === undefined || current === undefined) break;
    pool[i] = picked;
    pool[j] = current;
  }
  return pool.slice(0, count);
}

function isIp(host: string): boolean {
  return parseIPv4(host) !== undefined || parseIPv6(host) !== undefined;
}

/** The peer's address, with IPv4-mapped IPv6 (`::ffff:127.0.0.1`) written as IPv4. */
function remoteHost(req: http.IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '0.0.0.0';
  return address.startsWith('::ffff:') && parseIPv4(address.slice(7)) !== undefined ? address.slice(7) : address;
}

function addressKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

function fromHex(hex: string): number[] {
  return Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}
