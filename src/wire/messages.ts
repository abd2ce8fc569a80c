/**
 * Peer wire messages (BEP 3), with the port message (BEP 5), the fast extension (BEP 6) and the
 * extension protocol envelope (BEP 10), as one discriminated union on `type`.
 *
 * Unknown message ids are not an error by default: BEP 3 asks implementations to ignore messages
 * they do not understand, so the decoder hands them on as `{ type: 'unknown', id, payload }` and
 * the session decides (usually: ignore). `frames({ unknownIds: 'error' })` makes them fatal.
 *
 * Byte fields (`bits`, `block`, `payload`) coming out of the decoder may be views into the
 * received chunk: the chunk owns the memory. Copy them before the chunk's buffer is reused.
 */

/** Message ids on the wire (the byte after the length prefix). */
export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest: 0x0d,
  haveAll: 0x0e,
  haveNone: 0x0f,
  reject: 0x10,
  allowedFast: 0x11,
  extended: 20,
} as const;

export type MessageIdValue = (typeof MessageId)[keyof typeof MessageId];

/** Id of the BEP 10 extension handshake inside an `extended` message. */
export const EXTENDED_HANDSHAKE_ID = 0;

export interface KeepAlive { readonly type: 'keep-alive' }
export interface Choke { readonly type: 'choke' }
export interface Unchoke { readonly type: 'unchoke' }
export interface Interested { readonly type: 'interested' }
export interface NotInterested { readonly type: 'not-interested' }
export interface HaveAll { readonly type: 'have-all' }
export interface HaveNone { readonly type: 'have-none' }
export interface Have { readonly type: 'have'; readonly index: number }
export interface Suggest { readonly type: 'suggest'; readonly index: number }
export interface AllowedFast { readonly type: 'allowed-fast'; readonly index: number }
export interface Bitfield { readonly type: 'bitfield'; readonly bits: Uint8Array }
export interface Request { readonly type: 'request'; readonly index: number; readonly begin: number; readonly length: number }
export interface Cancel { readonly type: 'cancel'; readonly index: number; readonly begin: number; readonly length: number }
export interface Reject { readonly type: 'reject'; readonly index: number; readonly begin: number; readonly length: number }
export interface Piece { readonly type: 'piece'; readonly index: number; readonly begin: number; readonly block: Uint8Array }
export interface Port { readonly type: 'port'; readonly port: number }
/** BEP 10: `id` is the extended message id (0 = extension handshake), `payload` what follows it. */
export interface Extended { readonly type: 'extended'; readonly id: number; readonly payload: Uint8Array }
/** A message id this codec does not know; BEP 3 says to ignore it. */
export interface Unknown { readonly type: 'unknown'; readonly id: number; readonly payload: Uint8Array }

export type PeerMessage =
  | KeepAlive | Choke | Unchoke | Interested | NotInterested
  | Have | Bitfield | Request | Piece | Cancel | Port
  | Suggest | HaveAll | HaveNone | Reject | AllowedFast
  | Extended | Unknown;

export type PeerMessageType = PeerMessage['type'];

/** Messages without a payload are immutable singletons: decoding them allocates nothing. */
export const KEEP_ALIVE: KeepAlive = Object.freeze({ type: 'keep-alive' });
export const CHOKE: Choke = Object.freeze({ type: 'choke' });
export const UNCHOKE: Unchoke = Object.freeze({ type: 'unchoke' });
export const INTERESTED: Interested = Object.freeze({ type: 'interested' });
export const NOT_INTERESTED: NotInterested = Object.freeze({ type: 'not-interested' });
export const HAVE_ALL: HaveAll = Object.freeze({ type: 'have-all' });
export const HAVE_NONE: HaveNone = Object.freeze({ type: 'have-none' });

/** True for the ids this codec decodes into a named message. */
export function isKnownMessageId(id: number): boolean {
  return (id >= MessageId.choke && id <= MessageId.port)
    || (id >= MessageId.suggest && id <= MessageId.allowedFast)
    || id === MessageId.extended;
}
