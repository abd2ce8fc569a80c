import {
  CHOKE, HAVE_ALL, HAVE_NONE, INTERESTED, MessageId, NOT_INTERESTED, UNCHOKE,
} from './messages.js';
import type { PeerMessage } from './messages.js';
import { checkPayloadLength, DEFAULT_WIRE_LIMITS } from './message-limits.js';
import type { WireLimits } from './message-limits.js';

/**
 * Decodes the payload of one message (the bytes after the id; keep-alives have no id and never
 * reach here). Validates the payload length for the id and throws a `bad-length` WireError.
 *
 * Zero-copy: `bitfield.bits`, `piece.block`, `extended.payload` and `unknown.payload` are views
 * into `payload`, which owns them. Unknown ids decode to `{ type: 'unknown', id, payload }`
 * (BEP 3: ignore what you do not understand).
 */
export function decodeMessage(id: number, payload: Uint8Array, limits: WireLimits = DEFAULT_WIRE_LIMITS): PeerMessage {
  checkPayloadLength(id, payload.length, limits);
  switch (id) {
    case MessageId.choke:
      return CHOKE;
    case MessageId.unchoke:
      return UNCHOKE;
    case MessageId.interested:
      return INTERESTED;
    case MessageId.notInterested:
      return NOT_INTERESTED;
    case MessageId.haveAll:
      return HAVE_ALL;
    case MessageId.haveNone:
      return HAVE_NONE;
    case MessageId.have:
      return { type: 'have', index: readUint32(payload, 0) };
    case MessageId.suggest:
      return { type: 'suggest', index: readUint32(payload, 0) };
    case MessageId.allowedFast:
      return { type: 'allowed-fast', index: readUint32(payload, 0) };
    case MessageId.request:
      return { type: 'request', index: readUint32(payload, 0), begin: readUint32(payload, 4), length: readUint32(payload, 8) };
    case MessageId.cancel:
      return { type: 'cancel', index: readUint32(payload, 0), begin: readUint32(payload, 4), length: readUint32(payload, 8) };
    case MessageId.reject:
      return { type: 'reject', index: readUint32(payload, 0), begin: readUint32(payload, 4), length: readUint32(payload, 8) };
    case MessageId.bitfield:
      return { type: 'bitfield', bits: payload };
    case MessageId.piece:
      return { type: 'piece', index: readUint32(payload, 0), begin: readUint32(payload, 4), block: payload.subarray(8) };
    case MessageId.port:
      return { type: 'port', port: ((payload[0] ?? 0) << 8) | (payload[1] ?? 0) };
    case MessageId.extended:
      return { type: 'extended', id: payload[0] ?? 0, payload: payload.subarray(1) };
    default:
      return { type: 'unknown', id, payload };
  }
}

/** Big-endian uint32 at `at`; the caller has checked the length. */
export function readUint32(bytes: Uint8Array, at: number): number {
  return (((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) >>> 0;
}
