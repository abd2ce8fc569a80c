import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { encodeBencode } from '../../src/bencode/index.js';
import type { BencodeValue } from '../../src/bencode/index.js';
import { parseHttpAnnounce } from '../../src/tracker/parse-http-announce.js';
import { TrackerError } from '../../src/tracker/tracker-error.js';

const runs = Number(process.env.FUZZ_RUNS ?? 0) || 2000;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const body = (entries: Record<string, BencodeValue>): Uint8Array => encodeBencode(new Map(Object.entries(entries)));

function errorOf(run: () => unknown): TrackerError {
  try {
    run();
  } catch (error) {
    if (error instanceof TrackerError) return error;
    throw error;
  }
  throw new Error('expected a TrackerError');
}

describe('parseHttpAnnounce', () => {
  it('reads compact peers, peers6 and every optional field', () => {
    const peers6 = new Uint8Array(18);
    peers6[15] = 1;
    peers6[17] = 99;
    const response = parseHttpAnnounce(
      body({
        interval: 1800,
        'min interval': 60,
        complete: 3,
        incomplete: 4,
        'tracker id': bytes('tid'),
        'warning message': bytes('careful'),
        peers: Uint8Array.from([10, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0, 0]),
        peers6,
      }),
    );
    expect(response).toEqual({
      interval: 1800,
      minInterval: 60,
      complete: 3,
      incomplete: 4,
      trackerId: 'tid',
      warning: 'careful',
      peers: [
        { host: '10.0.0.1', port: 6881 },
        { host: '::1', port: 99 },
      ],
    });
  });

  it('reads dictionary-model peers, dropping unusable entries', () => {
    const peer = (ip: string, port: number): BencodeValue => new Map<string, BencodeValue>([['ip', bytes(ip)], ['port', port], ['peer id', new Uint8Array(20)]]);
    const response = parseHttpAnnounce(
      body({
        interval: 900,
        peers: [peer('1.2.3.4', 80), peer('[2001:DB8::1]', 81), peer('host.example', 82), peer('bad host', 83), peer('5.6.7.8', 0), 7],
      }),
    );
    expect(response.peers).toEqual([
      { host: '1.2.3.4', port: 80 },
      { host: '2001:db8::1', port: 81 },
      { host: 'host.example', port: 82 },
    ]);
  });

  it('throws failure with the tracker reason', () => {
    const error = errorOf(() => parseHttpAnnounce(body({ 'failure reason': bytes('not registered') })));
    expect(error.detail).toEqual({ kind: 'failure', reason: 'not registered' });
    expect(error.message).toContain('not registered');
  });

  it.each([
    ['not bencode', bytes('<html>')],
    ['not a dict', bytes('li1ee')],
    ['no interval', body({ peers: new Uint8Array(0) })],
    ['negative interval', body({ interval: -1 })],
    ['ragged compact peers', body({ interval: 1, peers: new Uint8Array(7) })],
    ['peers of the wrong type', body({ interval: 1, peers: 5 })],
    ['invalid min interval', body({ interval: 1, 'min interval': bytes('x') })],
  ])('rejects %s as malformed', (_name, input) => {
    expect(errorOf(() => parseHttpAnnounce(input)).detail.kind).toBe('malformed');
  });

  it('missing peers means no peers', () => {
    expect(parseHttpAnnounce(body({ interval: 5 })).peers).toEqual([]);
  });

  it('throws nothing but TrackerError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (input) => {
        try {
          parseHttpAnnounce(input);
        } catch (error) {
          expect(error).toBeInstanceOf(TrackerError);
        }
      }),
      { numRuns: runs },
    );
  });
});
