/**
 * `httpAnnounce`: one HTTP(S) announce as a cold Observable (BEP 3). Subscribing sends the GET,
 * unsubscribing destroys the socket. Bounded everywhere: one deadline for the whole exchange
 * (redirects included), a body size cap checked against `Content-Length` and while streaming, and
 * a redirect limit. Non-2xx statuses and unreadable bodies fail with a typed `TrackerError`.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { Observable } from '../rx.js';
import { announceUrl } from '../tracker/announce-url.js';
import type { AnnounceParams, AnnounceResponse } from '../tracker/announce-types.js';
import { parseHttpAnnounce } from '../tracker/parse-http-announce.js';
import { TrackerError, toTrackerError } from '../tracker/tracker-error.js';

export interface HttpAnnounceOptions {
  /** Deadline for the whole exchange, in ms; default 15 s. */
  readonly timeout?: number;
  /** Largest accepted body, in bytes; default 2 MiB. */
  readonly maxBytes?: number;
  /** Most redirects followed; default 5. */
  readonly maxRedirects?: number;
  readonly userAgent?: string;
}

export const HTTP_ANNOUNCE_DEFAULTS = {
  timeout: 15_000,
  maxBytes: 2 * 1024 * 1024,
  maxRedirects: 5,
  userAgent: 'rxtorrent/0.1',
} as const;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function httpAnnounce(
  url: string,
  params: AnnounceParams,
  options: HttpAnnounceOptions = {},
): Observable<AnnounceResponse> {
  const timeout = options.timeout ?? HTTP_ANNOUNCE_DEFAULTS.timeout;
  const maxBytes = options.maxBytes ?? HTTP_ANNOUNCE_DEFAULTS.maxBytes;
  const maxRedirects = options.maxRedirects ?? HTTP_ANNOUNCE_DEFAULTS.maxRedirects;
  const userAgent = options.userAgent ?? HTTP_ANNOUNCE_DEFAULTS.userAgent;

  return new Observable<AnnounceResponse>((subscriber) => {
    let request: http.ClientRequest | undefined;
    let done = false;
    const fail = (error: TrackerError): void => {
      if (done) return;
      done = true;
      request?.destroy();
      subscriber.error(error);
    };
    const deadline = setTimeout(() => fail(new TrackerError({ kind: 'timeout', ms: timeout })), timeout);

    const get = (target: URL, redirects: number): void => {
      const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
      if (client === undefined) {
        fail(new TrackerError({ kind: 'unsupported-url', url: target.href }));
        return;
      }
      // No keep-alive: announces are minutes apart, and trackers such as opentracker close the
      // connection after answering, which makes a pooled socket fail the next request.
      const req = client.get(target, {
        agent: false,
        headers: { 'user-agent': userAgent, 'accept-encoding': 'identity', connection: 'close' },
      });
      request = req;
      req.on('error', (error) => fail(toTrackerError(error)));
      req.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (REDIRECTS.has(status) && location !== undefined) {
          response.resume();
          req.destroy();
          if (redirects >= maxRedirects) {
            fail(new TrackerError({ kind: 'too-many-redirects', max: maxRedirects }));
            return;
          }
          let next: URL;
          try {
            next = new URL(location, target);
          } catch {
            fail(new TrackerError({ kind: 'bad-redirect', location }));
            return;
          }
          get(next, redirects + 1);
          return;
        }
        if (status < 200 || status > 299) {
          fail(new TrackerError({ kind: 'http-status', status }));
          return;
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          fail(new TrackerError({ kind: 'response-too-large', max: maxBytes }));
          return;
        }
        const chunks: Uint8Array[] = [];
        let size = 0;
        response.on('data', (chunk: Uint8Array) => {
          size += chunk.length;
          if (size > maxBytes) {
            fail(new TrackerError({ kind: 'response-too-large', max: maxBytes }));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => fail(toTrackerError(error)));
        response.on('end', () => {
          if (done) return;
          let parsed: AnnounceResponse;
          try {
            parsed = parseHttpAnnounce(concatBytes(chunks, size));
          } catch (error) {
            fail(toTrackerError(error));
            return;
          }
          done = true;
          clearTimeout(deadline);
          subscriber.next(parsed);
          subscriber.complete();
        });
      });
    };

    let first: URL;
    try {
      first = new URL(announceUrl(url, params));
    } catch {
      fail(new TrackerError({ kind: 'unsupported-url', url }));
      return () => clearTimeout(deadline);
    }
    get(first, 0);

    return () => {
      done = true;
      clearTimeout(deadline);
      request?.destroy();
    };
  });
}

function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
