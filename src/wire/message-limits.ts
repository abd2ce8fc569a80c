import { MessageId } from './messages.js';
import { WireError } from './wire-error.js';

/**
 * How large a peer's messages may be. Every limit is on the payload (the bytes after the id).
 *
 * - `maxBlockLength`: a `piece` block. Requests are 16 KiB by convention (BEP 3), but some
 *   clients send 32 KiB or more, so the default accepts up to 128 KiB; the session still rejects
 *   blocks it did not request.
 * - `maxPieceCount`: sizes the largest `bitfield` (ceil(count / 8) bytes). The default, 2^22
 *   pieces, covers a 1 TiB torrent with 256 KiB pieces (a 512 KiB bitfield).
 * - `maxExtendedLength`: a BEP 10 payload after its extended id (ut_metadata pieces are 16 KiB
 *   plus a small dictionary); 1 MiB by default.
 */
export interface WireLimits {
  readonly maxBlockLength: number;
  readonly maxPieceCount: number;
  readonly maxExtendedLength: number;
}

export const DEFAULT_WIRE_LIMITS: WireLimits = Object.freeze({
  maxBlockLength: 128 * 1024,
  maxPieceCount: 1 << 22,
  maxExtendedLength: 1024 * 1024,
});

/** The largest frame (length prefix value: id + payload) any known message may have. */
export function maxFrameLength(limits: WireLimits): number {
  return 1 + Math.max(
    8 + limits.maxBlockLength,
    Math.ceil(limits.maxPieceCount / 8),
    1 + limits.maxExtendedLength,
  );
}

/**
 * Throws a `bad-length` WireError unless `length` is a valid payload length for message `id`.
 * Unknown ids are not checked here (only the frame maximum applies to them).
 */
export function checkPayloadLength(id: number, length: number, limits: WireLimits): void {
  let min: number;
  let max: number;
  switch (id) {
    case MessageId.choke:
    case MessageId.unchoke:
    case MessageId.interested:
    case MessageId.notInterested:
    case MessageId.haveAll:
    case MessageId.haveNone:
      min = max = 0;
      break;
    case MessageId.have:
    case MessageId.suggest:
    case MessageId.allowedFast:
      min = max = 4;
      break;
    case MessageId.request:
    case MessageId.cancel:
    case MessageId.reject:
      min = max = 12;
      break;
    case MessageId.port:
      min = max = 2;
      break;
    case MessageId.bitfield:
      min = 1;
      max = Math.ceil(limits.maxPieceCount / 8);
      break;
    case MessageId.piece:
      min = 8;
      max = 8 + limits.maxBlockLength;
      break;
    case MessageId.extended:
      min = 1;
      max = 1 + limits.maxExtendedLength;
      break;
    default:
      return;
  }
  if (length < min || length > max) throw new WireError({ kind: 'bad-length', id, length, min, max });
}
