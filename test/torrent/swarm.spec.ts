/** The supervisor's bookkeeping, without Observables: peer events in, recorded effects out. */
import { describe, expect, it } from 'vitest';
import type { BlockRequest, PeerCommand, PeerEvent } from '../../src/peer/peer-events.js';
import { Bitfield } from '../../src/pieces/bitfield.js';
import { PiecesError } from '../../src/pieces/pieces-error.js';
import { Swarm, SwarmPeer } from '../../src/torrent/swarm.js';
import type { SwarmEffects, SwarmOptions } from '../../src/torrent/swarm.js';
import type { SupervisorEvent } from '../../src/torrent/supervisor-types.js';
import { BLOCK, PIECE_COUNT, PIECE_LENGTH, addr, cmd, ev, keyOf, out, pieces, req, unbatched } from './fake-session.js';

interface Recorder extends SwarmEffects {
  /** Commands sent, a `requests` batch as its requests one by one. */
  readonly sent: [string, PeerCommand][];
  /** Commands sent, as they were. */
  readonly batches: [string, PeerCommand][];
  readonly events: SupervisorEvent[];
  readonly settling: [number, Uint8Array][];
  readonly reads: [string, BlockRequest][];
  chokeChanges: number;
}

function recorder(): Recorder {
  const r: Recorder = {
    sent: [],
    batches: [],
    events: [],
    settling: [],
    reads: [],
    chokeChanges: 0,
    send: (key, command) => { r.batches.push([key, command]); for (const one of unbatched(command)) r.sent.push([key, one]); },
    verifyAndStore: (index, data) => { r.settling.push([index, data]); },
    readBlock: (key, request) => { r.reads.push([key, request]); },
    emit: (event) => { r.events.push(event); },
    allocate: (length) => new Uint8Array(length),
    chokeInputChanged: () => { r.chokeChanges += 1; },
  };
  return r;
}

function swarmOf(options: Partial<SwarmOptions> = {}, have = new Bitfield(PIECE_COUNT)): { swarm: Swarm; fx: Recorder } {
  const fx = recorder();
  const swarm = new Swarm(
    { pieceCount: PIECE_COUNT, pieceLength: () => PIECE_LENGTH, random: () => 0, memoryBudget: 64 * 1024 * 1024, maxStrikes: 3, ...options },
    have,
    fx,
  );
  return { swarm, fx };
}

/** Adds peer n, live, with the given pieces, unchoking us. */
function livePeer(swarm: Swarm, n: number, has: number[]): SwarmPeer {
  const peer = new SwarmPeer(keyOf(n), addr(n));
  swarm.add(peer);
  for (const event of [ev.handshake(n), ev.bitfield(...has), ev.unchoked]) swarm.onPeerEvent(peer, event);
  return peer;
}

const sentTo = (fx: Recorder, n: number): PeerCommand[] => fx.sent.filter(([key]) => key === keyOf(n)).map(([, c]) => c);
const blockOf = (index: number, block: number): Extract<PeerEvent, { type: 'block' }> => ({
  type: 'block', index, begin: block * BLOCK, data: new Uint8Array(BLOCK).fill(10 * index + block),
});

