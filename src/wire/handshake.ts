import { WireError } from './wire-error.js';

/**
 * The BEP 3 handshake: `\x13BitTorrent protocol`, 8 reserved bytes, the 20-byte info hash and
 * the 20-byte peer id; 68 bytes in all.
 */
export const HANDSHAKE_LENGTH = 68;
export const PROTOCOL = 'BitTorrent protocol';
/** The first 20 bytes of every handshake: the length byte and the protocol string. */
export const HANDSHAKE_PREFIX: Uint8Array = new TextEncoder().encode(`\x13${PROTOCOL}`);

/** Capabilities announced in the reserved bytes. */
export interface Extensions {
  /** BEP 6 fast extension: reserved[7] & 0x04. */
  readonly fast: boolean;
  /** BEP 10 extension protocol: reserved[5] & 0x10. */
  readonly extended: boolean;
  /** BEP 5 DHT (the peer sends `port`): reserved[7] & 0x01. */
  readonly dht: boolean;
}

export interface HandshakeInput {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  /** 8 bytes; all zero when absent. Build it with `encodeReserved`. */
  readonly reserved?: Uint8Array;
}

/** A received handshake. `type` lets it travel in the same stream as peer messages. */
export interface Handshake {
  readonly type: 'handshake';
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly reserved: Uint8Array;
  readonly extensions: Extensions;
}

export function encodeHandshake(input: HandshakeInput): Uint8Array {
  const reserved = input.reserved ?? new Uint8Array(8);
  checkSize('reserved', reserved, 8);
  checkSize('infoHash', input.infoHash, 20);
  checkSize('peerId', input.peerId, 20);
  const out = new Uint8Array(HANDSHAKE_LENGTH);
  out.set(HANDSHAKE_PREFIX, 0);
  out.set(reserved, 20);
  out.set(input.infoHash, 28);
  out.set(input.peerId, 48);
  return out;
}

/**
 * Decodes exactly 68 bytes. Throws WireError `bad-handshake-length` or `bad-protocol`.
 * The returned byte fields are copies: they outlive the buffer they came from.
 */
export function decodeHandshake(bytes: Uint8Array): Handshake {
  if (bytes.length !== HANDSHAKE_LENGTH) throw new WireError({ kind: 'bad-handshake-length', length: bytes.length });
  const mismatch = handshakePrefixMismatch(bytes);
  if (mismatch) throw mismatch;
  const reserved = bytes.slice(20, 28);
  return {
    type: 'handshake',
    infoHash: bytes.slice(28, 48),
    peerId: bytes.slice(48, 68),
    reserved,
    extensions: decodeReserved(reserved),
  };
}

/**
 * Checks the first `min(bytes.length, 20)` bytes against `\x13BitTorrent protocol`, so a stream
 * decoder can reject a non-BitTorrent peer (MSE, HTTP) from its first byte on.
 * Returns the error to throw, or undefined when the bytes so far agree.
 */
export function handshakePrefixMismatch(bytes: Uint8Array): WireError | undefined {
  const n = Math.min(bytes.length, HANDSHAKE_PREFIX.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== HANDSHAKE_PREFIX[i]) {
      return new WireError({
        kind: 'bad-protocol',
        pstrlen: bytes[0] ?? 0,
        protocol: String.fromCharCode(...bytes.subarray(1, n)),
      });
    }
  }
  return undefined;
}

/** Builds the 8 reserved bytes announcing the given capabilities. */
export function encodeReserved(flags: Partial<Extensions>): Uint8Array {
  const reserved = new Uint8Array(8);
  if (flags.extended === true) reserved[5] = 0x10;
  reserved[7] = (flags.fast === true ? 0x04 : 0) | (flags.dht === true ? 0x01 : 0);
  return reserved;
}

/** Reads the capabilities from 8 reserved bytes; unknown bits are ignored. */
export function decodeReserved(reserved: Uint8Array): Extensions {
  const last = reserved[7] ?? 0;
  return {
    fast: (last & 0x04) !== 0,
    extended: ((reserved[5] ?? 0) & 0x10) !== 0,
    dht: (last & 0x01) !== 0,
  };
}

function checkSize(field: string, bytes: Uint8Array, expected: number): void {
  if (bytes.length !== expected) throw new WireError({ kind: 'bad-field-size', field, length: bytes.length, expected });
}
