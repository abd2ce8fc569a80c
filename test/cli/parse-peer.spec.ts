import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/cli-error.js';
import { parsePeer, parsePeers } from '../../src/cli/parse-peer.js';

describe('parsePeer', () => {
  it.each([
    ['10.0.0.2:6881', { host: '10.0.0.2', port: 6881 }],
    ['127.0.0.1:1', { host: '127.0.0.1', port: 1 }],
    ['localhost:65535', { host: 'localhost', port: 65_535 }],
    ['peer.example.org:51413', { host: 'peer.example.org', port: 51_413 }],
    ['[::1]:6881', { host: '::1', port: 6881 }],
    ['[2001:db8::7]:443', { host: '2001:db8::7', port: 443 }],
    ['[::ffff:10.0.0.1]:6881', { host: '::ffff:10.0.0.1', port: 6881 }],
  ])('%s', (text, expected) => {
    expect(parsePeer(text)).toEqual(expected);
  });

  it.each([
    ['10.0.0.2', /port is missing/],
    ['10.0.0.2:', /port is missing/],
    [':6881', /host is missing/],
    ['10.0.0.2:0', /1 to 65535/],
    ['10.0.0.2:65536', /1 to 65535/],
    ['10.0.0.2:-1', /1 to 65535/],
    ['10.0.0.2:68a1', /1 to 65535/],
    ['10.0.0.2:+80', /1 to 65535/],
    ['999.0.0.1:6881', /not an IPv4 address or a host name/],
    ['1.2.3:6881', /not an IPv4 address or a host name/],
    ['bad_host!:6881', /not an IPv4 address or a host name/],
    ['-peer:6881', /not an IPv4 address or a host name/],
    ['::1:6881', /in brackets/],
    ['2001:db8::7:6881', /in brackets/],
    ['a:b:6881', /too many colons/],
    ['[::1]', /bracketed IPv6 address and its port/],
    ['[::1]:', /port is missing/],
    ['[10.0.0.2]:6881', /not an IPv6 address/],
    ['[::1]:6881:1', /bracketed IPv6 address and its port/],
    ['[::1:6881', /bracketed IPv6 address and its port/],
    ['', /port is missing/],
  ])('rejects %j as a usage error', (text, reason) => {
    let caught: unknown;
    try {
      parsePeer(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    const message = caught instanceof Error ? caught.message : '';
    expect(message).toMatch(reason);
    expect(message).toContain(`--peer "${text}"`);
    expect(message).not.toContain('\n');
  });

  it('parses every value and stops at the first bad one', () => {
    expect(parsePeers(['1.2.3.4:5', '[::1]:6'])).toEqual([{ host: '1.2.3.4', port: 5 }, { host: '::1', port: 6 }]);
    expect(() => parsePeers(['1.2.3.4:5', 'nope'])).toThrow(/--peer "nope"/);
  });
});
