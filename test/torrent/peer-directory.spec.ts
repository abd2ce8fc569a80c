import { describe, expect, it } from 'vitest';
import { DEFAULT_PEER_DIRECTORY_OPTIONS, PeerDirectory } from '../../src/torrent/peer-directory.js';
import type { PeerDirectoryOptions } from '../../src/torrent/peer-directory.js';

const a = { host: '10.0.0.1', port: 6881 };
const fail = { permanent: false, wasLive: false };
const zero = (): number => 0;
const one = (): number => 1;

/** Closes `address` `n` times without it going live; returns the delays. */
function failTimes(directory: PeerDirectory, address: typeof a, n: number, random: () => number): (number | undefined)[] {
  const delays: (number | undefined)[] = [];
  for (let i = 0; i < n; i += 1) {
    directory.connecting(address);
    delays.push(directory.closed(address, fail, random));
    directory.retry(address);
  }
  return delays;
}

describe('PeerDirectory', () => {
  it('keys addresses by host and port, IPv6 hosts in brackets', () => {
    expect(PeerDirectory.key(a)).toBe('10.0.0.1:6881');
    expect(PeerDirectory.key({ host: '::1', port: 80 })).toBe('[::1]:80');
  });

  it('de-duplicates by host:port, not by host: on loopback every peer shares one address', () => {
    const directory = new PeerDirectory();
    expect(directory.offer(a)).toBe(true);
    expect(directory.offer({ host: '10.0.0.1', port: 6881 })).toBe(false);
    expect(directory.offer({ host: '10.0.0.1', port: 6882 })).toBe(true);
    expect(directory.offer({ host: '127.0.0.1', port: 6881 })).toBe(true);
    expect(directory.size).toBe(3);
    expect(directory.state(a)).toBe('queued');
  });

  it('ignores a known address in every state: the directory, not the source, decides redials', () => {
    const directory = new PeerDirectory();
    directory.offer(a);
    for (const step of [() => directory.connecting(a), () => directory.live(a), () => directory.closed(a, fail, zero)]) {
      step();
      expect(directory.offer(a)).toBe(false);
    }
    expect(directory.state(a)).toBe('waiting');
    directory.closed(a, { permanent: true, wasLive: false }, zero);
    expect(directory.state(a)).toBe('dead');
    expect(directory.offer(a)).toBe(false);
  });

  it('remembers at most maxKnown addresses', () => {
    const directory = new PeerDirectory({ ...DEFAULT_PEER_DIRECTORY_OPTIONS, maxKnown: 2 });
    expect(directory.offer({ host: 'a', port: 1 })).toBe(true);
    expect(directory.offer({ host: 'b', port: 1 })).toBe(true);
    expect(directory.offer({ host: 'c', port: 1 })).toBe(false);
    expect(directory.size).toBe(2);
    expect(directory.state({ host: 'c', port: 1 })).toBeUndefined();
    expect(directory.offer({ host: 'a', port: 1 })).toBe(false);
  });

  it('when full, forgets the oldest given-up peer to make room for a new one', () => {
    const directory = new PeerDirectory({ ...DEFAULT_PEER_DIRECTORY_OPTIONS, maxKnown: 2 });
    const [a, b, c] = [{ host: 'a', port: 1 }, { host: 'b', port: 1 }, { host: 'c', port: 1 }];
    directory.offer(a);
    directory.offer(b);
    directory.closed(b, { permanent: true, wasLive: false }, () => 0);
    expect(directory.offer(c)).toBe(true);
    expect(directory.state(b)).toBeUndefined();
    expect(directory.state(a)).toBe('queued');
    expect(directory.offer({ host: 'd', port: 1 })).toBe(false); // nobody left to forget
  });

  it('retries only a peer that is waiting, once per wait', () => {
    const directory = new PeerDirectory();
    expect(directory.retry(a)).toBe(false); // unknown
    directory.offer(a);
    expect(directory.retry(a)).toBe(false); // queued
    directory.connecting(a);
    expect(directory.retry(a)).toBe(false);
    directory.live(a);
    expect(directory.retry(a)).toBe(false);
    directory.closed(a, fail, zero);
    expect(directory.state(a)).toBe('waiting');
    expect(directory.retry(a)).toBe(true);
    expect(directory.state(a)).toBe('queued');
    expect(directory.retry(a)).toBe(false); // the second timer of one wait finds it queued
  });

  it('backs off 5 s, 10 s, 20 s, 40 s and gives up at the 5th failure in a row (defaults)', () => {
    const directory = new PeerDirectory();
    directory.offer(a);
    expect(failTimes(directory, a, 5, zero)).toEqual([5_000, 10_000, 20_000, 40_000, undefined]);
    expect(directory.state(a)).toBe('dead');
    expect(directory.retry(a)).toBe(false);
  });

  it('draws the jitter below the nominal delay: random 1 halves it (jitter 0.5)', () => {
    const directory = new PeerDirectory();
    directory.offer(a);
    expect(failTimes(directory, a, 4, one)).toEqual([2_500, 5_000, 10_000, 20_000]);
    const other = new PeerDirectory();
    other.offer(a);
    expect(failTimes(other, a, 2, () => 0.2)).toEqual([4_500, 9_000]);
  });

  it('caps the delay at maxDelay and honours maxFailures', () => {
    const options: PeerDirectoryOptions = {
      reconnect: { initialDelay: 100_000, factor: 3, maxDelay: 5 * 60_000 },
      maxFailures: 4,
      maxKnown: 10,
    };
    const directory = new PeerDirectory(options);
    directory.offer(a);
    expect(failTimes(directory, a, 4, zero)).toEqual([100_000, 300_000, 300_000, undefined]);
  });

  it('a session that went live does not count as a failure, and resets the count', () => {
    const directory = new PeerDirectory({ ...DEFAULT_PEER_DIRECTORY_OPTIONS, maxFailures: 3 });
    directory.offer(a);
    expect(failTimes(directory, a, 2, zero)).toEqual([5_000, 10_000]);
    directory.connecting(a);
    directory.live(a);
    // Dropped after going live: the first delay again, and not given up however often it happens.
    for (let i = 0; i < 5; i += 1) {
      expect(directory.closed(a, { permanent: false, wasLive: true }, zero)).toBe(5_000);
      directory.retry(a);
      directory.connecting(a);
      directory.live(a);
    }
    expect(failTimes(directory, a, 3, zero)).toEqual([5_000, 10_000, undefined]);
  });

  it('gives up at once on a permanent reason, live or not', () => {
    const directory = new PeerDirectory();
    directory.offer(a);
    directory.connecting(a);
    directory.live(a);
    expect(directory.closed(a, { permanent: true, wasLive: true }, zero)).toBeUndefined();
    expect(directory.state(a)).toBe('dead');
  });

  it('ignores a close of an unknown address, and draws no random for it', () => {
    const directory = new PeerDirectory();
    let draws = 0;
    expect(directory.closed(a, fail, () => { draws += 1; return 0; })).toBeUndefined();
    expect(draws).toBe(0);
    expect(directory.size).toBe(0);
  });
});
