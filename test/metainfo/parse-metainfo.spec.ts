import { describe, it, expect } from 'vitest';
import { parseMetainfo } from '../../src/metainfo/index.js';
import { dict, int, list, listOf, pieces, raw, sha1, sha1Hex, str, torrent } from './raw-bencode.js';
import type { Raw } from './raw-bencode.js';

const fileEntry = (length: number, ...path: string[]): Raw =>
  dict(['length', int(length)], ['path', list(...path.map((segment) => str(segment)))]);

const padEntry = (length: number): Raw =>
  dict(['attr', str('p')], ['length', int(length)], ['path', list(str('.pad'), str(String(length)))]);

describe('parseMetainfo: valid torrents and oddities', () => {
  it('parses a single-file torrent and hashes the raw info bytes', () => {
    const info = dict(['length', int(100)], ['name', str('a.txt')], ['piece length', int(64)], ['pieces', pieces(2)]);
    const bytes = torrent(info, ['comment', str('hi')], ['created by', str('me')], ['creation date', int(1700000000)]);
    const meta = parseMetainfo(bytes, sha1);
    expect(meta.infoHashHex).toBe(sha1Hex(info));
    expect(meta.infoHash).toEqual(sha1(info));
    expect(meta.infoBytes).toEqual(info);
    expect(meta.singleFile).toBe(true);
    expect(meta.name).toBe('a.txt');
    expect(meta.files).toEqual([{ path: ['a.txt'], length: 100, offset: 0, pad: false }]);
    expect(meta.totalLength).toBe(100);
    expect(meta.pieceCount).toBe(2);
    expect(meta.pieceHashes).toHaveLength(2);
    expect(meta.pieceHashes[1]).toEqual(new Uint8Array(20).map((_, i) => (20 + i) % 251));
    expect(meta.announce).toEqual([['http://tracker.example/announce']]);
    expect(meta.private).toBe(false);
    expect(meta.urlList).toEqual([]);
    expect(meta.comment).toBe('hi');
    expect(meta.createdBy).toBe('me');
    expect(meta.creationDate).toBe(1700000000);
  });

  it('keeps the identity of a torrent with unsorted keys (hash over raw bytes, not a re-encoding)', () => {
    const info = dict(['pieces', pieces(1)], ['name', str('z')], ['piece length', int(16384)], ['length', int(10)], ['zzz', list()], ['aaa', int(1)]);
    const bytes = dict(['info', info], ['announce', str('udp://t:1')]);
    const meta = parseMetainfo(bytes, sha1);
    expect(meta.infoHashHex).toBe(sha1Hex(info));
    const sorted = dict(['aaa', int(1)], ['length', int(10)], ['name', str('z')], ['piece length', int(16384)], ['pieces', pieces(1)], ['zzz', list()]);
    expect(meta.infoHashHex).not.toBe(sha1Hex(sorted));
  });

  it('decodes UTF-8 names and prefers name.utf-8 and path.utf-8', () => {
    const info = dict(
      ['files', list(
        fileEntry(10, 'résumé', '日本語.txt'),
        dict(['length', int(10)], ['path', list(str('legacy'))], ['path.utf-8', list(str('ünïcode'), str('ok'))]),
      )],
      ['name', str('raw name')],
      ['name.utf-8', str('名前')],
      ['piece length', int(16)],
      ['pieces', pieces(2)],
    );
    const meta = parseMetainfo(torrent(info), sha1);
    expect(meta.infoHashHex).toBe(sha1Hex(info));
    expect(meta.name).toBe('名前');
    expect(meta.files.map((file) => file.path)).toEqual([['résumé', '日本語.txt'], ['ünïcode', 'ok']]);
  });

  it('turns invalid UTF-8 into replacement characters', () => {
    const info = dict(['length', int(1)], ['name', str(new Uint8Array([0x61, 0xff, 0x62]))], ['piece length', int(1)], ['pieces', pieces(1)]);
    expect(parseMetainfo(torrent(info), sha1).name).toBe('a\ufffdb');
  });

  it('counts pad files in offsets and marks them', () => {
    const info = dict(
      ['files', list(fileEntry(10, 'a'), padEntry(6), fileEntry(0, 'empty'), fileEntry(20, 'b'), padEntry(12), fileEntry(16, 'c'))],
      ['name', str('padded')],
      ['piece length', int(16)],
      ['pieces', pieces(4)],
    );
    const meta = parseMetainfo(torrent(info), sha1);
    expect(meta.infoHashHex).toBe(sha1Hex(info));
    expect(meta.files.map(({ offset, length, pad }) => ({ offset, length, pad }))).toEqual([
      { offset: 0, length: 10, pad: false },
      { offset: 10, length: 6, pad: true },
      { offset: 16, length: 0, pad: false },
      { offset: 16, length: 20, pad: false },
      { offset: 36, length: 12, pad: true },
      { offset: 48, length: 16, pad: false },
    ]);
    expect(meta.totalLength).toBe(64);
  });

  it('parses 20,000 files', () => {
    const entries = Array.from({ length: 20_000 }, (_, i) => fileEntry(i % 3, `dir${i % 10}`, `file-${i}.bin`));
    const total = Array.from({ length: 20_000 }, (_, i) => i % 3).reduce((a, b) => a + b, 0);
    const info = dict(['files', listOf(entries)], ['name', str('many')], ['piece length', int(1024)], ['pieces', pieces(Math.ceil(total / 1024))]);
    const meta = parseMetainfo(torrent(info), sha1);
    expect(meta.files).toHaveLength(20_000);
    expect(meta.infoHashHex).toBe(sha1Hex(info));
    expect(meta.totalLength).toBe(total);
    expect(meta.files[19_999]?.offset).toBe(total - (19_999 % 3));
  });

  it('accepts zero-length files and a piece length that is not a power of two', () => {
    const info = dict(['files', list(fileEntry(0, 'zero'), fileEntry(1000, 'data'), fileEntry(0, 'zero2'))], ['name', str('odd')], ['piece length', int(300)], ['pieces', pieces(4)]);
    const meta = parseMetainfo(torrent(info), sha1);
    expect(meta.pieceLength).toBe(300);
    expect(meta.pieceCount).toBe(4);
    expect(meta.files.map((file) => file.offset)).toEqual([0, 0, 1000]);
    expect(meta.infoHashHex).toBe(sha1Hex(info));
  });

  it('sanitises harmless oddities in names', () => {
    const info = dict(
      ['files', list(fileEntry(1, 'CON'), fileEntry(1, 'what?.txt'), fileEntry(1, 'trailing. '), fileEntry(1, 'tab\there'), fileEntry(1, 'lpt1.log'))],
      ['name', str('a<b>:c')],
      ['piece length', int(5)],
      ['pieces', pieces(1)],
    );
    const meta = parseMetainfo(torrent(info), sha1);
    expect(meta.name).toBe('a_b__c');
    expect(meta.files.map((file) => file.path[0])).toEqual(['_CON', 'what_.txt', 'trailing__', 'tab_here', '_lpt1.log']);
  });

  it('reads announce-list tiers, dropping empty tiers and non-string URLs', () => {
    const info = dict(['length', int(1)], ['name', str('a')], ['piece length', int(1)], ['pieces', pieces(1)]);
    const tiers = list(list(str('http://a'), int(3), str('http://b')), list(), list(str('')), str('junk'), list(str('udp://c')));
    const meta = parseMetainfo(dict(['announce', str('http://x')], ['announce-list', tiers], ['info', info]), sha1);
    expect(meta.announce).toEqual([['http://a', 'http://b'], ['udp://c']]);
    const fallback = parseMetainfo(dict(['announce', str('http://x')], ['announce-list', list(list())], ['info', info]), sha1);
    expect(fallback.announce).toEqual([['http://x']]);
    expect(parseMetainfo(dict(['info', info]), sha1).announce).toEqual([]);
  });

  it('reads private only when it is 1, and url-list as a string or a list', () => {
    const info = (priv: Raw): Raw => dict(['length', int(1)], ['name', str('a')], ['piece length', int(1)], ['pieces', pieces(1)], ['private', priv]);
    expect(parseMetainfo(dict(['info', info(int(1))]), sha1).private).toBe(true);
    expect(parseMetainfo(dict(['info', info(int(2))]), sha1).private).toBe(false);
    expect(parseMetainfo(dict(['info', info(str('1'))]), sha1).private).toBe(false);
    const withUrls = (urls: Raw): Raw => dict(['info', info(int(0))], ['url-list', urls]);
    expect(parseMetainfo(withUrls(str('http://seed/')), sha1).urlList).toEqual(['http://seed/']);
    expect(parseMetainfo(withUrls(list(str('http://a/'), int(1), str('http://b/'))), sha1).urlList).toEqual(['http://a/', 'http://b/']);
    expect(parseMetainfo(withUrls(str('')), sha1).urlList).toEqual([]);
  });

  it('ignores optional fields of the wrong type', () => {
    const info = dict(['length', int(1)], ['name', str('a')], ['piece length', int(1)], ['pieces', pieces(1)]);
    const meta = parseMetainfo(dict(['announce', int(5)], ['comment', list()], ['creation date', str('yesterday')], ['info', info]), sha1);
    expect(meta.announce).toEqual([]);
    expect(meta.comment).toBeUndefined();
    expect(meta.creationDate).toBeUndefined();
  });

  it('returns views into the input, not copies', () => {
    const info = dict(['length', int(1)], ['name', str('a')], ['piece length', int(1)], ['pieces', pieces(1)]);
    const bytes = raw(torrent(info));
    const meta = parseMetainfo(bytes, sha1);
    expect(meta.infoBytes.buffer).toBe(bytes.buffer);
  });
});
