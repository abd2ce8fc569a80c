import { WireError } from './wire-error.js';

/** Azureus-style client prefix (BEP 20): `-`, client code `RX`, version `0001`, `-`. */
export const CLIENT_PREFIX = '-RX0001-';

const PREFIX_BYTES = new TextEncoder().encode(CLIENT_PREFIX);
/** 64 URL-safe characters: a peer id stays printable in logs and in tracker query strings. */
const ALPHABET = new TextEncoder().encode('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_');
const RANDOM_LENGTH = 20 - PREFIX_BYTES.length;

/**
 * A 20-byte peer id: `CLIENT_PREFIX` and 12 printable characters, each taken from the low 6 bits
 * of one byte of `random` (which must hold at least 12 bytes; only the first 12 are used).
 * Pure: the caller supplies the randomness (crypto at the edge, fixed bytes in tests).
 */
export function makePeerId(random: Uint8Array): Uint8Array {
  if (random.length < RANDOM_LENGTH) {
    throw new WireError({ kind: 'bad-field-size', field: 'random', length: random.length, expected: RANDOM_LENGTH });
  }
  const id = new Uint8Array(20);
  id.set(PREFIX_BYTES, 0);
  for (let i = 0; i < RANDOM_LENGTH; i++) {
    id[PREFIX_BYTES.length + i] = ALPHABET[(random[i] ?? 0) & 63] ?? 0;
  }
  return id;
}
