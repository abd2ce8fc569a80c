/**
 * Reads the bencoded body of an HTTP announce response (BEP 3): compact (BEP 23) or dictionary
 * peers, `peers6` (BEP 7), `interval`, `min interval`, `tracker id`, `complete`, `incomplete`,
 * `warning message`. A `failure reason` throws `TrackerError` `failure`; anything unreadable
 * throws `TrackerError` `malformed`. Single bad peer entries are dropped, not fatal.
 */
import { decodeBencode } from '../bencode/index.js';
import type { BencodeValue } from '../bencode/index.js';
import type { AnnounceResponse, PeerAddress } from './announce-types.js';
import { decodeCompactPeers, parseIPv4, parseIPv6 } from './compact-peers.js';
import { TrackerError } from './tracker-error.js';

const MAX_DEPTH = 16;

export function parseHttpAnnounce(bytes: Uint8Array): AnnounceResponse {
  let root: BencodeValue;
  try {
    root = decodeBencode(bytes, { maxDepth: MAX_DEPTH });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TrackerError({ kind: 'malformed', reason });
  }
  if (!(root instanceof Map)) throw malformed('the body is not a dictionary');
  const dict: ReadonlyMap<string, BencodeValue> = root;

  const failure = dict.get('failure reason');
  if (failure !== undefined) {
    throw new TrackerError({ kind: 'failure', reason: failure instanceof Uint8Array ? text(failure) : 'unknown' });
  }

  const interval = dict.get('interval');
  if (!isCount(interval)) throw malformed('missing or invalid "interval"');
  const peers = [...readPeers(dict.get('peers'), 4), ...readPeers(dict.get('peers6'), 6)];

  return {
    peers,
    interval,
    ...optionalCount(dict, 'min interval', 'minInterval'),
    ...optionalCount(dict, 'complete', 'complete'),
    ...optionalCount(dict, 'incomplete', 'incomplete'),
    ...optionalText(dict, 'tracker id', 'trackerId'),
    ...optionalText(dict, 'warning message', 'warning'),
  };
}

function readPeers(value: BencodeValue | undefined, family: 4 | 6): PeerAddress[] {
  if (value === undefined) return [];
  const field = family === 4 ? 'peers' : 'peers6';
  if (value instanceof Uint8Array) {
    const peers = decodeCompactPeers(value, family);
    if (peers === undefined) throw malformed(`"${field}" length ${value.length} is not a whole number of entries`);
    return peers;
  }
  if (Array.isArray(value)) {
    const list: readonly BencodeValue[] = value;
    return list.flatMap((entry) => {
      const peer = readDictionaryPeer(entry);
      return peer === undefined ? [] : [peer];
    });
  }
  throw malformed(`"${field}" is neither a string nor a list`);
}

function readDictionaryPeer(entry: BencodeValue): PeerAddress | undefined {
  if (!(entry instanceof Map)) return undefined;
  const dict: ReadonlyMap<string, BencodeValue> = entry;
  const ip = dict.get('ip');
  const port = dict.get('port');
  if (!(ip instanceof Uint8Array) || typeof port !== 'number') return undefined;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const host = normaliseHost(text(ip));
  return host === undefined ? undefined : { host, port };
}

/** Accepts literal IPv4, IPv6 (brackets removed) and DNS names; rejects anything else. */
function normaliseHost(raw: string): string | undefined {
  const host = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (parseIPv4(host) !== undefined) return host;
  if (host.includes(':')) return parseIPv6(host) !== undefined ? host.toLowerCase() : undefined;
  const isName = host.length <= 253 && /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host);
  return isName ? host : undefined;
}

function optionalCount<K extends string>(
  dict: ReadonlyMap<string, BencodeValue>,
  key: string,
  name: K,
): Partial<Record<K, number>> {
  const value = dict.get(key);
  if (value === undefined) return {};
  if (!isCount(value)) throw malformed(`invalid "${key}"`);
  const out: Partial<Record<K, number>> = {};
  out[name] = value;
  return out;
}

function optionalText<K extends string>(
  dict: ReadonlyMap<string, BencodeValue>,
  key: string,
  name: K,
): Partial<Record<K, string>> {
  const value = dict.get(key);
  if (!(value instanceof Uint8Array)) return {};
  const out: Partial<Record<K, string>> = {};
  out[name] = text(value);
  return out;
}

function isCount(value: BencodeValue | undefined): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function malformed(reason: string): TrackerError {
  return new TrackerError({ kind: 'malformed', reason });
}
