/**
 * The typed view of a `.torrent` file (BEP 3, with BEP 12 tiers, BEP 19 url-list, BEP 27 private
 * and BEP 47 pad files). Produced by `parseMetainfo`; everything here is validated.
 */
export interface TorrentFile {
  /** Path segments below the torrent's folder (multi-file) or `[name]` (single-file). Safe: no
   * `..`, `.`, empty, absolute or drive-prefixed segment, no separator or NUL inside a segment. */
  readonly path: readonly string[];
  readonly length: number;
  /** Byte offset of the file's first byte in the torrent's concatenated data. */
  readonly offset: number;
  /** BEP 47 pad file (`attr` contains `p`): counted in offsets, never written to disk. */
  readonly pad: boolean;
}

export interface Metainfo {
  /** SHA-1 of the exact raw bytes of the `info` value as they appear in the file. */
  readonly infoHash: Uint8Array;
  /** `infoHash` as 40 lowercase hex characters. */
  readonly infoHashHex: string;
  readonly name: string;
  readonly pieceLength: number;
  /** Piece hashes, 20 bytes each; `pieceHashes.length === pieceCount`. */
  readonly pieceHashes: readonly Uint8Array[];
  readonly pieceCount: number;
  readonly files: readonly TorrentFile[];
  readonly totalLength: number;
  /** True when the torrent is single-file (the info dict has `length`, not `files`). */
  readonly singleFile: boolean;
  /** Announce tiers: `announce-list` when present and non-empty, otherwise `[[announce]]`. */
  readonly announce: readonly (readonly string[])[];
  readonly private: boolean;
  readonly urlList: readonly string[];
  readonly comment?: string;
  readonly createdBy?: string;
  /** Seconds since the epoch, as in the file. */
  readonly creationDate?: number;
  /** The raw bytes of the `info` value (a view into the input). */
  readonly infoBytes: Uint8Array;
}
