import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { decodeBencode, encodeBencode } from '../../src/bencode/index.js';
import { buildMetainfo, MetainfoError, parseMetainfo } from '../../src/metainfo/index.js';
import type { BuildMetainfoInput } from '../../src/metainfo/index.js';

const sha1 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(data).digest());
const hashes = (count: number): Uint8Array => new Uint8Array(count * 20).map((_, i) => i);

const base: BuildMetainfoInput = {
  name: 'folder',
  files: [
    { path: ['a', 'b.txt'], length: 100 },
    { path: ['empty'], length: 0 },
    { path: ['c'], length: 29 },
  ],
  pieceLength: 64,
  pieceHashes: hashes(3),
};

function kindOf(input: BuildMetainfoInput): string {
  try {
    buildMetainfo(input);
  } catch (error) {
    if (error instanceof MetainfoError) return error.detail.kind;
    throw error;
  }
  return 'no error';
}

describe('buildMetainfo', () => {
  it('writes a multi-file torrent that parses back', () => {
    const bytes = buildMetainfo({
      ...base,
      announce: [['http://a/announce', 'http://b/announce'], ['udp://c:80']],
      private: true,
      comment: 'a comment',
      createdBy: 'rxtorrent test',
      creationDate: 1_700_000_000,
      urlList: ['http://seed/'],
    });
    const meta = parseMetainfo(bytes, sha1);
    expect(meta.name).toBe('folder');
    expect(meta.singleFile).toBe(false);
    expect(meta.files.map((file) => [file.path, file.length, file.offset])).toEqual([
      [['a', 'b.txt'], 100, 0],
      [['empty'], 0, 100],
      [['c'], 29, 100],
    ]);
    expect(meta.pieceHashes.map((hash) => Array.from(hash))).toEqual([0, 1, 2].map((p) => Array.from(hashes(3).subarray(p * 20, p * 20 + 20))));
    expect(meta.announce).toEqual([['http://a/announce', 'http://b/announce'], ['udp://c:80']]);
    expect(meta.private).toBe(true);
    expect(meta.comment).toBe('a comment');
    expect(meta.createdBy).toBe('rxtorrent test');
    expect(meta.creationDate).toBe(1_700_000_000);
    expect(meta.urlList).toEqual(['http://seed/']);
    // Canonical: re-encoding the decoded value gives the same bytes.
    expect(encodeBencode(decodeBencode(bytes))).toEqual(bytes);
    const root = decodeBencode(bytes);
    const announce = root instanceof Map ? root.get('announce') : undefined;
    expect(announce instanceof Uint8Array ? new TextDecoder().decode(announce) : '').toBe('http://a/announce');
  });

  it('writes announce-list only when there is more than one URL', () => {
    const root = decodeBencode(buildMetainfo({ ...base, announce: [['http://only/']] }));
    expect(root instanceof Map ? [...root.keys()] : []).toEqual(['announce', 'info']);
    const none = decodeBencode(buildMetainfo(base));
    expect(none instanceof Map ? [...none.keys()] : []).toEqual(['info']);
    const two = decodeBencode(buildMetainfo({ ...base, announce: [['http://one/'], ['http://two/']] }));
    expect(two instanceof Map ? [...two.keys()] : []).toEqual(['announce', 'announce-list', 'info']);
  });

  it('writes a single-file torrent with length and no private flag by default', () => {
    const bytes = buildMetainfo({ name: 'f.bin', files: [{ path: [], length: 65 }], singleFile: true, pieceLength: 64, pieceHashes: hashes(2) });
    const meta = parseMetainfo(bytes, sha1);
    expect(meta.singleFile).toBe(true);
    expect(meta.files).toEqual([{ path: ['f.bin'], length: 65, offset: 0, pad: false }]);
    expect(meta.private).toBe(false);
    const root = decodeBencode(bytes);
    const info = root instanceof Map ? root.get('info') : undefined;
    expect(info instanceof Map ? [...info.keys()] : []).toEqual(['length', 'name', 'piece length', 'pieces']);
  });

  it('refuses inputs that would not parse back', () => {
    expect(kindOf({ ...base, pieceHashes: hashes(2) })).toBe('piece-count-mismatch');
    expect(kindOf({ ...base, pieceHashes: new Uint8Array(59) })).toBe('pieces-not-multiple-of-20');
    expect(kindOf({ ...base, files: [{ path: ['a'], length: 0 }], pieceHashes: hashes(0) })).toBe('empty-torrent');
    expect(kindOf({ ...base, files: [], pieceHashes: hashes(0) })).toBe('empty-torrent');
    expect(kindOf({ ...base, singleFile: true })).toBe('no-files');
  });
});
