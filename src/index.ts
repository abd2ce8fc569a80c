/**
 * rxtorrent, the library. Pure layers (bencode, metainfo, wire, tracker codecs, pieces), the
 * operators and actors, and the Node edges (reading and creating torrents, tracker transports).
 * The operators alone are also published at `rxtorrent/operators`.
 */
export * from './bencode/index.js';
export * from './metainfo/index.js';
export * from './wire/index.js';
export * from './pieces/index.js';
export * from './tracker/index.js';
export * from './operators/index.js';
export { parseTorrent, readTorrentFile } from './io/read-torrent.js';
export { createTorrent, CreateTorrentError } from './io/create-torrent.js';
export type { CreateTorrentEvent, CreateTorrentOptions } from './io/create-torrent.js';
export { httpAnnounce } from './io/http-tracker.js';
export { UdpTrackerClient } from './io/udp-tracker.js';
export { defaultTransport, sharedUdpTrackerClient } from './io/tracker-transport.js';
export * from './peer/index.js';
export * from './choke/index.js';
export { supervisor } from './torrent/supervisor.js';
export type * from './torrent/supervisor-types.js';
export { PeerDirectory } from './torrent/peer-directory.js';
export { createClient } from './client/create-client.js';
export type * from './client/client-types.js';
export type * from './client/torrent-events.js';
export { runTorrent } from './client/run-torrent.js';
export { createDiskPool } from './io/disk-pool.js';
export { createFileStorage } from './io/storage.js';
export { allocateAligned } from './io/aligned-memory.js';
export type { DiskPool, ReadRequest, WriteRequest, WriteResult } from './io/disk-pool.js';
export { DiskError } from './io/disk-error.js';
export { createHashPool, allocatePieceBuffer } from './io/hash-pool.js';
export type { HashPool } from './io/hash-pool.js';
export { connectTcp, acceptTcp } from './io/tcp-connection.js';
export { listenForPeers } from './io/peer-listener.js';
export { startTrackerServer } from './io/tracker-server.js';
