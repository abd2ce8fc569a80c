import { Observable, Subscription } from '../rx.js';
import type { SchedulerLike } from '../rx.js';
import { frames } from '../operators/frames.js';
import type { Handshake } from '../wire/handshake.js';
import { WireError } from '../wire/wire-error.js';
import { ConnectionError } from './connection-error.js';
import type { Connection } from './connection.js';
import type { CloseReason, PeerCommand, PeerEvent } from './peer-events.js';
import type { ResolvedPeerSessionOptions } from './peer-session-options.js';
import { SessionCore } from './session-core.js';
import type { SessionCoreInput } from './session-core.js';

export interface LiveSessionInput extends SessionCoreInput {
  /** The peer's handshake when the listener already read it (incoming connections). */
  readonly handshake: Handshake | undefined;
  readonly commands$: Observable<PeerCommand>;
}

/**
 * One session over one open connection, from our handshake to `closed`:
 *
 *   connection.data$  --chunks-------------------------------|
 *   commands$                 (subscribed once live) --c--c--
 *   liveSession       -connected--handshake--…events…--------(closed|)
 *
 * Subscribes `data$` (through `frames()`), `drain$`, and `commands$` as soon as the handshakes
 * are done. Ends with `closed` and completes; never errors. Unsubscribing stops every timer and
 * unsubscribes every source; closing the socket is the job of whoever owns the connection.
 */
export function liveSession(
  connection: Connection,
  input: LiveSessionInput,
  options: ResolvedPeerSessionOptions,
  scheduler: SchedulerLike,
): Observable<PeerEvent> {
  return new Observable<PeerEvent>((subscriber) => {
    const sources = new Subscription();
    const core = new SessionCore(
      connection,
      input,
      options,
      scheduler,
      (event) => subscriber.next(event),
      () => sources.add(input.commands$.subscribe({
        next: (command) => core.onCommand(command),
        error: () => undefined, // a failing command source only stops the commands
      })),
      () => subscriber.complete(),
    );
    core.start(input.handshake);
    if (!core.closed) {
      sources.add(connection.drain$.subscribe({ next: () => core.onDrain(), error: () => undefined }));
    }
    if (!core.closed) {
      const decoded$ = connection.data$.pipe(frames({
        handshake: input.handshake === undefined,
        maxBlockLength: options.maxBlockLength,
        maxPieceCount: input.pieceCount,
        transient: connection.reusesChunks === true,
      }));
      sources.add(decoded$.subscribe({
        next: (event) => (event.type === 'handshake' ? core.onHandshake(event) : core.onMessage(event)),
        error: (err: unknown) => core.close(failureReason(err)),
        complete: () => core.close({ kind: 'remote-closed' }),
      }));
    }
    return () => {
      core.dispose();
      sources.unsubscribe();
    };
  });
}

/** The close reason for an error of a connection or of the decoder. */
export function failureReason(err: unknown): CloseReason {
  if (err instanceof WireError) return { kind: 'wire', error: err.detail };
  if (err instanceof ConnectionError) return { kind: 'connection', error: err.detail };
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'connection', error: { kind: 'io', code: 'UNKNOWN', message } };
}
