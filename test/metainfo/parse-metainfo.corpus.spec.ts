import { describe, it, expect } from 'vitest';
import { MetainfoError, parseMetainfo } from '../../src/metainfo/index.js';
import type { MetainfoErrorDetail, MetainfoLimits } from '../../src/metainfo/index.js';
import { dict, int, list, listOf, pieces, raw, sha1, str, torrent } from './raw-bencode.js';
import type { Raw } from './raw-bencode.js';

function rejection(bytes: Raw, limits?: MetainfoLimits): MetainfoErrorDetail {
  try {
    parseMetainfo(bytes, sha1, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(MetainfoError);
    if (error instanceof MetainfoError) {
      expect(error.message).not.toContain('\n');
      return error.detail;
    }
  }
  throw new Error('expected the torrent to be rejected');
}

const single = (...override: [string, Raw][]): Raw => {
  const fields = new Map<string, Raw>([
    ['length', int(100)],
    ['name', str('a.txt')],
    ['piece length', int(64)],
    ['pieces', pieces(2)],
  ]);
  for (const [key, value] of override) fields.set(key, value);
  return dict(...fields.entries());
};

const fileEntry = (length: number | string, ...path: string[]): Raw =>
  dict(['length', int(length)], ['path', list(...path.map((segment) => str(segment)))]);

const multi = (files: Raw, pieceLength = 64, count = 2): Raw =>
  dict(['files', files], ['name', str('folder')], ['piece length', int(pieceLength)], ['pieces', pieces(count)]);

const unsafe = (...path: string[]): Raw => torrent(multi(list(fileEntry(100, ...path))));

describe('parseMetainfo: the malformed corpus', () => {
  it.each<[string, Raw, Partial<MetainfoErrorDetail>]>([
    ['garbage', raw('not bencode'), { kind: 'bencode' }],
    ['trailing bytes', raw(torrent(single()), 'x'), { kind: 'bencode', bencode: { kind: 'trailing-bytes', offset: torrent(single()).length, count: 1 } }],
    ['a list at the top', list(int(1)), { kind: 'not-a-dict' }],
    ['no info', dict(['announce', str('x')]), { kind: 'missing-key', key: 'info' }],
    ['info is an integer', dict(['info', int(1)]), { kind: 'wrong-type', key: 'info', expected: 'dictionary' }],
    ['no name', torrent(dict(['length', int(100)], ['piece length', int(64)], ['pieces', pieces(2)])), { kind: 'missing-key', key: 'info.name' }],
    ['name is a list', torrent(single(['name', list()])), { kind: 'wrong-type', key: 'info.name', expected: 'string' }],
    ['no piece length', torrent(dict(['length', int(100)], ['name', str('a')], ['pieces', pieces(2)])), { kind: 'missing-key', key: 'info.piece length' }],
    ['piece length 0', torrent(single(['piece length', int(0)])), { kind: 'bad-piece-length', pieceLength: 0 }],
    ['negative piece length', torrent(single(['piece length', int(-64)])), { kind: 'bad-piece-length', pieceLength: -64 }],
    ['piece length of 512 MiB', torrent(single(['piece length', int(512 * 1024 * 1024)])), { kind: 'bad-piece-length' }],
    ['piece length as a string', torrent(single(['piece length', str('64')])), { kind: 'wrong-type', key: 'info.piece length', expected: 'integer' }],
    ['no pieces', torrent(dict(['length', int(100)], ['name', str('a')], ['piece length', int(64)])), { kind: 'missing-key', key: 'info.pieces' }],
    ['pieces of 41 bytes', torrent(single(['pieces', str(new Uint8Array(41))])), { kind: 'pieces-not-multiple-of-20', length: 41 }],
    ['one piece hash short', torrent(single(['pieces', pieces(1)])), { kind: 'piece-count-mismatch', expected: 2, actual: 1 }],
    ['one piece hash too many', torrent(single(['pieces', pieces(3)])), { kind: 'piece-count-mismatch', expected: 2, actual: 3 }],
    ['negative length', torrent(single(['length', int(-1)])), { kind: 'negative-length', key: 'info.length', length: -1 }],
    ['negative file length', torrent(multi(list(fileEntry(-5, 'a'), fileEntry(100, 'b')))), { kind: 'negative-length', key: 'info.files[0].length' }],
    ['length and files', torrent(dict(['files', list(fileEntry(100, 'a'))], ['length', int(100)], ['name', str('x')], ['piece length', int(64)], ['pieces', pieces(2)])), { kind: 'ambiguous-layout' }],
    ['neither length nor files', torrent(dict(['name', str('x')], ['piece length', int(64)], ['pieces', pieces(2)])), { kind: 'missing-key', key: 'info.length' }],
    ['empty files list', torrent(multi(list(), 64, 0)), { kind: 'no-files' }],
    ['files is a dictionary', torrent(multi(dict())), { kind: 'wrong-type', key: 'info.files', expected: 'list' }],
    ['a file entry that is a string', torrent(multi(list(str('a')))), { kind: 'wrong-type', key: 'info.files[0]', expected: 'dictionary' }],
    ['a file without a path', torrent(multi(list(dict(['length', int(100)])))), { kind: 'missing-key', key: 'info.files[0].path' }],
    ['a path segment that is an integer', torrent(multi(list(dict(['length', int(100)], ['path', list(int(3))])))), { kind: 'wrong-type', key: 'info.files[0].path[0]', expected: 'string' }],
    ['total length 0', torrent(single(['length', int(0)], ['pieces', str('')])), { kind: 'empty-torrent' }],
    ['an 8-byte total length', torrent(multi(list(fileEntry(Number.MAX_SAFE_INTEGER, 'a'), fileEntry(1, 'b')))), { kind: 'total-length-overflow', key: 'info.files[1].length' }],
    ['an integer beyond 2^53', torrent(single(['length', int('9007199254740993')])), { kind: 'bencode', bencode: { kind: 'integer-out-of-range', offset: 60 } }],
    ['duplicate keys in info', torrent(dict(['length', int(100)], ['length', int(100)], ['name', str('a')])), { kind: 'bencode', bencode: { kind: 'duplicate-key', offset: 65, key: 'length' } }],
    ['a leading zero', torrent(single(['length', int('0100')])), { kind: 'bencode', bencode: { kind: 'integer-leading-zero', offset: 60 } }],
    ['`..` in a path', unsafe('..', 'etc', 'passwd'), { kind: 'unsafe-path', path: '../etc/passwd', reason: 'dot-segment' }],
    ['`.` in a path', unsafe('a', '.', 'b'), { kind: 'unsafe-path', reason: 'dot-segment' }],
    ['an empty segment', unsafe('a', '', 'b'), { kind: 'unsafe-path', reason: 'empty-segment' }],
    ['an empty path', unsafe(), { kind: 'unsafe-path', path: '', reason: 'empty-path' }],
    ['an absolute path', unsafe('/etc/passwd'), { kind: 'unsafe-path', reason: 'separator' }],
    ['a slash in a segment', unsafe('a/b'), { kind: 'unsafe-path', reason: 'separator' }],
    ['a backslash in a segment', unsafe('..\\..\\win.ini'), { kind: 'unsafe-path', reason: 'separator' }],
    ['NUL in a segment', unsafe('a\u0000b'), { kind: 'unsafe-path', reason: 'nul' }],
    ['a drive prefix', unsafe('C:', 'Windows'), { kind: 'unsafe-path', reason: 'drive-prefix' }],
    ['a drive-relative name', unsafe('c:evil'), { kind: 'unsafe-path', reason: 'drive-prefix' }],
    ['name `..`', torrent(single(['name', str('..')])), { kind: 'unsafe-path', path: '..', reason: 'dot-segment' }],
    ['an empty name', torrent(single(['name', str('')])), { kind: 'unsafe-path', reason: 'empty-segment' }],
    ['name.utf-8 `..`', torrent(single(['name', str('ok')], ['name.utf-8', str('..')])), { kind: 'unsafe-path', reason: 'dot-segment' }],
    ['path.utf-8 with `..`', torrent(multi(list(dict(['length', int(100)], ['path', list(str('ok'))], ['path.utf-8', list(str('..'), str('x'))])))), { kind: 'unsafe-path', reason: 'dot-segment' }],
    ['two files at one path', torrent(multi(list(fileEntry(50, 'a'), fileEntry(50, 'a')))), { kind: 'duplicate-path', path: 'a' }],
    ['two files equal after sanitising', torrent(multi(list(fileEntry(50, 'a?'), fileEntry(50, 'a*')))), { kind: 'duplicate-path', path: 'a_' }],
    ['a file where a folder must be', torrent(multi(list(fileEntry(50, 'a'), fileEntry(50, 'a', 'b')))), { kind: 'duplicate-path', path: 'a' }],
    ['a folder where a file must be', torrent(multi(list(fileEntry(50, 'a', 'b'), fileEntry(50, 'a')))), { kind: 'duplicate-path', path: 'a' }],
  ])('rejects %s', (_name, bytes, expected) => {
    expect(rejection(bytes)).toMatchObject(expected);
  });

  it('enforces the file-count limit, default 100,000 and configurable', () => {
    const files = list(...Array.from({ length: 11 }, (_, i) => fileEntry(i === 0 ? 100 : 0, `f${i}`)));
    expect(rejection(torrent(multi(files)), { maxFiles: 10 })).toEqual({ kind: 'too-many-files', count: 11, max: 10 });
    expect(parseMetainfo(torrent(multi(files)), sha1, { maxFiles: 11 }).files).toHaveLength(11);
    const many = listOf(Array.from({ length: 100_001 }, (_, i) => fileEntry(i === 0 ? 100 : 0, `${i}`)));
    expect(rejection(torrent(multi(many)))).toEqual({ kind: 'too-many-files', count: 100_001, max: 100_000 });
  });

  it('enforces the torrent size limit and the piece length limit', () => {
    const bytes = torrent(single());
    expect(rejection(bytes, { maxTorrentBytes: bytes.length - 1 })).toEqual({
      kind: 'torrent-too-large',
      size: bytes.length,
      max: bytes.length - 1,
    });
    expect(parseMetainfo(bytes, sha1, { maxTorrentBytes: bytes.length }).totalLength).toBe(100);
    expect(rejection(bytes, { maxPieceLength: 32 })).toEqual({ kind: 'bad-piece-length', pieceLength: 64, max: 32 });
    const big = torrent(single(['piece length', int(256 * 1024 * 1024)], ['pieces', pieces(1)]));
    expect(parseMetainfo(big, sha1).pieceLength).toBe(256 * 1024 * 1024);
  });

  it('refuses nesting deeper than 64 inside a torrent', () => {
    const deep = raw('d4:infol', 'l'.repeat(70), 'e'.repeat(70), 'ee');
    expect(rejection(deep)).toMatchObject({ kind: 'bencode', bencode: { kind: 'too-deep' } });
  });
});
