import type { LayoutInput, TorrentFile } from '../../src/metainfo/index.js';

/** A layout over files of the given lengths (optionally pad files), offsets accumulated. */
export function layout(specs: readonly { length: number; pad?: boolean }[], pieceLen: number): LayoutInput {
  let offset = 0;
  const files: TorrentFile[] = specs.map((spec, index) => {
    const file = { path: [`f${index}`], length: spec.length, offset, pad: spec.pad ?? false };
    offset += spec.length;
    return file;
  });
  return { files, pieceLength: pieceLen, totalLength: offset, pieceCount: Math.ceil(offset / pieceLen) };
}
