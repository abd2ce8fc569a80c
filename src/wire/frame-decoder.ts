import { decodeHandshake, HANDSHAKE_LENGTH, HANDSHAKE_PREFIX, handshakePrefixMismatch } from './handshake.js';
import type { Handshake } from './handshake.js';
import { decodeMessage } from './decode-message.js';
import { checkPayloadLength, DEFAULT_WIRE_LIMITS, maxFrameLength } from './message-limits.js';
import type { WireLimits } from './message-limits.js';
import { isKnownMessageId, KEEP_ALIVE } from './messages.js';
import type { PeerMessage } from './messages.js';
import { WireError } from './wire-error.js';

/** What a frame decoder emits: the handshake (when expected, always first), then messages. */
export type FrameEvent = Handshake | PeerMessage;

export interface FrameDecoderOptions extends Partial<WireLimits> {
  /** Expect a 68-byte BEP 3 handshake before the first message. Default false. */
  readonly handshake?: boolean;
  /**
   * Largest accepted length prefix (id + payload). Default: the largest frame the limits allow
   * (about 1 MiB with the default extended limit). A larger prefix is a `frame-too-large` error
   * raised before any of the frame is buffered.
   */
  readonly maxLength?: number;
  /** `'emit'` (default, BEP 3: ignore) passes unknown ids on as `unknown`; `'error'` fails. */
  readonly unknownIds?: 'emit' | 'error';
  /**
   * The caller reuses each pushed chunk's memory once `push` returns (a socket read into one
   * buffer). The decoder then copies the bytes it keeps between calls into a buffer of its own,
   * and a message that spans chunks is assembled in a buffer it reuses: byte fields of emitted
   * messages are valid only during the `sink` call. Default false: chunks are kept as given, and
   * emitted views stay valid.
   */
  readonly transient?: boolean;
}

export type FrameSink = (event: FrameEvent) => void;

const EMPTY = new Uint8Array(0);

// States: what the next `need` bytes are.
const HANDSHAKE = 0;
const LENGTH = 1;
const ID = 2;
const PAYLOAD = 3;
const FAILED = 4;
const CLOSED = 5;

/**
 * A "need N bytes, then do this" state machine that turns chunks of a peer's byte stream into
 * messages, calling `sink` once per message, in order.
 *
 * Buffering: chunks are kept in a list, never concatenated. A message that lies inside one chunk
 * is emitted as a view into it (no copy); one that spans chunks is copied once into a buffer of
 * its exact size (`transient`: into a buffer the decoder reuses, after copying what it kept of
 * the previous chunks into its own `carry`). Bytes held between calls stay below max(`maxLength`, 68), because a length
 * prefix is checked against `maxLength`, and its id against that id's limits, before the
 * payload is waited for.
 *
 * After a WireError the decoder is failed: `push` throws the same error again.
 */
export class FrameDecoder {
  readonly maxLength: number;
  private readonly limits: WireLimits;
  private readonly rejectUnknown: boolean;
  private readonly transient: boolean;
  /** transient: the bytes kept between pushes, and where spanning messages are assembled. */
  private carry = EMPTY;
  private assembly = EMPTY;
  private readonly sink: FrameSink;
  private chunks: Uint8Array[] = [];
  private head = 0;
  private offset = 0;
  private buffered = 0;
  private state: number;
  private need: number;
  private id = 0;
  private frameLength = 0;
  private failure: WireError | undefined = undefined;

  constructor(sink: FrameSink, options: FrameDecoderOptions = {}) {
    this.sink = sink;
    this.limits = {
      maxBlockLength: options.maxBlockLength ?? DEFAULT_WIRE_LIMITS.maxBlockLength,
      maxPieceCount: options.maxPieceCount ?? DEFAULT_WIRE_LIMITS.maxPieceCount,
      maxExtendedLength: options.maxExtendedLength ?? DEFAULT_WIRE_LIMITS.maxExtendedLength,
    };
    this.maxLength = options.maxLength ?? maxFrameLength(this.limits);
    this.rejectUnknown = options.unknownIds === 'error';
    this.transient = options.transient === true;
    this.state = options.handshake === true ? HANDSHAKE : LENGTH;
    this.need = options.handshake === true ? HANDSHAKE_LENGTH : 4;
  }

