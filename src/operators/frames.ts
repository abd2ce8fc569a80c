import { Observable } from '../rx.js';
import type { OperatorFunction } from '../rx.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import type { FrameDecoderOptions, FrameEvent } from '../wire/frame-decoder.js';

export type FramesOptions = FrameDecoderOptions;
export type { FrameEvent };

/**
 * Turns a peer's byte stream (socket chunks, split anywhere) into whole wire messages.
 *
 * ```
 * source:   --[00 00]--[00 01 01 00 00 00 05 04]--[00 00 00 07]--|
 * frames(): ------------unchoke--------------------have{7}--------|
 * ```
 *
 * With `{ handshake: true }` the first event is the peer's `{ type: 'handshake', ... }`, then
 * messages follow; every event is discriminated by `type`. Input that breaks the protocol (bad
 * handshake, oversized or mis-sized frame, a stream that ends inside a frame) errors the output
 * with one typed `WireError` and unsubscribes the source; unsubscribing the output unsubscribes
 * the source.
 *
 * @example
 * socketChunks$.pipe(frames({ handshake: true, maxBlockLength: 32 * 1024 }))
 *   .subscribe({ next: (event) => handle(event), error: (err) => drop(peer, err) });
 *
 * Buffering: at most one frame is held, and a length prefix above `maxLength` (default: the
 * largest frame the limits allow, about 1 MiB) or above its message's own limit fails before
 * its payload is buffered. Each peer can still make you hold up to `maxLength` bytes; lower the
 * limits when you run many peers. Byte fields of emitted messages (`piece.block`, ...) may be
 * views into the source chunks: copy them if the chunks' memory is reused.
 */
export function frames(options: FramesOptions = {}): OperatorFunction<Uint8Array, FrameEvent> {
  return (source) => new Observable<FrameEvent>((subscriber) => {
    const decoder = new FrameDecoder((event) => subscriber.next(event), options);
    const subscription = source.subscribe({
      next: (chunk) => {
        // A synchronous source keeps emitting after an error until its subscribe returns.
        if (subscriber.closed) return;
        try {
          decoder.push(chunk);
        } catch (err) {
          subscriber.error(err);
        }
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => {
        try {
          decoder.end();
          subscriber.complete();
        } catch (err) {
          subscriber.error(err);
        }
      },
    });
    return () => {
      subscription.unsubscribe();
      decoder.close();
    };
  });
}
