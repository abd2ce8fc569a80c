/**
 * `UdpTrackerClient`: announces to UDP trackers (BEP 15) over one dgram socket per address
 * family, shared by every tracker and torrent that uses this client. The socket opens with the
 * first subscriber and closes when the last one unsubscribes, so an idle client holds nothing.
 *
 * One announce: connect (unless a connection id for that tracker is younger than 60 s), then
 * announce. Each transmission waits `baseTimeout · 2ⁿ` (n = 0…8, then the request fails) and is
 * retransmitted on silence; n keeps growing across the connect and announce steps. Responses are
 * matched by random transaction id and by source address; anything unknown, spoofed, short or
 * otherwise hostile is ignored, never thrown.
 */
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { Observable } from '../rx.js';
import type { AnnounceParams, AnnounceResponse } from '../tracker/announce-types.js';
import type { AddressFamily } from '../tracker/compact-peers.js';
import { TrackerError, toTrackerError } from '../tracker/tracker-error.js';
import { UDP_MAX_RETRANSMITS, udpTimeout } from '../tracker/udp-timeout.js';
import {
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  peekTransactionId,
} from '../tracker/udp-tracker-messages.js';
import type { UdpResponse } from '../tracker/udp-tracker-messages.js';

export interface UdpTrackerOptions {
  /** The `15` of `15 · 2ⁿ`, in ms; default 15 000. Tests shorten it. */
  readonly baseTimeout?: number;
  /** Highest n before giving up; default 8 (BEP 15). */
  readonly maxRetransmits?: number;
  /** How long a connection id is reused, in ms; default 60 000 (BEP 15). */
  readonly connectionIdTtl?: number;
  /** Clock for the connection id cache; default `Date.now`. */
  readonly now?: () => number;
}

interface Pending {
  readonly address: string;
  readonly port: number;
  readonly onResponse: (response: UdpResponse) => void;
}

interface SharedSocket {
  readonly socket: dgram.Socket;
  readonly family: AddressFamily;
  readonly pending: Map<number, Pending>;
  users: number;
}

interface Target {
  readonly address: string;
  readonly port: number;
  readonly family: AddressFamily;
}

export class UdpTrackerClient {
  private readonly baseTimeout: number;
  private readonly maxRetransmits: number;
  private readonly connectionIdTtl: number;
  private readonly now: () => number;
  private readonly sockets = new Map<AddressFamily, SharedSocket>();
  private readonly connectionIds = new Map<string, { readonly id: Uint8Array; readonly at: number }>();

  constructor(options: UdpTrackerOptions = {}) {
    this.baseTimeout = options.baseTimeout ?? 15_000;
    this.maxRetransmits = Math.min(options.maxRetransmits ?? UDP_MAX_RETRANSMITS, UDP_MAX_RETRANSMITS);
    this.connectionIdTtl = options.connectionIdTtl ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** How many sockets are open now (0 when nobody is subscribed). */
  get openSockets(): number {
    return this.sockets.size;
  }

  announce(url: string, params: AnnounceParams): Observable<AnnounceResponse> {
    return new Observable<AnnounceResponse>((subscriber) => {
      let closed = false;
      let shared: SharedSocket | undefined;
      let transactionId: number | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let n = 0;

      const cleanupStep = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        if (transactionId !== undefined) shared?.pending.delete(transactionId);
        transactionId = undefined;
      };
      const fail = (error: TrackerError): void => {
        if (closed) return;
        cleanupStep();
        subscriber.error(error);
      };

      const transmit = (target: Target, bytes: (id: number) => Uint8Array, onResponse: Pending['onResponse']): void => {
        if (shared === undefined) return;
        cleanupStep();
        const id = this.freshTransactionId(shared);
        transactionId = id;
        shared.pending.set(id, { address: target.address, port: target.port, onResponse });
        shared.socket.send(bytes(id), target.port, target.address, (error) => {
          if (error) fail(toTrackerError(error));
        });
        timer = setTimeout(() => {
          n += 1;
          step(target);
        }, udpTimeout(n, this.baseTimeout));
      };

      const step = (target: Target): void => {
        if (closed) return;
        if (n > this.maxRetransmits) {
          fail(new TrackerError({ kind: 'timeout', ms: totalWait(this.baseTimeout, this.maxRetransmits) }));
          return;
        }
        const key = `${target.address}|${target.port}`;
        const cached = this.connectionIds.get(key);
        if (cached !== undefined && this.now() - cached.at < this.connectionIdTtl) {
          transmit(target, (id) => encodeAnnounceRequest(cached.id, id, params), (response) => {
            if (response.action === 'error') {
              this.connectionIds.delete(key);
              fail(new TrackerError({ kind: 'failure', reason: response.message }));
            } else if (response.action === 'announce') {
              cleanupStep();
              subscriber.next({
                peers: response.peers,
                interval: response.interval,
                complete: response.seeders,
                incomplete: response.leechers,
              });
              subscriber.complete();
            }
          });
          return;
        }
        transmit(target, encodeConnectRequest, (response) => {
          if (response.action === 'error') {
            fail(new TrackerError({ kind: 'failure', reason: response.message }));
          } else if (response.action === 'connect') {
            this.connectionIds.set(key, { id: response.connectionId, at: this.now() });
            step(target);
          }
        });
      };

      const parsed = parseUdpUrl(url);
      if (parsed === undefined) {
        subscriber.error(new TrackerError({ kind: 'unsupported-url', url }));
        return undefined;
      }
      resolve(parsed.host, (error, address, family) => {
        if (closed) return;
        if (error !== undefined || address === undefined || family === undefined) {
          fail(toTrackerError(error ?? new Error(`cannot resolve ${parsed.host}`)));
          return;
        }
        shared = this.acquire(family);
        step({ address, port: parsed.port, family });
      });

      return () => {
        closed = true;
        cleanupStep();
        if (shared !== undefined) this.release(shared);
        shared = undefined;
      };
    });
  }

