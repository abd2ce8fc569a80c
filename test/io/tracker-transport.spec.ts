import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import * as http from 'node:http';
import { firstValueFrom } from 'rxjs';
import { encodeBencode } from '../../src/bencode/index.js';
import type { BencodeValue } from '../../src/bencode/index.js';
import { defaultTransport, sharedUdpTrackerClient } from '../../src/io/tracker-transport.js';
import { UdpTrackerClient } from '../../src/io/udp-tracker.js';
import type { AnnounceParams } from '../../src/tracker/announce-types.js';
import { startFakeUdpTracker } from '../support/fake-udp-tracker.js';
import type { FakeUdpTracker } from '../support/fake-udp-tracker.js';
import { boundPort } from '../support/ports.js';

const params: AnnounceParams = {
  infoHash: new Uint8Array(20),
  peerId: new Uint8Array(20),
  port: 1,
  uploaded: 0,
  downloaded: 0,
  left: 0,
};

describe('defaultTransport', () => {
  let server: http.Server;
  let udpTracker: FakeUdpTracker;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.end(Buffer.from(encodeBencode(new Map<string, BencodeValue>([['interval', 77], ['peers', new Uint8Array(0)]]))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    udpTracker = await startFakeUdpTracker();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await udpTracker.close();
  });

  it('sends http: URLs through httpAnnounce', async () => {
    const response = await firstValueFrom(defaultTransport()(`http://127.0.0.1:${boundPort(server)}/a`, params));
    expect(response).toEqual({ interval: 77, peers: [] });
  });

  it('sends udp: URLs through the given UDP client', async () => {
    const udp = new UdpTrackerClient();
    const response = await firstValueFrom(defaultTransport({ udp })(udpTracker.url, params));
    expect(response.interval).toBe(1800);
    expect(udpTracker.requests.map((r) => r.action)).toEqual([0, 1]);
  });

  it('refuses other schemes with a typed error', async () => {
    await expect(firstValueFrom(defaultTransport()('wss://tracker.example/announce', params))).rejects.toMatchObject({
      detail: { kind: 'unsupported-url', url: 'wss://tracker.example/announce' },
    });
  });

  it('shares one UDP client per process', () => {
    expect(sharedUdpTrackerClient()).toBe(sharedUdpTrackerClient());
  });
});
