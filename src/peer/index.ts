export type { Connection, PeerAddress } from './connection.js';
export { ConnectionError } from './connection-error.js';
export type { ConnectionErrorDetail, ConnectionErrorKind } from './connection-error.js';
export type {
  BlockRequest, CloseReason, CloseReasonKind, DropReason, PeerCommand, PeerCommandType, PeerEvent, PeerEventType, PieceSet,
} from './peer-events.js';
export { peerSession } from './peer-session.js';
export type { AcceptedPeer, DialedPeer, PeerSessionDeps, PeerSessionInput } from './peer-session.js';
export { resolvePeerSessionOptions } from './peer-session-options.js';
export type { PeerSessionOptions, ResolvedPeerSessionOptions } from './peer-session-options.js';
export { DEFAULT_PIPELINE_DEPTH, pipelineDepth } from './pipeline-depth.js';
export type { PipelineDepthConfig } from './pipeline-depth.js';
export { decodeExtensionHandshake, encodeExtensionHandshake } from './extension-handshake.js';
export type { ExtensionHandshake, OurExtensionHandshake } from './extension-handshake.js';
