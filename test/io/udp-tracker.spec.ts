import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { firstValueFrom, lastValueFrom, merge, toArray } from 'rxjs';
import { UdpTrackerClient, parseUdpUrl } from '../../src/io/udp-tracker.js';
import type { AnnounceParams } from '../../src/tracker/announce-types.js';
import {
  announceResponse,
  connectResponse,
  errorResponse,
  startFakeUdpTracker,
  wellBehaved,
} from '../support/fake-udp-tracker.js';
import { countResources, waitForResources } from '../support/active-resources.js';
import type { FakeUdpTracker } from '../support/fake-udp-tracker.js';

const params: AnnounceParams = {
  infoHash: new Uint8Array(20).fill(7),
  peerId: new Uint8Array(20).fill(8),
  port: 51413,
  uploaded: 1,
  downloaded: 2,
  left: 3,
  event: 'started',
  key: 99,
};
const PEER = Buffer.from([10, 0, 0, 1, 0x1a, 0xe1]);
const expected = { peers: [{ host: '10.0.0.1', port: 6881 }], interval: 1800, complete: 3, incomplete: 2 };

describe('UdpTrackerClient against a scripted UDP tracker', () => {
  let tracker: FakeUdpTracker;
  beforeEach(async () => {
    tracker = await startFakeUdpTracker();
  });
  afterEach(async () => {
    await tracker.close();
  });

  it('connects, announces, and closes its socket afterwards', async () => {
    const client = new UdpTrackerClient();
    const response = await firstValueFrom(client.announce(tracker.url, params));
    expect(response).toEqual(expected);
    expect(tracker.requests.map((r) => r.action)).toEqual([0, 1]);
    const announce = tracker.requests[1]?.bytes;
    expect(announce?.length).toBe(98);
    expect(announce?.readUInt32BE(80)).toBe(2); // started
    expect(announce?.readUInt32BE(88)).toBe(99); // key
    expect(announce?.readUInt16BE(96)).toBe(51413);
    expect(announce?.subarray(0, 8)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(client.openSockets).toBe(0);
  });

  it('reuses the connection id for 60 s, then connects again', async () => {
    let now = 1_000_000;
    const client = new UdpTrackerClient({ now: () => now });
    await firstValueFrom(client.announce(tracker.url, params));
    now += 59_000;
    await firstValueFrom(client.announce(tracker.url, params));
    now += 2_000;
    await firstValueFrom(client.announce(tracker.url, params));
    expect(tracker.requests.map((r) => r.action)).toEqual([0, 1, 1, 0, 1]);
  });

  it('shares one socket between concurrent announces', async () => {
    const client = new UdpTrackerClient();
    tracker.handle((request, reply) => setTimeout(() => wellBehaved(PEER)(request, reply), 30));
    const both = merge(client.announce(tracker.url, params), client.announce(tracker.url, params)).pipe(toArray());
    const pending = lastValueFrom(both);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(client.openSockets).toBe(1);
    expect(await pending).toEqual([expected, expected]);
    expect(client.openSockets).toBe(0);
    expect(new Set(tracker.requests.map((r) => r.transactionId)).size).toBe(tracker.requests.length);
  });

  it('ignores hostile replies: wrong transaction id, short, garbage, unknown action, wrong source', async () => {
    const client = new UdpTrackerClient();
    tracker.handle((request, reply) => {
      const id = request.transactionId;
      if (request.action === 0) {
        reply(connectResponse((id + 1) >>> 0));
        reply(Buffer.from([0, 0, 0]));
        reply(Buffer.alloc(64, 0xff));
        const unknownAction = connectResponse(id);
        unknownAction.writeUInt32BE(9, 0);
        reply(unknownAction);
        reply(errorResponse(id, 'spoofed'), 'other');
        const short = connectResponse(id).subarray(0, 12);
        reply(short);
        setTimeout(() => reply(connectResponse(id)), 20);
      } else {
        reply(announceResponse(id, Buffer.from([1, 2, 3]))); // ragged peers
        setTimeout(() => reply(announceResponse(id, PEER)), 20);
      }
    });
    expect(await firstValueFrom(client.announce(tracker.url, params))).toEqual(expected);
    expect(tracker.requests.map((r) => r.action)).toEqual([0, 1]);
  });

  it('fails with the tracker message on an error action', async () => {
    const client = new UdpTrackerClient();
    tracker.handle((request, reply) => reply(errorResponse(request.transactionId, 'info hash not allowed')));
    await expect(firstValueFrom(client.announce(tracker.url, params))).rejects.toMatchObject({
      detail: { kind: 'failure', reason: 'info hash not allowed' },
    });
    expect(client.openSockets).toBe(0);
  });

  it('retransmits on silence after base · 2ⁿ', async () => {
    const client = new UdpTrackerClient({ baseTimeout: 40 });
    const times: number[] = [];
    const start = Date.now();
    tracker.handle((request, reply) => {
      times.push(Date.now() - start);
      if (times.length > 2) wellBehaved(PEER)(request, reply);
    });
    expect(await firstValueFrom(client.announce(tracker.url, params))).toEqual(expected);
    expect(tracker.requests.map((r) => r.action)).toEqual([0, 0, 0, 1]);
    // Retransmissions at about 40 and 40 + 80 ms; new transaction id each time.
    expect(times[1]).toBeGreaterThanOrEqual(35);
    expect(times[2]).toBeGreaterThanOrEqual(110);
    expect(new Set(tracker.requests.map((r) => r.transactionId)).size).toBe(4);
  });

  it('gives up after maxRetransmits and leaves no socket open', async () => {
    const client = new UdpTrackerClient({ baseTimeout: 10, maxRetransmits: 2 });
    tracker.handle(() => undefined);
    await expect(firstValueFrom(client.announce(tracker.url, params))).rejects.toMatchObject({
      detail: { kind: 'timeout', ms: 70 },
    });
    expect(tracker.requests.length).toBe(3);
    expect(client.openSockets).toBe(0);
  });

  it('stops sending and closes the socket on unsubscribe', async () => {
    await waitForResources('UDPWrap', 2); // the scripted tracker's two sockets
    const sockets = countResources('UDPWrap');
    const timers = countResources('Timeout');
    const client = new UdpTrackerClient({ baseTimeout: 20 });
    tracker.handle(() => undefined);
    const subscription = client.announce(tracker.url, params).subscribe({ error: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(countResources('UDPWrap')).toBe(sockets + 1);
    subscription.unsubscribe();
    expect(client.openSockets).toBe(0);
    await waitForResources('UDPWrap', sockets);
    await waitForResources('Timeout', timers);
    const sent = tracker.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(tracker.requests.length).toBe(sent);
  });

  it('rejects URLs it cannot use', async () => {
    const client = new UdpTrackerClient();
    await expect(firstValueFrom(client.announce('udp://127.0.0.1/announce', params))).rejects.toMatchObject({
      detail: { kind: 'unsupported-url' },
    });
  });
});

describe('parseUdpUrl', () => {
  it('reads host and port, IPv6 without brackets', () => {
    expect(parseUdpUrl('udp://tracker.example:1337/announce')).toEqual({ host: 'tracker.example', port: 1337 });
    expect(parseUdpUrl('udp://[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseUdpUrl('http://x:1/')).toBeUndefined();
    expect(parseUdpUrl('udp://x/')).toBeUndefined();
    expect(parseUdpUrl('not a url')).toBeUndefined();
  });
});
