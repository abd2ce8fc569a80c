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
