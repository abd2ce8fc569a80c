/**
 * A fault-free, in-memory `Connection` for virtual-time specs: `data$` is whatever the spec
 * hands in (a hot marble of wire bytes), and every write is decoded back into messages and
 * logged with the virtual time it happened at.
 */
import { Subject } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import type { Connection } from '../../src/peer/connection.js';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';
import type { FrameEvent } from '../../src/wire/frame-decoder.js';

export interface FakeConnection {
  readonly connection: Connection;
  /** `[time, message]` for every message written, as `describe` renders it. */
  readonly written: [number, string][];
  /** `[time, chunks]` for every `write` call: how many chunks it carried. */
  readonly writes: [number, number][];
  /** `pause`, `resume` and `close` calls, with their times. */
  readonly calls: [number, string][];
  readonly drain: Subject<void>;
  /** What the next `write` returns (false: the send buffer is full). */
  writable: boolean;
}

export function fakeConnection(scheduler: SchedulerLike, data$: Observable<Uint8Array>): FakeConnection {
  const written: [number, string][] = [];
  const writes: [number, number][] = [];
  const calls: [number, string][] = [];
  const drain = new Subject<void>();
  const decoder = new FrameDecoder((event) => written.push([scheduler.now(), describe(event)]), { handshake: true });
  const fake: FakeConnection = {
    written,
    writes,
    calls,
    drain,
    writable: true,
    connection: {
      remoteAddress: { host: '10.0.0.2', port: 6881 },
      data$,
      drain$: drain,
      write: (chunks) => {
        writes.push([scheduler.now(), chunks.length]);
        for (const chunk of chunks) decoder.push(chunk);
        return fake.writable;
      },
      pause: () => calls.push([scheduler.now(), 'pause']),
      resume: () => calls.push([scheduler.now(), 'resume']),
      close: () => calls.push([scheduler.now(), 'close']),
    },
  };
  return fake;
}

/** A short text for a frame: `request 1:0:4`, `piece 1:0:4`, `bitfield f0`, `handshake`, … */
export function describe(event: FrameEvent): string {
  switch (event.type) {
    case 'request':
    case 'cancel':
    case 'reject':
      return `${event.type} ${event.index}:${event.begin}:${event.length}`;
    case 'piece':
      return `piece ${event.index}:${event.begin}:${event.block.length}`;
    case 'have':
    case 'suggest':
    case 'allowed-fast':
      return `${event.type} ${event.index}`;
    case 'bitfield':
      return `bitfield ${Buffer.from(event.bits).toString('hex')}`;
    case 'extended':
      return `extended ${event.id}`;
    case 'unknown':
      return `unknown ${event.id}`;
    case 'port':
      return `port ${event.port}`;
    default:
      return event.type;
  }
}