  /** Bytes received but not yet emitted (below max(`maxLength`, 68) between calls). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Call when the stream ends: throws a `truncated` WireError if it ended inside a frame (its
   * detail counts the frame's bytes, length prefix included), then closes the decoder.
   */
  end(): void {
    if (this.state === FAILED && this.failure) throw this.failure;
    const state = this.state;
    const buffered = this.buffered;
    this.close();
    if (state === CLOSED || (state === LENGTH && buffered === 0)) return;
    const err = new WireError(
      state === HANDSHAKE ? { kind: 'truncated', buffered, expected: HANDSHAKE_LENGTH }
        : state === LENGTH ? { kind: 'truncated', buffered, expected: 4 }
          : { kind: 'truncated', buffered: (state === ID ? 4 : 5) + buffered, expected: 4 + this.frameLength },
    );
    this.fail(err);
    throw err;
  }

  /** Feeds one chunk; emits every message it completes. Throws WireError on bad input. */
  push(chunk: Uint8Array): void {
    if (this.state === FAILED && this.failure) throw this.failure;
    if (this.state === CLOSED || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      if (this.state === HANDSHAKE) this.checkHandshakePrefix();
      while (this.buffered >= this.need && this.state < FAILED) this.step();
      if (this.transient) this.keepOwnCopy();
      else this.compact();
    } catch (err) {
      if (err instanceof WireError) this.fail(err);
      throw err;
    }
  }

  /** Drops buffered bytes; later pushes are ignored. */
  close(): void {
    if (this.state !== FAILED) this.state = CLOSED;
    this.release();
  }

  private step(): void {
    switch (this.state) {
      case HANDSHAKE: {
        const handshake = decodeHandshake(this.take(HANDSHAKE_LENGTH));
        this.expectLength();
        this.sink(handshake);
        return;
      }
      case LENGTH: {
        const length = this.readUint32();
        if (length === 0) {
          this.sink(KEEP_ALIVE);
        } else if (length > this.maxLength) {
          throw new WireError({ kind: 'frame-too-large', length, max: this.maxLength });
        } else {
          this.state = ID;
          this.need = 1;
          this.frameLength = length;
        }
        return;
      }
      case ID: {
        const id = this.readByte();
        const payloadLength = this.frameLength - 1;
        if (isKnownMessageId(id)) checkPayloadLength(id, payloadLength, this.limits);
        else if (this.rejectUnknown) throw new WireError({ kind: 'unknown-id', id });
        if (payloadLength === 0) {
          this.expectLength();
          this.sink(decodeMessage(id, EMPTY, this.limits));
        } else {
          this.id = id;
          this.state = PAYLOAD;
          this.need = payloadLength;
        }
        return;
      }
      case PAYLOAD: {
        const message = decodeMessage(this.id, this.take(this.need), this.limits);
        this.expectLength();
        this.sink(message);
        return;
      }
    }
  }

  private expectLength(): void {
    this.state = LENGTH;
    this.need = 4;
  }

