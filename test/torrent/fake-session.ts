/**
 * Fakes for the supervisor specs: scripted peer sessions that record the commands they are sent,
 * a scripted piece store, and small builders for the events and candidates of a tiny torrent.
 *
 * A fake session behaves like the real one at its boundary: it subscribes `commands$` just before
 * it forwards the peer's `handshake` (the real session reads commands once live), completes right
 * after `closed`, and answers a `close` command with `closed { local-close }` at once.
 */
import { Observable, Subscription, filter, of } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import type { MarbleContext } from '../helpers/marbles.js';
import type { PeerAddress } from '../../src/peer/connection.js';
import type { BlockRequest, CloseReason, PeerCommand, PeerEvent } from '../../src/peer/peer-events.js';
import type { PeerSessionInput } from '../../src/peer/peer-session.js';
import { Bitfield } from '../../src/pieces/bitfield.js';
import { PeerDirectory } from '../../src/torrent/peer-directory.js';
import { supervisor } from '../../src/torrent/supervisor.js';
import type {
  PeerCandidate, PieceStore, SupervisorEvent, SupervisorInput, SupervisorOptions,
} from '../../src/torrent/supervisor-types.js';

// The tiny torrent of these specs: 4 pieces of 32 KiB, 2 blocks of 16 KiB each.
export const PIECE_COUNT = 4;
export const PIECE_LENGTH = 32 * 1024;
export const BLOCK = 16 * 1024;
export const INFO_HASH = new Uint8Array(20).fill(7);
export const OUR_ID = new Uint8Array(20).fill(1);

export const addr = (n: number): PeerAddress => ({ host: `10.0.0.${n}`, port: 6881 });
export const keyOf = (n: number): string => PeerDirectory.key(addr(n));
export const dial = (n: number): PeerCandidate => ({ kind: 'dial', address: addr(n) });

/** A bitfield of the tiny torrent with the given pieces set. */
export function pieces(...indexes: number[]): Bitfield {
  const field = new Bitfield(PIECE_COUNT);
  for (const index of indexes) field.set(index);
  return field;
}

export const ALL = [0, 1, 2, 3];

export const req = (index: number, block: number): BlockRequest => ({ index, begin: block * BLOCK, length: BLOCK });
/** The 8 blocks of the torrent in order. */
export const allBlocks = (): BlockRequest[] => ALL.flatMap((index) => [req(index, 0), req(index, 1)]);

export const cmd = {
  request: (index: number, block: number): PeerCommand => ({ type: 'request', ...req(index, block) }),
  cancel: (index: number, block: number): PeerCommand => ({ type: 'cancel', ...req(index, block) }),
  have: (index: number): PeerCommand => ({ type: 'have', index }),
  interested: { type: 'interested' } satisfies PeerCommand,
  notInterested: { type: 'not-interested' } satisfies PeerCommand,
  choke: { type: 'choke' } satisfies PeerCommand,
  unchoke: { type: 'unchoke' } satisfies PeerCommand,
  close: { type: 'close' } satisfies PeerCommand,
};

/**
 * A command as the recordings list it: a `requests` batch as its requests one by one, so that
 * timelines compare single `request` commands (swarm.spec checks the batching itself).
 */
export function unbatched(command: PeerCommand): PeerCommand[] {
  if (command.type !== 'requests') return [command];
  return command.requests.map((r) => ({ type: 'request', index: r.index, begin: r.begin, length: r.length }));
}

export const ev = {
  handshake: (n: number): PeerEvent => ({
    type: 'handshake', peerId: new Uint8Array(20).fill(100 + n), extensions: { fast: false, extended: false, dht: false },
  }),
  bitfield: (...indexes: number[]): PeerEvent => ({ type: 'bitfield', pieces: pieces(...indexes) }),
  have: (index: number): PeerEvent => ({ type: 'have', index }),
  unchoked: { type: 'unchoked' } satisfies PeerEvent,
  choked: { type: 'choked' } satisfies PeerEvent,
  interested: { type: 'interested' } satisfies PeerEvent,
  notInterested: { type: 'not-interested' } satisfies PeerEvent,
  want: (count: number): PeerEvent => ({ type: 'want', count }),
  block: (index: number, block: number): PeerEvent => ({
    type: 'block', index, begin: block * BLOCK, data: new Uint8Array(BLOCK).fill(index + 1),
  }),
  dropped: (requests: BlockRequest[]): PeerEvent => ({ type: 'requests-dropped', requests, reason: 'choked' }),
  closed: (reason: CloseReason): PeerEvent => ({ type: 'closed', reason }),
};

