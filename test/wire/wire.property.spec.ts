import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { from } from 'rxjs';
import { decodeMessage } from '../../src/wire/decode-message.js';
import { encodeMessage } from '../../src/wire/encode-message.js';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';
import type { FrameDecoderOptions, FrameEvent } from '../../src/wire/frame-decoder.js';
import { encodeHandshake } from '../../src/wire/handshake.js';
import { WireError } from '../../src/wire/wire-error.js';
import type { WireErrorDetail } from '../../src/wire/wire-error.js';
import { frames } from '../../src/operators/frames.js';
import { chunkSizes, concat, fuzzRuns, peerMessage, split } from './arbitraries.js';

const runs = fuzzRuns(2000);

/** A hostile stream: valid frames, frames with a random id and length, and raw noise. */
const noisyStream: fc.Arbitrary<Uint8Array> = fc.array(fc.oneof(
  { weight: 4, arbitrary: peerMessage.map(encodeMessage) },
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.integer({ min: 0, max: 40 }),
      fc.oneof(fc.integer({ min: 0, max: 21 }), fc.integer({ min: 0, max: 255 })),
      fc.uint8Array({ maxLength: 40 }),
    ).map(([length, id, payload]) => concat([new Uint8Array([0, 0, 0, length, id]), payload])),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
), { maxLength: 12 }).map(concat);

/** Mostly a valid handshake, sometimes a damaged one. */
const handshakeBytes: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.uint8Array({ minLength: 48, maxLength: 48 }),
  fc.option(fc.tuple(fc.integer({ min: 0, max: 67 }), fc.integer({ min: 0, max: 255 })), { freq: 5 }),
).map(([rest, damage]) => {
  const bytes = encodeHandshake({ reserved: rest.subarray(0, 8), infoHash: rest.subarray(8, 28), peerId: rest.subarray(28) });
  if (damage) bytes[damage[0]] = damage[1];
  return bytes;
});

const decoderOptions: fc.Arbitrary<FrameDecoderOptions> = fc.record({
  maxLength: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
  maxBlockLength: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
  maxPieceCount: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
  maxExtendedLength: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
  unknownIds: fc.constantFrom<'emit' | 'error'>('emit', 'error'),
});

interface Outcome {
  readonly events: FrameEvent[];
  readonly error?: WireErrorDetail;
}

/**
 * Feeds chunks to a FrameDecoder, checking the buffering bound after each push. `transient`:
 * as a socket with one reused read buffer would: each chunk is copied into the same buffer,
 * pushed, then the buffer is scribbled over; the sink deep-copies what it gets, as a transient
 * consumer must.
 */
function feed(chunks: readonly Uint8Array[], options: FrameDecoderOptions): Outcome {
  const events: FrameEvent[] = [];
  const transient = options.transient === true;
  const d = new FrameDecoder((e) => events.push(transient ? structuredClone(e) : e), options);
  const readBuffer = new Uint8Array(Math.max(1, ...chunks.map((c) => c.length)));
  const bound = Math.max(d.maxLength, 68);
  try {
    for (const chunk of chunks) {
      if (transient) {
        readBuffer.set(chunk);
        d.push(readBuffer.subarray(0, chunk.length));
        readBuffer.fill(0xee);
      } else {
        d.push(chunk);
      }
      expect(d.bufferedBytes).toBeLessThan(bound);
    }
    d.end();
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    return { events, error: err.detail };
  }
  return { events };
}

/** Runs frames() over the chunks and checks: events, then at most one error, a WireError. */
function runFrames(chunks: readonly Uint8Array[], options: FrameDecoderOptions): Outcome {
  const events: FrameEvent[] = [];
  const errors: unknown[] = [];
  let completions = 0;
  from(chunks).pipe(frames(options)).subscribe({
    next: (e) => events.push(e),
    error: (err: unknown) => errors.push(err),
    complete: () => completions++,
  });
  expect(errors.length + completions).toBe(1);
  const [error] = errors;
  if (error === undefined) return { events };
  expect(error).toBeInstanceOf(WireError);
  return { events, error: error instanceof WireError ? error.detail : undefined };
}

