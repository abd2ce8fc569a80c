/**
 * Compact peer lists (BEP 23 for IPv4, BEP 7 for IPv6): each peer is its address bytes followed
 * by a big-endian port. Peers with port 0 cannot be dialled and are dropped.
 */
import type { PeerAddress } from './announce-types.js';

export type AddressFamily = 4 | 6;

const ADDRESS_BYTES: Record<AddressFamily, number> = { 4: 4, 6: 16 };

/** Bytes per peer entry: 6 for IPv4, 18 for IPv6. */
export function compactPeerSize(family: AddressFamily): number {
  return ADDRESS_BYTES[family] + 2;
}

/**
 * Decodes `bytes` as whole compact peer entries. Returns `undefined` when the length is not a
 * multiple of the entry size, so callers can report the response as malformed.
 */
export function decodeCompactPeers(bytes: Uint8Array, family: AddressFamily): PeerAddress[] | undefined {
  const size = compactPeerSize(family);
  if (bytes.length % size !== 0) return undefined;
  const peers: PeerAddress[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    const addressEnd = at + ADDRESS_BYTES[family];
    const port = ((bytes[addressEnd] ?? 0) << 8) | (bytes[addressEnd + 1] ?? 0);
    if (port === 0) continue;
    const address = bytes.subarray(at, addressEnd);
    peers.push({ host: family === 4 ? formatIPv4(address) : formatIPv6(address), port });
  }
  return peers;
}

/** The inverse of `decodeCompactPeers`, for literal IP hosts of the given family. */
export function encodeCompactPeers(peers: readonly PeerAddress[], family: AddressFamily): Uint8Array {
  const size = compactPeerSize(family);
  const out = new Uint8Array(peers.length * size);
  peers.forEach((peer, i) => {
    const address = family === 4 ? parseIPv4(peer.host) : parseIPv6(peer.host);
    if (address === undefined) throw new RangeError(`not an IPv${family} address: ${peer.host}`);
    out.set(address, i * size);
    out[i * size + size - 2] = (peer.port >> 8) & 0xff;
    out[i * size + size - 1] = peer.port & 0xff;
  });
  return out;
}

export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0] ?? 0}.${bytes[1] ?? 0}.${bytes[2] ?? 0}.${bytes[3] ?? 0}`;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes[i] = Number(part);
  }
  return bytes;
}

/** Parses IPv6 text (with `::`, optionally a trailing dotted IPv4); no zone ids, no brackets. */
export function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (v4 === undefined) return undefined;
        groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}
