/** Shared set-up of the peer session specs: a dialled session over a `fakeConnection`. */
import type { Observable } from 'rxjs';
import type { MarbleContext } from '../helpers/marbles.js';
import type { Connection } from '../../src/peer/connection.js';
import type { BlockRequest, PeerCommand, PeerEvent } from '../../src/peer/peer-events.js';
import { peerSession } from '../../src/peer/peer-session.js';
import type { AcceptedPeer, DialedPeer } from '../../src/peer/peer-session.js';
import type { PeerSessionOptions } from '../../src/peer/peer-session-options.js';
import { Bitfield } from '../../src/pieces/bitfield.js';
import { encodeMessage } from '../../src/wire/encode-message.js';
import { decodeHandshake, encodeHandshake, encodeReserved } from '../../src/wire/handshake.js';
import type { PeerMessage } from '../../src/wire/messages.js';
import { fakeConnection } from './fake-connection.js';
import type { FakeConnection } from './fake-connection.js';

export const INFO_HASH = new Uint8Array(20).fill(7);
export const OUR_ID = new Uint8Array(20).fill(1);
export const THEIR_ID = new Uint8Array(20).fill(2);
export const PIECE_COUNT = 8;

export interface TheirHandshake {
  readonly fast?: boolean;
  readonly extended?: boolean;
  readonly infoHash?: Uint8Array;
  readonly peerId?: Uint8Array;
}

export function theirHandshake(h: TheirHandshake = {}): Uint8Array {
  return encodeHandshake({
    infoHash: h.infoHash ?? INFO_HASH,
    peerId: h.peerId ?? THEIR_ID,
    reserved: encodeReserved({ fast: h.fast === true, extended: h.extended === true }),
  });
}

export const wire = (m: PeerMessage): Uint8Array => encodeMessage(m);
export const block = (index: number, begin: number, length: number): Uint8Array =>
  wire({ type: 'piece', index, begin, block: new Uint8Array(length).fill(index + 1) });
export const req = (index: number, begin: number, length: number): BlockRequest => ({ index, begin, length });
export const requestCommand = (index: number, begin: number, length: number): PeerCommand => ({ type: 'request', index, begin, length });

export const ev = {
  connected: { type: 'connected', address: { host: '10.0.0.2', port: 6881 } } satisfies PeerEvent,
  handshake: (fast = false, extended = false): PeerEvent => ({
    type: 'handshake', peerId: THEIR_ID, extensions: { fast, extended, dht: false },
  }),
  want: (count: number): PeerEvent => ({ type: 'want', count }),
  block: (index: number, begin: number, length: number): PeerEvent => ({
    type: 'block', index, begin, data: new Uint8Array(length).fill(index + 1),
  }),
  closed: (reason: Extract<PeerEvent, { type: 'closed' }>['reason']): PeerEvent => ({ type: 'closed', reason }),
  bitfield: (bytes: number[]): PeerEvent => ({ type: 'bitfield', pieces: Bitfield.fromBytes(new Uint8Array(bytes), PIECE_COUNT) }),
};

export interface SessionSetup {
  readonly data: string;
  readonly values?: Record<string, Uint8Array>;
  readonly commands?: string;
  readonly commandValues?: Record<string, PeerCommand>;
  readonly connect?: string;
  readonly options?: PeerSessionOptions;
  readonly ourBitfield?: number[];
  /** Every piece's length, when the session should check requests against it. */
  readonly pieceLength?: number;
  /** The listener already read this handshake: the session is `accepted`, not dialled. */
  readonly accepted?: TheirHandshake;
}

export interface Session {
  readonly events$: Observable<PeerEvent>;
  readonly fake: FakeConnection;
  readonly connection$: Observable<Connection>;
  readonly data$: Observable<Uint8Array>;
  readonly commands$: Observable<PeerCommand>;
}

/** `rateInterval` is pushed out of the way unless a spec sets it. */
export function session(m: MarbleContext, s: SessionSetup): Session {
  const data$ = m.hot<Uint8Array>(s.data, s.values);
  const fake = fakeConnection(m.scheduler, data$);
  const connection$ = m.cold<Connection>(s.connect ?? '-c', { c: fake.connection });
  const commands$ = m.hot<PeerCommand>(s.commands ?? '-', s.commandValues);
  const peer: DialedPeer | AcceptedPeer = s.accepted === undefined
    ? { kind: 'dial', address: { host: '10.0.0.2', port: 6881 } }
    : { kind: 'accepted', connection$, handshake: decodeHandshake(theirHandshake(s.accepted)) };
  const events$ = peerSession({
    peer,
    infoHash: INFO_HASH,
    ourPeerId: OUR_ID,
    pieceCount: PIECE_COUNT,
    ...(s.pieceLength === undefined ? {} : { pieceLength: () => s.pieceLength ?? 0 }),
    ourBitfield: new Uint8Array(s.ourBitfield ?? [0xf0]),
    commands$,
    options: { rateInterval: 1e9, ...s.options },
  }, { scheduler: m.scheduler, connect: () => connection$ });
  return { events$, fake, connection$, data$, commands$ };
}