/** A bad-protocol error quotes the bytes seen so far, which depends on the split: drop them. */
function comparable(outcome: Outcome): Outcome {
  const error = outcome.error;
  if (error?.kind !== 'bad-protocol') return outcome;
  return { events: outcome.events, error: { ...error, protocol: '' } };
}

describe('wire codec properties', () => {
  it('decodeMessage(encode(m)) = m for every message kind', () => {
    fc.assert(fc.property(peerMessage.filter((m) => m.type !== 'keep-alive'), (m) => {
      const bytes = encodeMessage(m);
      expect(new DataView(bytes.buffer).getUint32(0)).toBe(bytes.length - 4);
      expect(decodeMessage(bytes[4] ?? -1, bytes.subarray(5))).toEqual(m);
    }), { numRuns: runs });
  });

  it('a stream of encoded messages, split anywhere, decodes to the same messages', () => {
    fc.assert(fc.property(fc.array(peerMessage, { maxLength: 20 }), chunkSizes, (messages, sizes) => {
      const chunks = split(concat(messages.map(encodeMessage)), sizes);
      expect(feed(chunks, {})).toEqual({ events: messages });
      expect(runFrames(chunks, {})).toEqual({ events: messages });
    }), { numRuns: runs });
  });

  it('transient: a reused read buffer, scribbled after every push, decodes to the same messages', () => {
    fc.assert(fc.property(fc.array(peerMessage, { maxLength: 20 }), chunkSizes, (messages, sizes) => {
      const chunks = split(concat(messages.map(encodeMessage)), sizes);
      expect(feed(chunks, { transient: true })).toEqual({ events: messages });
    }), { numRuns: runs });
  });

  it('transient: hostile bytes give the same messages and error as with kept chunks', () => {
    fc.assert(fc.property(noisyStream, chunkSizes, decoderOptions, (body, sizes, options) => {
      const chunks = split(body, sizes);
      expect(comparable(feed(chunks, { ...options, transient: true }))).toEqual(comparable(feed(chunks, options)));
    }), { numRuns: runs });
  });

  it('a handshake then messages, split anywhere, decodes to the handshake then the messages', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ minLength: 8, maxLength: 8 }),
      fc.array(peerMessage, { maxLength: 8 }), chunkSizes,
      (infoHash, reserved, messages, sizes) => {
        const hs = encodeHandshake({ infoHash, peerId: infoHash, reserved });
        const { events, error } = runFrames(split(concat([hs, ...messages.map(encodeMessage)]), sizes), { handshake: true });
        expect(error).toBeUndefined();
        expect(events[0]).toMatchObject({ type: 'handshake', infoHash, peerId: infoHash, reserved });
        expect(events.slice(1)).toEqual(messages);
      },
    ), { numRuns: runs });
  });

  it('hostile bytes, split anywhere: valid messages, then at most one WireError, the same for every split', () => {
    fc.assert(fc.property(noisyStream, chunkSizes, decoderOptions, fc.option(handshakeBytes), (body, sizes, options, hs) => {
      const opts = { ...options, handshake: hs !== null };
      const bytes = hs === null ? body : concat([hs, body]);
      const whole = feed(bytes.length === 0 ? [] : [bytes], opts);
      const chunks = split(bytes, sizes);
      expect(comparable(feed(chunks, opts))).toEqual(comparable(whole));
      expect(comparable(runFrames(chunks, opts))).toEqual(comparable(whole));
    }), { numRuns: runs });
  });

  it('uniformly random bytes never crash the decoder', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), chunkSizes, (bytes, sizes) => {
      const outcome = runFrames(split(bytes, sizes), { maxLength: 4096 });
      expect(outcome.events.length + (outcome.error ? 1 : 0)).toBeGreaterThan(bytes.length === 0 ? -1 : 0);
    }), { numRuns: runs });
  });
});
