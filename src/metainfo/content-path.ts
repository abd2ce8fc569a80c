import type { Metainfo, TorrentFile } from './metainfo.js';

/**
 * Where a torrent's file lives below the download folder, as path segments: `[name]` for a
 * single-file torrent, `[name, ...path]` otherwise. The one rule the disk, the resume record and
 * `info` share.
 */
export function contentPath(meta: Metainfo, file: TorrentFile): readonly string[] {
  return meta.singleFile ? file.path : [meta.name, ...file.path];
}
