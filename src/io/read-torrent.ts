import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { DEFAULT_METAINFO_LIMITS, MetainfoError, parseMetainfo } from '../metainfo/index.js';
import type { Metainfo, MetainfoLimits } from '../metainfo/index.js';

/** SHA-1 with node:crypto; the hash function `parseMetainfo` needs at the edge. */
export function sha1(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(data).digest());
}

/** Parses `.torrent` bytes with node:crypto's SHA-1 (see `parseMetainfo`). */
export function parseTorrent(bytes: Uint8Array, limits?: MetainfoLimits): Metainfo {
  return parseMetainfo(bytes, sha1, limits);
}

/**
 * Reads and parses a `.torrent` file. The read is bounded: a file larger than
 * `limits.maxTorrentBytes` (default 64 MiB) is refused before it is read. Failures are
 * `MetainfoError`s: `file-not-found`, `torrent-too-large`, `read-failed`, or any parse error.
 */
export async function readTorrentFile(path: string, limits?: MetainfoLimits): Promise<Metainfo> {
  const max = limits?.maxTorrentBytes ?? DEFAULT_METAINFO_LIMITS.maxTorrentBytes;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw readError(path, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new MetainfoError({ kind: 'read-failed', path, reason: 'not a regular file' });
    if (stat.size > max) throw new MetainfoError({ kind: 'torrent-too-large', size: stat.size, max });
    // Read one byte past the limit, in case the file grew since stat.
    const buffer = new Uint8Array(Math.min(stat.size, max) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) break;
    }
    if (filled > max) throw new MetainfoError({ kind: 'torrent-too-large', size: filled, max });
    return parseTorrent(buffer.subarray(0, filled), limits);
  } catch (error) {
    throw readError(path, error);
  } finally {
    await handle.close();
  }
}

function readError(path: string, error: unknown): MetainfoError {
  if (error instanceof MetainfoError) return error;
  const code = error instanceof Error && 'code' in error ? String(error.code) : undefined;
  if (code === 'ENOENT') return new MetainfoError({ kind: 'file-not-found', path });
  return new MetainfoError({ kind: 'read-failed', path, reason: error instanceof Error ? error.message : String(error) });
}