export const reasons = {
  refused: { kind: 'connection', error: { kind: 'connect-refused' } } satisfies CloseReason,
  remote: { kind: 'remote-closed' } satisfies CloseReason,
  local: { kind: 'local-close' } satisfies CloseReason,
  wrongHash: { kind: 'wrong-info-hash', infoHash: new Uint8Array(20).fill(9) } satisfies CloseReason,
};

/** The events a seed with every piece sends when it opens: handshake, bitfield, unchoke, want. */
export function opening(n: number, want: number, has: number[] = ALL): Record<string, PeerEvent> {
  return { h: ev.handshake(n), f: ev.bitfield(...has), u: ev.unchoked, w: ev.want(want) };
}

export interface RecordedCommand {
  readonly frame: number;
  readonly key: string;
  readonly command: PeerCommand;
}

export interface Dial {
  readonly frame: number;
  readonly key: string;
  readonly input: PeerSessionInput;
}

/**
 * `deps.session` for the specs. `scripts` maps a peer key to the events of its sessions: one
 * Observable for every dial, or a list (dial n gets entry n; the last one repeats). A key without
 * a script fails like a refused connection at once.
 */
export class FakeSessions {
  readonly recorded: RecordedCommand[] = [];
  readonly dials: Dial[] = [];
  private readonly dialCount = new Map<string, number>();

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly scripts: ReadonlyMap<string, Observable<PeerEvent> | readonly Observable<PeerEvent>[]>,
  ) {}

  readonly session = (input: PeerSessionInput): Observable<PeerEvent> => new Observable<PeerEvent>((subscriber) => {
    if (input.peer.kind !== 'dial') throw new Error('the fake sessions only dial');
    const key = PeerDirectory.key(input.peer.address);
    const nth = this.dialCount.get(key) ?? 0;
    this.dialCount.set(key, nth + 1);
    this.dials.push({ frame: this.scheduler.now(), key, input });
    const script = this.scriptFor(key, nth);
    const inner = new Subscription();
    let live = false;
    const close = (reason: CloseReason): void => {
      if (subscriber.closed) return;
      subscriber.next({ type: 'closed', reason });
      subscriber.complete();
    };
    inner.add(script.subscribe({
      next: (event) => {
        if (event.type === 'handshake' && !live) {
          live = true;
          inner.add(input.commands$.subscribe({
            next: (command) => {
              for (const one of unbatched(command)) this.recorded.push({ frame: this.scheduler.now(), key, command: one });
              if (command.type === 'close') close(reasons.local);
            },
            error: () => undefined,
          }));
        }
        if (event.type === 'closed') close(event.reason);
        else subscriber.next(event);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    }));
    return inner;
  });

  /** Commands sent to one peer, oldest first, optionally of some types only. */
  commandsOf(key: string, ...types: PeerCommand['type'][]): RecordedCommand[] {
    return this.recorded.filter((r) => r.key === key && (types.length === 0 || types.includes(r.command.type)));
  }

  /** Frame and command of each command sent to one peer, for `toEqual`. */
  timeline(key: string, ...types: PeerCommand['type'][]): [number, PeerCommand][] {
    return this.commandsOf(key, ...types).map((r) => [r.frame, r.command]);
  }

  private scriptFor(key: string, nth: number): Observable<PeerEvent> {
    const script = this.scripts.get(key);
    if (script === undefined) return of(ev.closed(reasons.refused));
    if (script instanceof Observable) return script;
    const chosen = script[Math.min(nth, script.length - 1)];
    return chosen ?? of(ev.closed(reasons.refused));
  }
}

export interface StoreScript {
  /** Verify results by index, consumed one per verification (the last repeats); default true. */
  readonly verify?: Readonly<Record<number, readonly boolean[]>>;
  /** The write of a piece; default `of(undefined)` at once. */
  readonly write?: (index: number) => Observable<unknown>;
}

export interface FakeStore extends PieceStore {
  readonly verified: [number, boolean][];
  readonly written: number[];
  /** Every buffer `allocate` handed out, and those given back with `release`, in order. */
  readonly allocated: Uint8Array[];
  readonly released: Uint8Array[];
}

