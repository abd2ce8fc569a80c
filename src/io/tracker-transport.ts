/**
 * `defaultTransport`: the `TrackerTransport` the actor uses in production. It picks the edge by
 * the URL's scheme: `http:`/`https:` → `httpAnnounce`, `udp:` → one shared `UdpTrackerClient`.
 */
import { throwError } from '../rx.js';
import type { TrackerTransport } from '../tracker/announce.js';
import { TrackerError } from '../tracker/tracker-error.js';
import { httpAnnounce } from './http-tracker.js';
import type { HttpAnnounceOptions } from './http-tracker.js';
import { UdpTrackerClient } from './udp-tracker.js';

export interface TrackerTransportOptions {
  readonly http?: HttpAnnounceOptions;
  /** Defaults to one client shared by the whole process. */
  readonly udp?: UdpTrackerClient;
}

let processUdpClient: UdpTrackerClient | undefined;

/** The process-wide UDP tracker client (its socket exists only while someone is subscribed). */
export function sharedUdpTrackerClient(): UdpTrackerClient {
  processUdpClient ??= new UdpTrackerClient();
  return processUdpClient;
}

export function defaultTransport(options: TrackerTransportOptions = {}): TrackerTransport {
  const udp = options.udp ?? sharedUdpTrackerClient();
  return (url, params) => {
    const scheme = url.slice(0, url.indexOf(':') + 1).toLowerCase();
    switch (scheme) {
      case 'http:':
      case 'https:':
        return httpAnnounce(url, params, options.http);
      case 'udp:':
        return udp.announce(url, params);
      default:
        return throwError(() => new TrackerError({ kind: 'unsupported-url', url }));
    }
  };
}