  private freshTransactionId(shared: SharedSocket): number {
    let id = randomInt(0, 0x1_0000_0000);
    while (shared.pending.has(id)) id = randomInt(0, 0x1_0000_0000);
    return id;
  }

  private acquire(family: AddressFamily): SharedSocket {
    const existing = this.sockets.get(family);
    if (existing !== undefined) {
      existing.users += 1;
      return existing;
    }
    const socket = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    const shared: SharedSocket = { socket, family, pending: new Map(), users: 1 };
    socket.on('message', (message, remote) => deliver(shared, message, remote));
    // Per-request errors arrive through `send` callbacks; a socket error must not crash us.
    socket.on('error', () => undefined);
    this.sockets.set(family, shared);
    return shared;
  }

  private release(shared: SharedSocket): void {
    shared.users -= 1;
    if (shared.users > 0) return;
    this.sockets.delete(shared.family);
    shared.socket.close();
  }
}

function deliver(shared: SharedSocket, message: Uint8Array, remote: dgram.RemoteInfo): void {
  const id = peekTransactionId(message);
  if (id === undefined) return;
  const pending = shared.pending.get(id);
  if (pending === undefined || pending.port !== remote.port || !sameAddress(pending.address, remote.address)) return;
  let response: UdpResponse;
  try {
    response = decodeUdpResponse(message, shared.family);
  } catch {
    return; // a hostile or broken datagram: wait for a good one or the timeout
  }
  pending.onResponse(response);
}

function sameAddress(expected: string, actual: string): boolean {
  return expected.toLowerCase() === actual.toLowerCase() || actual.toLowerCase() === `::ffff:${expected}`;
}

/** `udp://host:port/path` → host (IPv6 without brackets) and port; `undefined` if not usable. */
export function parseUdpUrl(url: string): { readonly host: string; readonly port: number } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const port = Number(parsed.port);
  if (parsed.protocol !== 'udp:' || parsed.hostname === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return undefined;
  }
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { host, port };
}

function resolve(
  host: string,
  callback: (error: Error | undefined, address?: string, family?: AddressFamily) => void,
): void {
  const literal = isIP(host);
  if (literal === 4 || literal === 6) {
    callback(undefined, host, literal);
    return;
  }
  dns.lookup(host, (error, address, family) => {
    if (error) callback(error);
    else callback(undefined, address, family === 6 ? 6 : 4);
  });
}

function totalWait(base: number, maxRetransmits: number): number {
  let total = 0;
  for (let n = 0; n <= maxRetransmits; n += 1) total += udpTimeout(n, base);
  return total;
}