export function fakeStore(script: StoreScript = {}): FakeStore {
  const verified: [number, boolean][] = [];
  const written: number[] = [];
  const attempts = new Map<number, number>();
  const allocated: Uint8Array[] = [];
  const released: Uint8Array[] = [];
  return {
    verified,
    written,
    allocated,
    released,
    allocate: (length) => {
      const buffer = new Uint8Array(length);
      allocated.push(buffer);
      return buffer;
    },
    release: (data) => {
      released.push(data);
    },
    verify: (index) => {
      const n = attempts.get(index) ?? 0;
      attempts.set(index, n + 1);
      const results = script.verify?.[index] ?? [true];
      const ok = results[Math.min(n, results.length - 1)] ?? true;
      verified.push([index, ok]);
      return of(ok);
    },
    write: (index) => {
      written.push(index);
      return script.write ? script.write(index) : of(undefined);
    },
    read: (_index, _begin, length) => of(new Uint8Array(length)),
    check: () => of(false),
  };
}

/** A random source that replays `values` (the last one repeats) and counts its draws. */
export function scriptedRandom(values: readonly number[]): { readonly random: () => number; readonly draws: () => number } {
  let drawn = 0;
  return {
    random: () => values[Math.min(drawn++, values.length - 1)] ?? 0,
    draws: () => drawn,
  };
}

/** The supervisor input of the tiny torrent; `have` and options vary per spec. */
export function tinyTorrent(
  candidates$: Observable<PeerCandidate>,
  extra: Partial<Pick<SupervisorInput, 'have' | 'options' | 'selfAddresses'>> = {},
): SupervisorInput {
  return {
    infoHash: INFO_HASH,
    ourPeerId: OUR_ID,
    pieceCount: PIECE_COUNT,
    pieceLength: () => PIECE_LENGTH,
    have: extra.have ?? new Bitfield(PIECE_COUNT),
    candidates$,
    ...(extra.selfAddresses ? { selfAddresses: extra.selfAddresses } : {}),
    ...(extra.options ? { options: extra.options } : {}),
  };
}

export interface Setup {
  readonly candidates$: Observable<PeerCandidate>;
  /** Scripts by peer number (`addr(n)`). */
  readonly scripts: Readonly<Record<number, Observable<PeerEvent> | readonly Observable<PeerEvent>[]>>;
  readonly store?: FakeStore;
  /** Default: always 0 (lowest piece first, no jitter). */
  readonly random?: () => number;
  readonly have?: Bitfield;
  readonly options?: SupervisorOptions;
}

export interface Running {
  /** The supervisor's output without `stats`. */
  readonly events$: Observable<SupervisorEvent>;
  /** The supervisor's output, `stats` included. */
  readonly all$: Observable<SupervisorEvent>;
  readonly sessions: FakeSessions;
  readonly store: FakeStore;
}

/** A supervisor over fake sessions and a fake store, in the virtual time of `m`. */
export function setup(m: MarbleContext, s: Setup): Running {
  const scripts = new Map<string, Observable<PeerEvent> | readonly Observable<PeerEvent>[]>();
  for (const [n, script] of Object.entries(s.scripts)) scripts.set(keyOf(Number(n)), script);
  const sessions = new FakeSessions(m.scheduler, scripts);
  const store = s.store ?? fakeStore();
  const all$ = supervisor(
    tinyTorrent(s.candidates$, {
      ...(s.have ? { have: s.have } : {}),
      ...(s.options ? { options: s.options } : {}),
    }),
    { scheduler: m.scheduler, random: s.random ?? (() => 0), session: sessions.session, store },
  );
  return { events$: all$.pipe(filter((event) => event.type !== 'stats')), all$, sessions, store };
}

/** Expected output values. */
export const out = {
  connected: (n: number): SupervisorEvent => ({ type: 'peer-connected', key: keyOf(n), address: addr(n) }),
  closed: (n: number, reason: CloseReason): SupervisorEvent => ({ type: 'peer-closed', key: keyOf(n), reason }),
  verified: (index: number): SupervisorEvent => ({ type: 'piece-verified', index }),
  failed: (index: number, ...peers: number[]): SupervisorEvent => ({
    type: 'piece-failed', index, bytes: PIECE_LENGTH, peers: peers.map(keyOf),
  }),
  complete: { type: 'complete' } satisfies SupervisorEvent,
};
