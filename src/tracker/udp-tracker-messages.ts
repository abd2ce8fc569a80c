/**
 * The UDP tracker protocol's datagrams (BEP 15), as pure encoders and a validating decoder.
 *
 *   connect request   protocol_id(8) action=0(4) transaction_id(4)               16 bytes
 *   connect response  action=0(4) transaction_id(4) connection_id(8)             16 bytes
 *   announce request  connection_id(8) action=1(4) transaction_id(4) info_hash(20) peer_id(20)
 *                     downloaded(8) left(8) uploaded(8) event(4) ip(4) key(4) num_want(4) port(2)
 *                                                                                98 bytes
 *   announce response action=1(4) transaction_id(4) interval(4) leechers(4) seeders(4) peers
 *   error response    action=3(4) transaction_id(4) message
 */
import type { AnnounceEventName, AnnounceParams, PeerAddress } from './announce-types.js';
import { compactPeerSize, decodeCompactPeers } from './compact-peers.js';
import type { AddressFamily } from './compact-peers.js';
import { TrackerError } from './tracker-error.js';

export const UDP_PROTOCOL_ID = 0x41727101980n;

export const UdpAction = { connect: 0, announce: 1, scrape: 2, error: 3 } as const;

const EVENT_CODE: Record<AnnounceEventName, number> = { completed: 1, started: 2, stopped: 3 };

export type UdpResponse =
  | { readonly action: 'connect'; readonly transactionId: number; readonly connectionId: Uint8Array }
  | {
      readonly action: 'announce';
      readonly transactionId: number;
      readonly interval: number;
      readonly leechers: number;
      readonly seeders: number;
      readonly peers: readonly PeerAddress[];
    }
  | { readonly action: 'error'; readonly transactionId: number; readonly message: string };

export function encodeConnectRequest(transactionId: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, UDP_PROTOCOL_ID);
  view.setUint32(8, UdpAction.connect);
  view.setUint32(12, transactionId >>> 0);
  return bytes;
}

export function encodeAnnounceRequest(
  connectionId: Uint8Array,
  transactionId: number,
  params: AnnounceParams,
): Uint8Array {
  if (connectionId.length !== 8) throw new RangeError('connection id must be 8 bytes');
  if (params.infoHash.length !== 20 || params.peerId.length !== 20) {
    throw new RangeError('info hash and peer id must be 20 bytes');
  }
  const bytes = new Uint8Array(98);
  const view = new DataView(bytes.buffer);
  bytes.set(connectionId, 0);
  view.setUint32(8, UdpAction.announce);
  view.setUint32(12, transactionId >>> 0);
  bytes.set(params.infoHash, 16);
  bytes.set(params.peerId, 36);
  view.setBigUint64(56, toUint64(params.downloaded));
  view.setBigUint64(64, toUint64(params.left));
  view.setBigUint64(72, toUint64(params.uploaded));
  view.setUint32(80, params.event === undefined ? 0 : EVENT_CODE[params.event]);
  view.setUint32(84, 0); // ip: 0 = the sender's address
  view.setUint32(88, (params.key ?? 0) >>> 0);
  view.setInt32(92, params.numWant === undefined ? -1 : Math.max(0, Math.floor(params.numWant)));
  view.setUint16(96, params.port & 0xffff);
  return bytes;
}

/** The transaction id of any response (bytes 4..8), or `undefined` when the datagram is shorter. */
export function peekTransactionId(bytes: Uint8Array): number | undefined {
  if (bytes.length < 8) return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
}

/**
 * Decodes a response datagram. `family` is the tracker's address family: it decides whether an
 * announce response carries 6- or 18-byte peers. Throws `TrackerError` `malformed` on an unknown
 * action or a wrong length.
 */
export function decodeUdpResponse(bytes: Uint8Array, family: AddressFamily): UdpResponse {
  if (bytes.length < 8) throw malformed(`datagram of ${bytes.length} bytes is too short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const action = view.getUint32(0);
  const transactionId = view.getUint32(4);
  switch (action) {
    case UdpAction.connect:
      if (bytes.length < 16) throw malformed(`connect response of ${bytes.length} bytes (need 16)`);
      return { action: 'connect', transactionId, connectionId: bytes.slice(8, 16) };
    case UdpAction.announce: {
      if (bytes.length < 20) throw malformed(`announce response of ${bytes.length} bytes (need 20)`);
      const peerBytes = bytes.subarray(20);
      const peers = decodeCompactPeers(peerBytes, family);
      if (peers === undefined) {
        throw malformed(`announce peers of ${peerBytes.length} bytes are not ${compactPeerSize(family)}-byte entries`);
      }
      return {
        action: 'announce',
        transactionId,
        interval: view.getUint32(8),
        leechers: view.getUint32(12),
        seeders: view.getUint32(16),
        peers,
      };
    }
    case UdpAction.error:
      return { action: 'error', transactionId, message: new TextDecoder().decode(bytes.subarray(8)) };
    default:
      throw malformed(`unknown action ${action}`);
  }
}

function toUint64(value: number): bigint {
  return Number.isFinite(value) && value > 0 ? BigInt(Math.floor(value)) : 0n;
}

function malformed(reason: string): TrackerError {
  return new TrackerError({ kind: 'malformed', reason });
}
