import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Bitfield } from '../../src/pieces/bitfield.js';
import { PiecePicker } from '../../src/pieces/piece-picker.js';
import type { BlockRequest } from '../../src/pieces/picker-types.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 0) || 150;
/** Each run simulates a whole download: `npm run fuzz` (100,000 runs) takes 7–8 minutes here. */
const timeout = Math.max(60_000, numRuns * 10);
const BLOCK = 4;
const MAX_DUPLICATES = 2;

/** A small deterministic PRNG (mulberry32): the simulation's choices come from one seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keyOf = (r: BlockRequest): string => `${r.index}:${r.begin}`;

interface SimPeer {
  id: string;
  has: Bitfield;
  /** What the simulation believes is in flight with this peer. */
  inFlight: Map<string, BlockRequest>;
}

const scenario = fc.record({
  pieceCount: fc.integer({ min: 1, max: 12 }),
  pieceLength: fc.integer({ min: 1, max: 14 }),
  lastLength: fc.integer({ min: 1, max: 14 }),
  peerCount: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer(),
  randomFirstPieces: fc.integer({ min: 0, max: 3 }),
  endgameThreshold: fc.integer({ min: 0, max: 3 }),
  failRate: fc.constantFrom(0, 0.2, 0.5),
  haveRate: fc.constantFrom(0, 0.3),
});

describe('PiecePicker simulation', () => {
  it('always ends with every piece verified once, and only hands out what a peer has', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const rand = prng(s.seed);
        const pick = (n: number): number => Math.floor(rand() * n);
        const pieceLength = (i: number): number => (i === s.pieceCount - 1 ? s.lastLength : s.pieceLength);
        const have = new Bitfield(s.pieceCount);
        for (let i = 0; i < s.pieceCount; i++) if (rand() < s.haveRate) have.set(i);
        const picker = new PiecePicker(
          {
            pieceCount: s.pieceCount,
            pieceLength,
            blockSize: BLOCK,
            random: rand,
            randomFirstPieces: s.randomFirstPieces,
            endgameThreshold: s.endgameThreshold,
            endgameMaxRequests: MAX_DUPLICATES,
          },
          have,
        );

        // Peers with random bitfields; every piece is held by somebody.
        let nextId = 0;
        const peers: SimPeer[] = [];
        const connect = (has: Bitfield): void => {
          const peer = { id: `p${nextId++}`, has, inFlight: new Map<string, BlockRequest>() };
          peers.push(peer);
          if (rand() < 0.5) picker.peerBitfield(peer.id, has);
          else for (const i of has.setIndexes()) picker.peerHas(peer.id, i);
        };
        const fields = Array.from({ length: s.peerCount }, () => new Bitfield(s.pieceCount));
        for (let i = 0; i < s.pieceCount; i++) {
          for (const field of fields) if (rand() < 0.4) field.set(i);
          fields[pick(fields.length)]?.set(i);
        }
        for (const field of fields) connect(field);

        const verified = new Array<number>(s.pieceCount).fill(0);
        for (const i of have.setIndexes()) verified[i] = 1;
        const received = new Map<number, Map<string, string>>(); // piece → block → sender
        const failures = new Array<number>(s.pieceCount).fill(0);

        const holdersOf = (key: string): SimPeer[] => peers.filter((p) => p.inFlight.has(key));

        for (let step = 0; !picker.isComplete; step++) {
          expect(step).toBeLessThan(20_000);
          const peer = peers[pick(peers.length)];
          if (peer === undefined) throw new Error('no peers');
          const action = rand();
          if (action < 0.35) {
            const reqs = picker.nextRequests(peer.id, peer.has, 1 + pick(4));
            for (const req of reqs) {
              const key = keyOf(req);
              expect(peer.has.get(req.index)).toBe(true);
              expect(verified[req.index]).toBe(0);
              expect(peer.inFlight.has(key)).toBe(false);
              const others = holdersOf(key).length;
              if (others > 0) expect(picker.inEndgame).toBe(true);
              expect(others).toBeLessThan(MAX_DUPLICATES);
              peer.inFlight.set(key, req);
            }
          } else if (action < 0.8 && peer.inFlight.size > 0) {
            // A block arrives, in any order.
            const reqs = [...peer.inFlight.values()];
            const req = reqs[pick(reqs.length)];
            if (req === undefined) throw new Error('no request');
            peer.inFlight.delete(keyOf(req));
            const outcome = picker.blockReceived(peer.id, req);
            const blocks = received.get(req.index) ?? new Map<string, string>();
            expect(outcome.duplicate).toBe(verified[req.index] === 1 || blocks.has(keyOf(req)));
            for (const c of outcome.cancel) {
              const target = peers.find((p) => p.id === c.peerId);
              expect(target?.inFlight.has(keyOf(c.req))).toBe(true);
              expect(keyOf(c.req)).toBe(keyOf(req));
              target?.inFlight.delete(keyOf(c.req));
            }
            expect(holdersOf(keyOf(req))).toEqual([]);
            if (!outcome.duplicate) {
              blocks.set(keyOf(req), peer.id);
              received.set(req.index, blocks);
            }
            const total = Math.ceil(pieceLength(req.index) / BLOCK);
            expect(outcome.pieceComplete).toBe(!outcome.duplicate && blocks.size === total);
            if (outcome.pieceComplete) {
              if (rand() < s.failRate && (failures[req.index] ?? 0) < 3) {
                failures[req.index] = (failures[req.index] ?? 0) + 1;
                const contributors = picker.pieceFailed(req.index).sort();
                expect(contributors).toEqual([...new Set(blocks.values())].sort());
                received.delete(req.index);
              } else {
                picker.pieceVerified(req.index);
                verified[req.index] = (verified[req.index] ?? 0) + 1;
                received.delete(req.index);
              }
            }
          } else if (action < 0.87 && peer.inFlight.size > 0) {
            const req = [...peer.inFlight.values()][0];
            if (req === undefined) throw new Error('no request');
            picker.requestFailed(peer.id, req);
            peer.inFlight.delete(keyOf(req));
          } else if (action < 0.92) {
            picker.peerChoked(peer.id);
            peer.inFlight.clear();
          } else if (action < 0.96) {
            // Drop and reconnect with the same pieces under a new id.
            picker.peerGone(peer.id);
            peers.splice(peers.indexOf(peer), 1);
            connect(peer.has);
          } else {
            const index = pick(s.pieceCount);
            peer.has.set(index);
            picker.peerHas(peer.id, index);
          }
          for (const p of peers) {
            expect(picker.inFlightFor(p.id).map(keyOf).sort()).toEqual([...p.inFlight.keys()].sort());
          }
        }
        expect(verified).toEqual(new Array<number>(s.pieceCount).fill(1));
        expect(picker.missingCount).toBe(0);
      }),
      { numRuns },
    );
  }, timeout);
});
