import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { asyncScheduler, firstValueFrom, NEVER } from 'rxjs';
import { randomBytes } from 'node:crypto';
import { httpAnnounce } from '../../src/io/http-tracker.js';
import { UdpTrackerClient } from '../../src/io/udp-tracker.js';
import { defaultTransport } from '../../src/io/tracker-transport.js';
import { announce$ } from '../../src/tracker/announce.js';
import type { AnnounceUpdate } from '../../src/tracker/announce.js';
import type { AnnounceParams, AnnounceResponse, PeerAddress } from '../../src/tracker/announce-types.js';
import { opentrackerAvailable, startOpentracker } from '../support/opentracker.js';
import type { RunningOpentracker } from '../support/opentracker.js';
import { freePort } from '../support/ports.js';

const hashes = { http: randomBytes(20), udp: randomBytes(20), actor: randomBytes(20) };

function params(infoHash: Uint8Array, port: number, extra: Partial<AnnounceParams> = {}): AnnounceParams {
  return {
    infoHash,
    peerId: randomBytes(20),
    port,
    uploaded: 0,
    downloaded: 0,
    left: 1000,
    event: 'started',
    ...extra,
  };
}

const hasPeer = (response: AnnounceResponse, port: number): boolean =>
  response.peers.some((peer: PeerAddress) => peer.host === '127.0.0.1' && peer.port === port);

describe.skipIf(!opentrackerAvailable())('opentracker on 127.0.0.1', () => {
  let tracker: RunningOpentracker;
  const udp = new UdpTrackerClient({ baseTimeout: 200, maxRetransmits: 2 });

  beforeAll(async () => {
    tracker = await startOpentracker(Object.values(hashes).map((hash) => hash.toString('hex')));
  });
  afterAll(async () => {
    await tracker?.stop();
  });

  it('HTTP: a second client receives the first one as a peer', async () => {
    await firstValueFrom(httpAnnounce(tracker.httpUrl, params(hashes.http, 40001)));
    const response = await firstValueFrom(httpAnnounce(tracker.httpUrl, params(hashes.http, 40002)));
    expect(hasPeer(response, 40001)).toBe(true);
    expect(response.interval).toBeGreaterThan(0);
  });

  it('UDP: a second client receives the first one as a peer', async () => {
    await firstValueFrom(udp.announce(tracker.udpUrl, params(hashes.udp, 41001)));
    const response = await firstValueFrom(udp.announce(tracker.udpUrl, params(hashes.udp, 41002)));
    expect(hasPeer(response, 41001)).toBe(true);
    expect(udp.openSockets).toBe(0);
  });

  it('HTTP and UDP: a stopped peer disappears from the list', async () => {
    const leaving = params(hashes.http, 40003);
    await firstValueFrom(httpAnnounce(tracker.httpUrl, leaving));
    expect(hasPeer(await firstValueFrom(httpAnnounce(tracker.httpUrl, params(hashes.http, 40004))), 40003)).toBe(true);
    await firstValueFrom(httpAnnounce(tracker.httpUrl, { ...leaving, event: 'stopped' }));
    expect(hasPeer(await firstValueFrom(httpAnnounce(tracker.httpUrl, params(hashes.http, 40004))), 40003)).toBe(false);

    const leavingUdp = params(hashes.udp, 41003);
    await firstValueFrom(udp.announce(tracker.udpUrl, leavingUdp));
    await firstValueFrom(udp.announce(tracker.udpUrl, { ...leavingUdp, event: 'stopped' }));
    expect(hasPeer(await firstValueFrom(udp.announce(tracker.udpUrl, params(hashes.udp, 41004))), 41003)).toBe(false);
  });

  it('announce$ falls through closed trackers to the second tier, and sends stopped on unsubscribe', async () => {
    const closedPort = await freePort();
    const closedHttp = `http://127.0.0.1:${closedPort}/announce`;
    const closedUdp = `udp://127.0.0.1:${closedPort}/announce`;
    const ourPort = 42001;
    const updates: AnnounceUpdate[] = [];
    const actor = announce$(
      {
        tiers: [[closedHttp, closedUdp], [tracker.udpUrl, tracker.httpUrl]],
        infoHash: hashes.actor,
        peerId: randomBytes(20),
        port: ourPort,
        stats: () => ({ uploaded: 0, downloaded: 0, left: 1000 }),
        completed$: NEVER,
      },
      { scheduler: asyncScheduler, random: Math.random, transport: defaultTransport({ udp }) },
    );
    const firstPeers = new Promise<AnnounceUpdate>((resolve, reject) => {
      const subscription = actor.subscribe({
        next: (update) => {
          updates.push(update);
          if (update.type === 'peers') {
            subscription.unsubscribe(); // sends stopped to the tracker that answered
            resolve(update);
          }
        },
        error: reject,
      });
    });
    const peers = await firstPeers;
    expect(updates.slice(0, 2).map((u) => u.type === 'tracker-error' && [u.tracker, u.error.detail.kind])).toEqual(
      expect.arrayContaining([
        [closedHttp, 'network'],
        [closedUdp, 'timeout'],
      ]),
    );
    expect(peers).toMatchObject({ type: 'peers', event: 'started' });
    expect(peers.type === 'peers' && [tracker.udpUrl, tracker.httpUrl].includes(peers.tracker)).toBe(true);
    expect(peers.type === 'peers' && peers.peers.some((p) => p.port === ourPort)).toBe(true);

    // stopped is fire and forget: poll until opentracker has forgotten us.
    const deadline = Date.now() + 5000;
    let present = true;
    while (present && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const check = await firstValueFrom(httpAnnounce(tracker.httpUrl, params(hashes.actor, 42002)));
      present = hasPeer(check, ourPort);
    }
    expect(present).toBe(false);
    expect(udp.openSockets).toBe(0);
  });
});
