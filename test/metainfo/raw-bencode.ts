/**
 * A tiny raw bencode writer for malformed-torrent corpora: it writes exactly what it is told,
 * in the order given, so specs can produce unsorted or duplicate keys, bad integers and so on.
 */
import { createHash } from 'node:crypto';

export type Raw = Uint8Array;

const encoder = new TextEncoder();

export function raw(...parts: (string | Uint8Array)[]): Raw {
  return rawAll(parts);
}

/** `raw` for many parts (no argument spreading, so 100,000 parts are fine). */
export function rawAll(parts: readonly (string | Uint8Array)[]): Raw {
  const chunks = parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : part));
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export const int = (value: number | string): Raw => raw(`i${value}e`);

export function str(value: string | Uint8Array): Raw {
  const bytes = typeof value === 'string' ? encoder.encode(value) : value;
  return raw(`${bytes.length}:`, bytes);
}

export const list = (...items: Raw[]): Raw => listOf(items);

export const listOf = (items: readonly Raw[]): Raw => rawAll(['l', ...items, 'e']);

/** Entries written in the order given; keys are UTF-8 strings or raw key bytes. */
export const dict = (...entries: [string | Uint8Array, Raw][]): Raw =>
  raw('d', ...entries.flatMap(([key, value]) => [str(key), value]), 'e');

export function sha1(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(bytes).digest());
}

export const sha1Hex = (bytes: Uint8Array): string => createHash('sha1').update(bytes).digest('hex');

/** `count` fake 20-byte piece hashes. */
export const pieces = (count: number): Raw => str(new Uint8Array(count * 20).map((_, i) => i % 251));

/** A whole torrent around `info` (already raw), announce first. */
export const torrent = (info: Raw, ...extra: [string, Raw][]): Raw =>
  dict(['announce', str('http://tracker.example/announce')], ...extra, ['info', info]);
