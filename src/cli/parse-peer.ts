import { isIPv4, isIPv6 } from 'node:net';
import type { PeerAddress } from '../tracker/announce-types.js';
import { UsageError } from './cli-error.js';

const EXAMPLE = 'e.g. 10.0.0.2:6881, peer.example:51413 or [::1]:6881';
const HOSTNAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * Parses `--peer HOST:PORT`: an IPv4 address or a host name before the colon, or an IPv6
 * address in brackets (`[::1]:6881`, returned without them). Anything else is a `UsageError`
 * that names the value and shows the accepted forms.
 */
export function parsePeer(text: string): PeerAddress {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  if (bracketed) {
    const host = bracketed[1] ?? '';
    if (!isIPv6(host)) throw peerError(text, `"${host}" is not an IPv6 address`);
    return { host, port: parsePort(text, bracketed[2] ?? '') };
  }
  if (text.startsWith('[')) throw peerError(text, 'write a bracketed IPv6 address and its port, like [::1]:6881');
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw peerError(text, 'the port is missing');
  const host = text.slice(0, colon);
  if (host.includes(':')) {
    throw peerError(text, isIPv6(host) || isIPv6(text)
      ? 'write an IPv6 address in brackets, like [::1]:6881'
      : 'too many colons');
  }
  if (host.length === 0) throw peerError(text, 'the host is missing');
  const looksNumeric = /^[\d.]+$/.test(host);
  if (looksNumeric ? !isIPv4(host) : !HOSTNAME.test(host)) {
    throw peerError(text, `"${host}" is not an IPv4 address or a host name`);
  }
  return { host, port: parsePort(text, text.slice(colon + 1)) };
}

/** Parses every `--peer` value; the first bad one is the error. */
export function parsePeers(values: readonly string[]): PeerAddress[] {
  return values.map(parsePeer);
}

function parsePort(text: string, port: string): number {
  if (port.length === 0) throw peerError(text, 'the port is missing');
  const value = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
  if (!(value >= 1 && value <= 65_535)) throw peerError(text, `port "${port}" is not a number from 1 to 65535`);
  return value;
}

function peerError(text: string, reason: string): UsageError {
  return new UsageError(`--peer "${text}": ${reason} (expected HOST:PORT, ${EXAMPLE})`);
}
