import { decodeBencode } from '../bencode/decode-bencode.js';
import { encodeBencode } from '../bencode/encode-bencode.js';
import type { BencodeValue } from '../bencode/bencode-value.js';

/** The fields of a BEP 10 extension handshake the session uses. */
export interface ExtensionHandshake {
  /** `v`: the client's name and version. */
  readonly client: string | undefined;
  /** `reqq`: how many outstanding requests the peer accepts. */
  readonly reqq: number | undefined;
}

export interface OurExtensionHandshake {
  readonly client: string;
  readonly reqq: number;
  /** `p`: our listening port, when we have one. */
  readonly port?: number;
}

/** The payload (after the extended id 0) of our handshake: `m` is empty, we offer no extension. */
export function encodeExtensionHandshake(ours: OurExtensionHandshake): Uint8Array {
  const dict = new Map<string, BencodeValue>([
    ['m', new Map<string, BencodeValue>()],
    ['reqq', ours.reqq],
    ['v', new TextEncoder().encode(ours.client)],
  ]);
  if (ours.port !== undefined) dict.set('p', ours.port);
  return encodeBencode(dict);
}

/**
 * Reads a peer's extension handshake. Hostile or odd input never throws: a payload that is not
 * a bencoded dictionary, or fields of the wrong type, read as absent.
 */
export function decodeExtensionHandshake(payload: Uint8Array): ExtensionHandshake {
  let value: BencodeValue;
  try {
    value = decodeBencode(payload, { maxDepth: 8 });
  } catch {
    return { client: undefined, reqq: undefined };
  }
  if (!(value instanceof Map)) return { client: undefined, reqq: undefined };
  const v: unknown = value.get('v');
  const reqq: unknown = value.get('reqq');
  return {
    client: v instanceof Uint8Array ? new TextDecoder().decode(v.subarray(0, 64)) : undefined,
    reqq: typeof reqq === 'number' && Number.isSafeInteger(reqq) && reqq > 0 ? reqq : undefined,
  };
}