describe('Swarm', () => {
  it('reports a peer connected at its handshake, and closes a second session with the same peer id', () => {
    const { swarm, fx } = swarmOf();
    const first = new SwarmPeer(keyOf(1), addr(1));
    const second = new SwarmPeer(keyOf(2), addr(2));
    swarm.add(first);
    swarm.add(second);
    swarm.onPeerEvent(first, ev.handshake(1));
    swarm.onPeerEvent(second, ev.handshake(1));
    expect(fx.events).toEqual([out.connected(1)]);
    expect(fx.sent).toEqual([[keyOf(2), cmd.close]]);
    expect(second.live).toBe(false);
  });

  it('becomes interested in a peer with pieces we lack, and requests on `want`', () => {
    const { swarm, fx } = swarmOf({}, pieces(0));
    const peer = livePeer(swarm, 1, [0, 1]);
    expect(peer.wanted).toBe(1);
    swarm.onPeerEvent(peer, ev.want(5));
    expect(sentTo(fx, 1)).toEqual([cmd.interested, cmd.request(1, 0), cmd.request(1, 1)]);
    expect(peer.want).toBe(3);
    // The requests of one top-up leave as one `requests` command (one dispatch, one write).
    expect(fx.batches.map(([, c]) => c)).toEqual([cmd.interested, { type: 'requests', requests: [req(1, 0), req(1, 1)] }]);
  });

  it('does not request from a peer that chokes us, or one we are not interested in', () => {
    const { swarm, fx } = swarmOf({}, pieces(0));
    const boring = livePeer(swarm, 1, [0]);
    swarm.onPeerEvent(boring, ev.want(5));
    const choking = livePeer(swarm, 2, [1]);
    swarm.onPeerEvent(choking, ev.choked);
    swarm.onPeerEvent(choking, ev.want(5));
    expect(fx.sent).toEqual([[keyOf(2), cmd.interested]]);
  });

  it('hands a removed peer\'s blocks to a peer that wants more', () => {
    const { swarm, fx } = swarmOf();
    const a = livePeer(swarm, 1, [0]);
    swarm.onPeerEvent(a, ev.want(2));
    const b = livePeer(swarm, 2, [0]);
    swarm.onPeerEvent(b, ev.want(2)); // nothing free that B has (and no endgame: 1–3 untouched)
    expect(sentTo(fx, 2)).toEqual([cmd.interested]);
    swarm.remove(a);
    expect(swarm.peers.has(keyOf(1))).toBe(false);
    expect(sentTo(fx, 2)).toEqual([cmd.interested, cmd.request(0, 0), cmd.request(0, 1)]);
    swarm.onPeerEvent(b, blockOf(0, 0));
    swarm.onPeerEvent(b, blockOf(0, 1));
    expect(fx.settling.map(([index]) => index)).toEqual([0]);
  });

  it('copies blocks into one piece buffer and hands it over when the piece is complete', () => {
    const { swarm, fx } = swarmOf();
    const peer = livePeer(swarm, 1, [0, 1, 2, 3]);
    swarm.onPeerEvent(peer, ev.want(2));
    swarm.onPeerEvent(peer, blockOf(0, 1));
    expect(fx.settling).toEqual([]);
    swarm.onPeerEvent(peer, blockOf(0, 0));
    const [settled] = fx.settling;
    expect(settled?.[0]).toBe(0);
    expect(settled?.[1][0]).toBe(0);
    expect(settled?.[1][BLOCK]).toBe(1);
    expect(settled?.[1].length).toBe(PIECE_LENGTH);
  });

  it('throws a PiecesError for a malformed block (the supervisor closes the peer)', () => {
    const { swarm } = swarmOf();
    const peer = livePeer(swarm, 1, [0]);
    expect(() => swarm.onPeerEvent(peer, { type: 'block', index: 0, begin: 5, data: new Uint8Array(10) })).toThrow(PiecesError);
  });

  it('after a stored piece: `have` to live peers but seeds, interest updated, `complete` after the last stats', () => {
    const { swarm, fx } = swarmOf({}, pieces(0, 1, 2));
    const seed = livePeer(swarm, 1, [0, 1, 2, 3]);
    const leech = livePeer(swarm, 2, []);
    const handshaking = new SwarmPeer(keyOf(3), addr(3));
    swarm.add(handshaking);
    swarm.onPeerEvent(seed, ev.want(2));
    swarm.onPeerEvent(seed, blockOf(3, 0));
    swarm.onPeerEvent(seed, blockOf(3, 1));
    fx.sent.length = 0;
    swarm.pieceStored(3, new Uint8Array(PIECE_LENGTH));
    // The seed needs no `have`, only to hear we are no longer interested.
    expect(fx.sent).toEqual([[keyOf(2), cmd.have(3)], [keyOf(1), cmd.notInterested]]);
    expect(fx.events.slice(-3)).toEqual([
      out.verified(3),
      { type: 'stats', received: 2 * BLOCK, uploaded: 0, failed: 0, downRate: 0, upRate: 0, peers: 2, seeds: 1, piecesDone: 4 },
      out.complete,
    ]);
    expect(swarm.isComplete).toBe(true);
  });

  it('a peer that completes with `have` hears no more `have`; one that sent no bitfield still does', () => {
    const { swarm, fx } = swarmOf({}, pieces(0));
    const almost = livePeer(swarm, 1, [0, 1, 2]);
    const unknown = new SwarmPeer(keyOf(2), addr(2));
    swarm.add(unknown);
    swarm.onPeerEvent(unknown, ev.handshake(2)); // no bitfield: nothing known of its pieces
    /** Asks peer 1 for a piece's two blocks, delivers them, stores the piece; returns the commands sent then. */
    const fetchPiece = (): [string, PeerCommand][] => {
      fx.sent.length = 0;
      swarm.onPeerEvent(almost, ev.want(2));
      const requested = fx.sent.flatMap(([, command]) => (command.type === 'request' ? [command] : []));
      const index = requested[0]?.index ?? -1;
      for (const request of requested) swarm.onPeerEvent(almost, blockOf(request.index, request.begin / BLOCK));
      fx.sent.length = 0;
      swarm.pieceStored(index, new Uint8Array(PIECE_LENGTH));
      return fx.sent.filter(([, command]) => command.type !== 'request' && command.type !== 'requests');
    };
    const first = fetchPiece(); // piece 1 or 2
    expect(first.filter(([, command]) => command.type === 'have').map(([key]) => key)).toEqual([keyOf(1), keyOf(2)]);
    swarm.onPeerEvent(almost, ev.have(3)); // now a seed
    const second = fetchPiece();
    expect(second.filter(([, command]) => command.type === 'have').map(([key]) => key)).toEqual([keyOf(2)]);
    // Still interested in the seed: one piece is missing.
    expect(second.filter(([, command]) => command.type === 'not-interested')).toEqual([]);
  });

  it('a failed piece strikes its contributors, closes them at maxStrikes, and goes back to the picker', () => {
    const { swarm, fx } = swarmOf({ maxStrikes: 2 });
    const peer = livePeer(swarm, 1, [0]);
    for (let round = 1; round <= 2; round += 1) {
      swarm.onPeerEvent(peer, ev.want(2));
      swarm.onPeerEvent(peer, blockOf(0, 0));
      swarm.onPeerEvent(peer, blockOf(0, 1));
      swarm.pieceFailed(0, new Uint8Array(PIECE_LENGTH));
      expect(swarm.strikesOf(keyOf(1))).toBe(round);
    }
    expect(sentTo(fx, 1)).toEqual([
      cmd.interested, cmd.request(0, 0), cmd.request(0, 1), cmd.request(0, 0), cmd.request(0, 1), cmd.close,
    ]);
    expect(fx.events.filter((e) => e.type === 'piece-failed')).toEqual([out.failed(0, 1), out.failed(0, 1)]);
    expect(swarm.stats().failed).toBe(2 * PIECE_LENGTH);
  });

  it('a failed write puts the piece back without blaming anyone', () => {
    const { swarm, fx } = swarmOf();
    const peer = livePeer(swarm, 1, [0]);
    swarm.onPeerEvent(peer, ev.want(2));
    swarm.onPeerEvent(peer, blockOf(0, 0));
    swarm.onPeerEvent(peer, blockOf(0, 1));
    const error = new Error('disk full');
    swarm.storeFailed(0, PIECE_LENGTH, error);
    expect(fx.events.at(-1)).toEqual({ type: 'store-error', index: 0, error });
    expect(swarm.strikesOf(keyOf(1))).toBe(0);
    swarm.onPeerEvent(peer, ev.want(2));
    expect(sentTo(fx, 1).slice(-2)).toEqual([cmd.request(0, 0), cmd.request(0, 1)]);
  });

  it('serves a request only while unchoking the peer, and counts what it uploads', () => {
    const { swarm, fx } = swarmOf({}, pieces(0));
    const peer = livePeer(swarm, 1, []);
    const request: Extract<PeerEvent, { type: 'request' }> = { type: 'request', request: req(0, 0) };
    swarm.onPeerEvent(peer, request);
    expect(fx.reads).toEqual([]);
    swarm.applyChoke({ unchoke: [keyOf(1)], choke: [] });
    swarm.onPeerEvent(peer, request);
    swarm.onPeerEvent(peer, { type: 'request', request: req(1, 0) }); // a piece we lack
    expect(fx.reads).toEqual([[keyOf(1), req(0, 0)]]);
    const data = new Uint8Array(BLOCK);
    swarm.blockRead(keyOf(1), req(0, 0), data);
    swarm.applyChoke({ unchoke: [], choke: [keyOf(1)] });
    swarm.blockRead(keyOf(1), req(0, 0), data); // read finished after the choke: dropped
    expect(sentTo(fx, 1)).toEqual([cmd.unchoke, { type: 'piece', index: 0, begin: 0, data }, cmd.choke]);
    expect(swarm.stats().uploaded).toBe(BLOCK);
  });

  it('tells the choker about interest changes and departures; its snapshot lists live peers only', () => {
    const { swarm, fx } = swarmOf();
    const peer = livePeer(swarm, 1, []);
    swarm.add(new SwarmPeer(keyOf(2), addr(2)));
    swarm.onPeerEvent(peer, ev.interested);
    swarm.onPeerEvent(peer, { type: 'rate', down: 10, up: 20 });
    expect(swarm.chokeSnapshot()).toEqual({ peers: [{ id: keyOf(1), interested: true, downRate: 10, upRate: 20 }], seeding: false });
    swarm.remove(peer);
    expect(fx.chokeChanges).toBe(2);
  });

  it('starts no new piece past the memory budget, but finishes started ones', () => {
    const { swarm, fx } = swarmOf({ memoryBudget: PIECE_LENGTH });
    const a = livePeer(swarm, 1, [0, 1, 2, 3]);
    swarm.onPeerEvent(a, ev.want(1)); // starts piece 0: (0 + 1) pieces ≤ budget
    swarm.onPeerEvent(a, ev.want(4)); // (1 + 1) pieces > budget: only block 0:1
    expect(sentTo(fx, 1).filter((c) => c.type === 'request')).toEqual([cmd.request(0, 0), cmd.request(0, 1)]);
  });

  // Regression: see supervisor.spec.ts, pieces announced with `have`.
  it('requests a piece the peer announced with `have`', () => {
    const { swarm, fx } = swarmOf();
    const peer = livePeer(swarm, 1, []);
    swarm.onPeerEvent(peer, ev.have(2));
    swarm.onPeerEvent(peer, ev.want(2));
    expect(sentTo(fx, 1)).toEqual([cmd.interested, cmd.request(2, 0), cmd.request(2, 1)]);
  });
});
