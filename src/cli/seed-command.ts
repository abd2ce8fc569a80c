/**
 * `rxtorrent seed`: the download run with `seed: true` over a folder that already holds the
 * content. The client checks the data, then seeds until SIGINT or SIGTERM; a graceful stop of a
 * seed is success (exit 0), a torrent's fatal error is not (exit 1).
 */
import { runTorrents } from './download-command.js';
import type { SwarmArgs, TorrentRunIo } from './download-command.js';

export interface SeedArgs extends SwarmArgs {
  readonly dir: string;
}

export function runSeed(args: SeedArgs, io: TorrentRunIo): Promise<number> {
  return runTorrents({ ...args, command: 'seed', seed: true }, io);
}