  /** `n` bytes: a view when they lie in one chunk, else one copy into an exact buffer. */
  private take(n: number): Uint8Array {
    const first = this.chunks[this.head] ?? EMPTY;
    if (first.length - this.offset >= n) {
      const view = first.subarray(this.offset, this.offset + n);
      this.advance(n);
      return view;
    }
    const out = this.transient ? this.assemblyOf(n) : new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head] ?? EMPTY;
      const k = Math.min(chunk.length - this.offset, n - filled);
      out.set(chunk.subarray(this.offset, this.offset + k), filled);
      filled += k;
      this.advance(k);
    }
    return out;
  }

  private readByte(): number {
    const byte = this.chunks[this.head]?.[this.offset] ?? 0;
    this.advance(1);
    return byte;
  }

  private readUint32(): number {
    const first = this.chunks[this.head] ?? EMPTY;
    const at = this.offset;
    if (first.length - at >= 4) {
      this.advance(4);
      return (((first[at] ?? 0) << 24) | ((first[at + 1] ?? 0) << 16) | ((first[at + 2] ?? 0) << 8) | (first[at + 3] ?? 0)) >>> 0;
    }
    return ((this.readByte() << 24) | (this.readByte() << 16) | (this.readByte() << 8) | this.readByte()) >>> 0;
  }

  private advance(n: number): void {
    this.offset += n;
    this.buffered -= n;
    const chunk = this.chunks[this.head];
    if (chunk && this.offset === chunk.length) {
      this.offset = 0;
      this.head++;
      if (this.head === this.chunks.length) {
        this.chunks.length = 0;
        this.head = 0;
      }
    }
  }

  /** Forgets consumed chunks, so that only the current frame's chunks stay referenced. */
  private compact(): void {
    if (this.head > 0) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }

  /** transient: moves the unconsumed bytes into `carry`, so no caller chunk stays referenced. */
  private keepOwnCopy(): void {
    const kept = this.buffered;
    if (kept === 0 || this.state >= FAILED) {
      this.chunks.length = 0;
      this.head = 0;
      this.offset = 0;
      return;
    }
    let from = this.head;
    let filled = 0;
    const first = this.chunks[this.head] ?? EMPTY;
    if (kept > this.carry.length) {
      const grown = new Uint8Array(Math.max(kept, 2 * this.carry.length, 1024));
      for (let i = this.head; i < this.chunks.length; i++) {
        const chunk = this.chunks[i] ?? EMPTY;
        const part = i === this.head ? chunk.subarray(this.offset) : chunk;
        grown.set(part, filled);
        filled += part.length;
      }
      this.carry = grown;
    } else {
      if (first.buffer === this.carry.buffer) {
        // Only the first chunk can be in `carry`: slide its unread bytes to the front.
        const start = first.byteOffset + this.offset;
        filled = first.length - this.offset;
        this.carry.copyWithin(0, start, start + filled);
        from += 1;
      }
      for (let i = from; i < this.chunks.length; i++) {
        const chunk = this.chunks[i] ?? EMPTY;
        const part = i === this.head ? chunk.subarray(this.offset) : chunk;
        this.carry.set(part, filled);
        filled += part.length;
      }
    }
    this.chunks = [this.carry.subarray(0, kept)];
    this.head = 0;
    this.offset = 0;
  }

  /** transient: a reused buffer of `n` bytes for a message that spans chunks. */
  private assemblyOf(n: number): Uint8Array {
    if (this.assembly.length < n) this.assembly = new Uint8Array(n);
    return this.assembly.subarray(0, n);
  }

  /** Rejects a non-BitTorrent peer as soon as its first bytes disagree with the protocol string. */
  private checkHandshakePrefix(): void {
    const seen = new Uint8Array(Math.min(this.buffered, HANDSHAKE_PREFIX.length));
    let filled = 0;
    for (let i = this.head; i < this.chunks.length && filled < seen.length; i++) {
      const chunk = this.chunks[i] ?? EMPTY;
      const from = i === this.head ? this.offset : 0;
      const k = Math.min(chunk.length - from, seen.length - filled);
      seen.set(chunk.subarray(from, from + k), filled);
      filled += k;
    }
    const mismatch = handshakePrefixMismatch(seen);
    if (mismatch) throw mismatch;
  }

  private fail(err: WireError): void {
    this.state = FAILED;
    this.failure = err;
    this.release();
  }

  private release(): void {
    this.carry = EMPTY;
    this.assembly = EMPTY;
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.buffered = 0;
  }
}
