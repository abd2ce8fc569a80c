/** fast-check arbitraries and helpers shared by the wire specs. */
import fc from 'fast-check';
import type { PeerMessage } from '../../src/wire/messages.js';
import { isKnownMessageId } from '../../src/wire/messages.js';

export const fuzzRuns = (fallback: number): number => Number(process.env.FUZZ_RUNS ?? 0) || fallback;

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });

/** Every message kind, with field values anywhere in their wire range. */
export const peerMessage: fc.Arbitrary<PeerMessage> = fc.oneof(
  fc.constant<PeerMessage>({ type: 'keep-alive' }),
  fc.constant<PeerMessage>({ type: 'choke' }),
  fc.constant<PeerMessage>({ type: 'unchoke' }),
  fc.constant<PeerMessage>({ type: 'interested' }),
  fc.constant<PeerMessage>({ type: 'not-interested' }),
  fc.constant<PeerMessage>({ type: 'have-all' }),
  fc.constant<PeerMessage>({ type: 'have-none' }),
  u32.map((index): PeerMessage => ({ type: 'have', index })),
  u32.map((index): PeerMessage => ({ type: 'suggest', index })),
  u32.map((index): PeerMessage => ({ type: 'allowed-fast', index })),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bits): PeerMessage => ({ type: 'bitfield', bits })),
  fc.tuple(u32, u32, u32).map(([index, begin, length]): PeerMessage => ({ type: 'request', index, begin, length })),
  fc.tuple(u32, u32, u32).map(([index, begin, length]): PeerMessage => ({ type: 'cancel', index, begin, length })),
  fc.tuple(u32, u32, u32).map(([index, begin, length]): PeerMessage => ({ type: 'reject', index, begin, length })),
  fc.tuple(u32, u32, bytes(2048)).map(([index, begin, block]): PeerMessage => ({ type: 'piece', index, begin, block })),
  fc.integer({ min: 0, max: 0xffff }).map((port): PeerMessage => ({ type: 'port', port })),
  fc.tuple(fc.integer({ min: 0, max: 255 }), bytes(300)).map(([id, payload]): PeerMessage => ({ type: 'extended', id, payload })),
  fc.tuple(fc.integer({ min: 0, max: 255 }).filter((id) => !isKnownMessageId(id)), bytes(300))
    .map(([id, payload]): PeerMessage => ({ type: 'unknown', id, payload })),
);

/** Cuts `data` into chunks whose sizes cycle through `sizes` (each at least 1). */
export function split(data: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  let i = 0;
  while (at < data.length) {
    const size = Math.max(1, sizes.length === 0 ? data.length : (sizes[i++ % sizes.length] ?? 1));
    out.push(data.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** Chunk sizes: mostly tiny (to cut headers), sometimes large. */
export const chunkSizes: fc.Arbitrary<number[]> = fc.array(
  fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5000 })),
  { maxLength: 20 },
);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
