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

export interface KeepAliveMessage { readonly type: 'keep-alive' }
export interface ChokeMessage { readonly type: 'choke' }
export interface UnchokeMessage { readonly type: 'unchoke' }
export interface InterestedMessage { readonly type: 'interested' }
export interface NotInterestedMessage { readonly type: 'not-interested' }
export interface HaveAllMessage { readonly type: 'have-all' }
export interface HaveNoneMessage { readonly type: 'have-none' }
export interface HaveMessage { readonly type: 'have'; readonly index: number }
export interface SuggestMessage { readonly type: 'suggest'; readonly index: number }
export interface AllowedFastMessage { readonly type: 'allowed-fast'; readonly index: number }
export interface BitfieldMessage { readonly type: 'bitfield'; readonly bits: Uint8Array }
export interface RequestMessage { readonly type: 'request'; readonly index: number; readonly begin: number; readonly length: number }
export interface CancelMessage { readonly type: 'cancel'; readonly index: number; readonly begin: number; readonly length: number }
export interface RejectMessage { readonly type: 'reject'; readonly index: number; readonly begin: number; readonly length: number }
export interface PieceMessage { readonly type: 'piece'; readonly index: number; readonly begin: number; readonly block: Uint8Array }
export interface PortMessage { readonly type: 'port'; readonly port: number }
/** BEP 10: `id` is the extended message id (0 = extension handshake), `payload` what follows it. */
export interface ExtendedMessage { readonly type: 'extended'; readonly id: number; readonly payload: Uint8Array }
/** A message id this codec does not know; BEP 3 says to ignore it. */
export interface UnknownMessage { readonly type: 'unknown'; readonly id: number; readonly payload: Uint8Array }

export type PeerMessage =
  | KeepAliveMessage | ChokeMessage | UnchokeMessage | InterestedMessage | NotInterestedMessage
  | HaveMessage | BitfieldMessage | RequestMessage | PieceMessage | CancelMessage | PortMessage
  | SuggestMessage | HaveAllMessage | HaveNoneMessage | RejectMessage | AllowedFastMessage
  | ExtendedMessage | UnknownMessage;

export type PeerMessageType = PeerMessage['type'];

/** Messages without a payload are immutable singletons: decoding them allocates nothing. */
export const KEEP_ALIVE: KeepAliveMessage = Object.freeze({ type: 'keep-alive' });
export const CHOKE: ChokeMessage = Object.freeze({ type: 'choke' });
export const UNCHOKE: UnchokeMessage = Object.freeze({ type: 'unchoke' });
export const INTERESTED: InterestedMessage = Object.freeze({ type: 'interested' });
export const NOT_INTERESTED: NotInterestedMessage = Object.freeze({ type: 'not-interested' });
export const HAVE_ALL: HaveAllMessage = Object.freeze({ type: 'have-all' });
export const HAVE_NONE: HaveNoneMessage = Object.freeze({ type: 'have-none' });

/** True for the ids this codec decodes into a named message. */
export function isKnownMessageId(id: number): boolean {
  return (id >= MessageId.choke && id <= MessageId.port)
    || (id >= MessageId.suggest && id <= MessageId.allowedFast)
    || id === MessageId.extended;
}
