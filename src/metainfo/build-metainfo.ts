import { encodeBencode } from '../bencode/index.js';
import type { BencodeValue } from '../bencode/index.js';
import { MetainfoError } from './metainfo-error.js';

export interface BuildMetainfoInput {
  readonly name: string;
  /** Paths below `name`; with `singleFile`, exactly one entry whose path is ignored. */
  readonly files: readonly { readonly path: readonly string[]; readonly length: number }[];
  /** Write `length` instead of `files` (a single-file torrent). Default false. */
  readonly singleFile?: boolean;
  readonly pieceLength: number;
  /** The piece hashes concatenated, 20 bytes each. */
  readonly pieceHashes: Uint8Array;
  /** Tracker tiers (BEP 12). */
  readonly announce?: readonly (readonly string[])[];
  readonly private?: boolean;
  readonly comment?: string;
  readonly createdBy?: string;
  /** Seconds since the epoch. */
  readonly creationDate?: number;
  /** Web seeds (BEP 19). */
  readonly urlList?: readonly string[];
}

/**
 * Writes the bytes of a `.torrent` (canonical bencode, keys sorted). `announce` is the first URL
 * of the first tier; `announce-list` is written as well when there is more than one URL. Checks
 * that the piece hashes match the data size, so the output always parses back.
 */
export function buildMetainfo(input: BuildMetainfoInput): Uint8Array {
  const totalLength = input.files.reduce((sum, file) => sum + file.length, 0);
  if (totalLength === 0) throw new MetainfoError({ kind: 'empty-torrent' });
  const expected = Math.ceil(totalLength / input.pieceLength);
  if (input.pieceHashes.length % 20 !== 0) {
    throw new MetainfoError({ kind: 'pieces-not-multiple-of-20', length: input.pieceHashes.length });
  }
  if (input.pieceHashes.length / 20 !== expected) {
    throw new MetainfoError({ kind: 'piece-count-mismatch', expected, actual: input.pieceHashes.length / 20 });
  }
  const info = new Map<string, BencodeValue>([
    ['name', text(input.name)],
    ['piece length', input.pieceLength],
    ['pieces', input.pieceHashes],
  ]);
  if (input.singleFile === true) {
    const only = input.files[0];
    if (input.files.length !== 1 || only === undefined) throw new MetainfoError({ kind: 'no-files' });
    info.set('length', only.length);
  } else {
    if (input.files.length === 0) throw new MetainfoError({ kind: 'no-files' });
    info.set(
      'files',
      input.files.map(
        (file) =>
          new Map<string, BencodeValue>([
            ['length', file.length],
            ['path', file.path.map(text)],
          ]),
      ),
    );
  }
  if (input.private === true) info.set('private', 1);

  const root = new Map<string, BencodeValue>([['info', info]]);
  const tiers = (input.announce ?? []).map((tier) => tier.filter((url) => url.length > 0)).filter((tier) => tier.length > 0);
  const first = tiers[0]?.[0];
  if (first !== undefined) root.set('announce', text(first));
  if (tiers.flat().length > 1) root.set('announce-list', tiers.map((tier) => tier.map(text)));
  if (input.comment !== undefined) root.set('comment', text(input.comment));
  if (input.createdBy !== undefined) root.set('created by', text(input.createdBy));
  if (input.creationDate !== undefined) root.set('creation date', input.creationDate);
  if (input.urlList !== undefined && input.urlList.length > 0) root.set('url-list', input.urlList.map(text));
  return encodeBencode(root);
}

const encoder = new TextEncoder();

function text(value: string): Uint8Array {
  return encoder.encode(value);
}
