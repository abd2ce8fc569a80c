import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeBencode, encodeBencode } from '../../src/bencode/index.js';
import { parseMetainfo } from '../../src/metainfo/index.js';
import { sha1 } from './raw-bencode.js';

interface Expected {
  readonly infoHashHex: string;
  readonly name: string;
  readonly pieceLength: number;
  readonly pieceCount: number;
  readonly private: boolean;
  readonly comment?: string;
  readonly announce: readonly (readonly string[])[];
  readonly urlList: readonly string[];
  readonly files: readonly string[];
}

const folder = new URL('../fixtures/metainfo/', import.meta.url);
const expectations = new Map<string, Expected>(
  Object.entries(JSON.parse(readFileSync(new URL('expected.json', folder), 'utf8')) as Record<string, Expected>).filter(
    ([name]) => name.endsWith('.torrent'),
  ),
);

describe('parseMetainfo: torrents made by mktorrent and transmission-create', () => {
  it.each([...expectations.entries()])('%s', (fileName, expected) => {
    const bytes = new Uint8Array(readFileSync(fileURLToPath(new URL(fileName, folder))));
    const meta = parseMetainfo(bytes, sha1);
    expect(meta.infoHashHex).toBe(expected.infoHashHex);
    expect(meta.name).toBe(expected.name);
    expect(meta.pieceLength).toBe(expected.pieceLength);
    expect(meta.pieceCount).toBe(expected.pieceCount);
    expect(meta.private).toBe(expected.private);
    expect(meta.comment).toBe(expected.comment);
    expect(meta.announce).toEqual(expected.announce);
    expect(meta.urlList).toEqual(expected.urlList);
    expect(meta.files.map((file) => file.path.join('/'))).toEqual(expected.files);
    // Both tools write canonical bencode: our encoder reproduces the file byte for byte.
    expect(encodeBencode(decodeBencode(bytes))).toEqual(bytes);
  });
});
