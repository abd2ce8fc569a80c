import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { announceUrl, percentEncodeBytes } from '../../src/tracker/announce-url.js';
import type { AnnounceParams } from '../../src/tracker/announce-types.js';

const runs = Number(process.env.FUZZ_RUNS ?? 0) || 200;

const params: AnnounceParams = {
  infoHash: Uint8Array.from({ length: 20 }, (_, i) => [0x12, 0x34, 0x41, 0x7e, 0x20][i % 5] ?? 0),
  peerId: new TextEncoder().encode('-RX0010-abcdefghij.~'),
  port: 6881,
  uploaded: 10,
  downloaded: 20,
  left: 30,
};

function decodePercent(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '%') {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(text.charCodeAt(i));
  }
  return Uint8Array.from(out);
}

describe('announceUrl', () => {
  it('writes every field in order, binary values byte by byte', () => {
    const url = announceUrl('http://t.example/announce', { ...params, event: 'started', numWant: 50, key: 0xbeef, trackerId: 'a b' });
    expect(url).toBe(
      'http://t.example/announce?info_hash=%124A~%20%124A~%20%124A~%20%124A~%20' +
        '&peer_id=-RX0010-abcdefghij.~&port=6881&uploaded=10&downloaded=20&left=30&compact=1' +
        '&event=started&numwant=50&key=0000beef&trackerid=a%20b',
    );
  });

  it('keeps an existing query string and drops a fragment', () => {
    expect(announceUrl('http://t/a?passkey=x#frag', params)).toMatch(/^http:\/\/t\/a\?passkey=x&info_hash=/);
    expect(announceUrl('http://t/a?', params)).toMatch(/^http:\/\/t\/a\?info_hash=/);
    expect(announceUrl('http://t/a?x=1&', params)).toMatch(/^http:\/\/t\/a\?x=1&info_hash=/);
  });

  it('omits optional fields and floors numbers', () => {
    const url = announceUrl('http://t/a', { ...params, uploaded: 1.7, left: -3 });
    expect(url).not.toMatch(/event=|numwant=|key=|trackerid=/);
    expect(url).toContain('uploaded=1&');
    expect(url).toContain('left=0&');
  });

  it('percent-encoding round-trips any bytes and leaves only unreserved characters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const text = percentEncodeBytes(bytes);
        expect(text).toMatch(/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
        expect(decodePercent(text)).toEqual(bytes);
      }),
      { numRuns: runs },
    );
  });
});
