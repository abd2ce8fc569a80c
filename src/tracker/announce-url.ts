/**
 * The GET URL of an HTTP announce (BEP 3, BEP 23 `compact=1`). Binary values (info hash, peer
 * id) are percent-encoded byte by byte: every byte outside the RFC 3986 unreserved set becomes
 * `%XX`. A query string already in the tracker URL (e.g. a passkey) is kept; a fragment is not.
 */
import type { AnnounceParams } from './announce-types.js';

export function announceUrl(base: string, params: AnnounceParams): string {
  const hashAt = base.indexOf('#');
  const withoutFragment = hashAt >= 0 ? base.slice(0, hashAt) : base;
  const separator = !withoutFragment.includes('?')
    ? '?'
    : withoutFragment.endsWith('?') || withoutFragment.endsWith('&')
      ? ''
      : '&';
  const fields: [string, string][] = [
    ['info_hash', percentEncodeBytes(params.infoHash)],
    ['peer_id', percentEncodeBytes(params.peerId)],
    ['port', integer(params.port)],
    ['uploaded', integer(params.uploaded)],
    ['downloaded', integer(params.downloaded)],
    ['left', integer(params.left)],
    ['compact', '1'],
  ];
  if (params.event !== undefined) fields.push(['event', params.event]);
  if (params.numWant !== undefined) fields.push(['numwant', integer(params.numWant)]);
  if (params.key !== undefined) fields.push(['key', (params.key >>> 0).toString(16).padStart(8, '0')]);
  if (params.trackerId !== undefined) {
    fields.push(['trackerid', percentEncodeBytes(new TextEncoder().encode(params.trackerId))]);
  }
  return withoutFragment + separator + fields.map(([name, value]) => `${name}=${value}`).join('&');
}

/** `%XX` for every byte that is not `A-Z a-z 0-9 - . _ ~`. */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x2d ||
    byte === 0x2e ||
    byte === 0x5f ||
    byte === 0x7e
  );
}

/** Trackers expect plain decimal integers; negatives and fractions make no sense here. */
function integer(value: number): string {
  return Number.isFinite(value) ? String(Math.max(0, Math.floor(value))) : '0';
}
