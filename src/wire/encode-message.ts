import { MessageId } from './messages.js';
import type { PeerMessage } from './messages.js';
import { WireError } from './wire-error.js';
import type { BlockRequest } from '../pieces/picker-types.js';

const UINT32_MAX = 0xffffffff;

/**
 * Encodes one message as it goes on the wire, length prefix included.
 *
 * For `piece` this copies the block into the frame; a sender that already holds the block should
 * write `encodePieceHeader(...)` and then the block itself, without concatenating.
 * Throws `out-of-range` WireError for a number that does not fit its field.
 */
export function encodeMessage(m: PeerMessage): Uint8Array {
  switch (m.type) {
    case 'keep-alive':
      return new Uint8Array(4);
    case 'choke':
      return bare(MessageId.choke);
    case 'unchoke':
      return bare(MessageId.unchoke);
    case 'interested':
      return bare(MessageId.interested);
    case 'not-interested':
      return bare(MessageId.notInterested);
    case 'have-all':
      return bare(MessageId.haveAll);
    case 'have-none':
      return bare(MessageId.haveNone);
    case 'have':
      return indexMessage(MessageId.have, m.index);
    case 'suggest':
      return indexMessage(MessageId.suggest, m.index);
    case 'allowed-fast':
      return indexMessage(MessageId.allowedFast, m.index);
    case 'request':
      return blockRange(MessageId.request, m.index, m.begin, m.length);
    case 'cancel':
      return blockRange(MessageId.cancel, m.index, m.begin, m.length);
    case 'reject':
      return blockRange(MessageId.reject, m.index, m.begin, m.length);
    case 'bitfield':
      return withPayload(MessageId.bitfield, m.bits);
    case 'piece': {
      const out = new Uint8Array(13 + m.block.length);
      writePieceHeader(out, m.index, m.begin, m.block.length);
      out.set(m.block, 13);
      return out;
    }
    case 'port': {
      checkRange('port', m.port, 0xffff);
      const out = frame(MessageId.port, 2);
      out[5] = m.port >>> 8;
      out[6] = m.port & 0xff;
      return out;
    }
    case 'extended': {
      checkRange('extended id', m.id, 0xff);
      const out = frame(MessageId.extended, 1 + m.payload.length);
      out[5] = m.id;
      out.set(m.payload, 6);
      return out;
    }
    case 'unknown':
      checkRange('message id', m.id, 0xff);
      return withPayload(m.id, m.payload);
  }
}

/** Bytes of a `request`, `cancel` or `reject` on the wire: length prefix, id, index, begin, length. */
const BLOCK_RANGE_FRAME_LENGTH = 17;

/**
 * Encodes `request` messages back to back into one buffer: a whole batch of a download's
 * requests (one per block) is one allocation and one write. Throws like `encodeMessage`.
 */
export function encodeRequests(requests: readonly BlockRequest[]): Uint8Array {
  const out = new Uint8Array(BLOCK_RANGE_FRAME_LENGTH * requests.length);
  let at = 0;
  for (const { index, begin, length } of requests) {
    writeBlockRange(out, at, MessageId.request, index, begin, length);
    at += BLOCK_RANGE_FRAME_LENGTH;
  }
  return out;
}

/**
 * The 13 bytes that precede a block in a `piece` message (length prefix, id, index, begin), so
 * that a socket can write the header and then the block it already holds, copying nothing.
 */
export function encodePieceHeader(index: number, begin: number, blockLength: number): Uint8Array {
  const out = new Uint8Array(13);
  writePieceHeader(out, index, begin, blockLength);
  return out;
}

function writePieceHeader(out: Uint8Array, index: number, begin: number, blockLength: number): void {
  checkRange('index', index, UINT32_MAX);
  checkRange('begin', begin, UINT32_MAX);
  checkRange('block length', blockLength, UINT32_MAX - 9);
  writeUint32(out, 0, 9 + blockLength);
  out[4] = MessageId.piece;
  writeUint32(out, 5, index);
  writeUint32(out, 9, begin);
}

function frame(id: number, payloadLength: number): Uint8Array {
  const out = new Uint8Array(5 + payloadLength);
  writeFrameHeader(out, 0, id, payloadLength);
  return out;
}

/** The length prefix and the id of a frame at `at`. */
function writeFrameHeader(out: Uint8Array, at: number, id: number, payloadLength: number): void {
  writeUint32(out, at, 1 + payloadLength);
  out[at + 4] = id;
}

function bare(id: number): Uint8Array {
  return frame(id, 0);
}

function withPayload(id: number, payload: Uint8Array): Uint8Array {
  const out = frame(id, payload.length);
  out.set(payload, 5);
  return out;
}

function indexMessage(id: number, index: number): Uint8Array {
  checkRange('index', index, UINT32_MAX);
  const out = frame(id, 4);
  writeUint32(out, 5, index);
  return out;
}

function blockRange(id: number, index: number, begin: number, length: number): Uint8Array {
  const out = new Uint8Array(BLOCK_RANGE_FRAME_LENGTH);
  writeBlockRange(out, 0, id, index, begin, length);
  return out;
}

/** A `request`, `cancel` or `reject` frame at `at`. */
function writeBlockRange(out: Uint8Array, at: number, id: number, index: number, begin: number, length: number): void {
  checkRange('index', index, UINT32_MAX);
  checkRange('begin', begin, UINT32_MAX);
  checkRange('length', length, UINT32_MAX);
  writeFrameHeader(out, at, id, 12);
  writeUint32(out, at + 5, index);
  writeUint32(out, at + 9, begin);
  writeUint32(out, at + 13, length);
}

function checkRange(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WireError({ kind: 'out-of-range', field, value, max });
  }
}

function writeUint32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
