import { describe, expect, it } from 'vitest';
import { Bitfield } from '../../src/pieces/bitfield.js';
import { PiecePicker } from '../../src/pieces/piece-picker.js';
import type { BlockRequest, PiecePickerOptions } from '../../src/pieces/picker-types.js';
import { PiecesError } from '../../src/pieces/pieces-error.js';
import { RENEW_AFTER_INSERTS } from '../../src/pieces/young-tables.js';

const BLOCK = 4;

/** Pieces of 8 bytes (two blocks of 4), the last one `lastLength` long. */
function picker(
  pieceCount: number,
  options: Partial<PiecePickerOptions> = {},
  have?: Bitfield,
  lastLength = 8,
): PiecePicker {
  return new PiecePicker(
    {
      pieceCount,
      pieceLength: (index) => (index === pieceCount - 1 ? lastLength : 8),
      blockSize: BLOCK,
      random: () => 0,
      randomFirstPieces: 0,
      ...options,
    },
    have,
  );
}

function bits(pieceCount: number, indexes: readonly number[]): Bitfield {
  const field = new Bitfield(pieceCount);
  for (const i of indexes) field.set(i);
  return field;
}

const block = (index: number, begin: number, length = BLOCK): BlockRequest => ({ index, begin, length });
const pieces = (reqs: readonly BlockRequest[]): number[] => [...new Set(reqs.map((r) => r.index))];
const keyOf = (r: BlockRequest): string => `${r.index}:${r.begin}`;

function deliverAll(p: PiecePicker, peer: string, reqs: readonly BlockRequest[]): boolean {
  let complete = false;
  for (const r of reqs) complete = p.blockReceived(peer, r).pieceComplete || complete;
  return complete;
}

describe('PiecePicker: choosing pieces', () => {
  it('chooses the rarest piece over common ones', () => {
    const p = picker(4);
    p.peerBitfield('a', bits(4, [0, 1, 2]));
    p.peerBitfield('b', bits(4, [0, 1, 2, 3]));
    p.peerBitfield('c', bits(4, [1, 2]));
    p.peerHasAll('seed');
    expect([0, 1, 2, 3].map((i) => p.availability(i))).toEqual([3, 4, 4, 2]);
    const all = Bitfield.full(4);
    expect(p.nextRequests('seed', all, 2)).toEqual([block(3, 0), block(3, 4)]);
    expect(pieces(p.nextRequests('seed', all, 2))).toEqual([0]);
  });

  it('breaks ties between equally rare pieces with the injected random', () => {
    const chosen = [0, 0.99].map((r) => {
      const p = picker(4, { random: () => r });
      p.peerBitfield('a', bits(4, [0, 1, 2, 3]));
      p.peerBitfield('b', bits(4, [1, 2]));
      return pieces(p.nextRequests('a', bits(4, [0, 1, 2, 3]), 1))[0];
    });
    expect(new Set(chosen).size).toBe(2);
    for (const index of chosen) expect([0, 3]).toContain(index);
  });

  it('a rarest-first pick only considers pieces the peer has', () => {
    const p = picker(3);
    p.peerBitfield('a', bits(3, [0]));
    p.peerBitfield('b', bits(3, [0, 1, 2]));
    p.peerBitfield('c', bits(3, [1, 2]));
    expect(pieces(p.nextRequests('c', bits(3, [1, 2]), 2))).toHaveLength(1);
    expect(pieces(p.nextRequests('a', bits(3, [0]), 4))).toEqual([0]);
  });

  it('picks random pieces with the injected random until randomFirstPieces are verified', () => {
    const draws: number[] = [];
    const sequence = [0.55, 0.05];
    const p = picker(10, {
      randomFirstPieces: 1,
      random: () => {
        const r = sequence[draws.length] ?? 0;
        draws.push(r);
        return r;
      },
    });
    p.peerBitfield('a', bits(10, [0, 1, 2, 3, 4, 5, 6, 7, 9]));
    p.peerBitfield('b', bits(10, [0, 1, 2, 3, 4, 5, 6, 7, 8]));
    const first = p.nextRequests('a', Bitfield.full(10), 2);
    expect(pieces(first)).toEqual([5]); // floor(0.55 * 10), although pieces 8 and 9 are rarer
    expect(draws).toHaveLength(1);
    expect(deliverAll(p, 'a', first)).toBe(true);
    p.pieceVerified(5);
    expect([8, 9]).toContain(pieces(p.nextRequests('a', Bitfield.full(10), 2))[0]);
  });

  it('finishes partially downloaded pieces before starting new ones', () => {
    const p = picker(4);
    const all = Bitfield.full(4);
    p.peerHasAll('a');
    const [fromA] = p.nextRequests('a', all, 1);
    const next = p.nextRequests('b', all, 3);
    expect(next[0]).toEqual(block(fromA?.index ?? -1, 4));
    expect(pieces(next.slice(1))).toHaveLength(1);
    expect(next[1]?.index).not.toBe(fromA?.index);
  });

  it('prefers the started pieces the peer already works on over older ones', () => {
    const p = picker(4);
    const [older] = p.nextRequests('a', Bitfield.full(4), 1);
    const olderIndex = older?.index ?? -1;
    const bHas = Bitfield.full(4);
    bHas.clear(olderIndex);
    const [own] = p.nextRequests('b', bHas, 1);
    expect(own?.index).not.toBe(olderIndex);
    bHas.set(olderIndex);
    expect(p.nextRequests('b', bHas, 2)).toEqual([block(own?.index ?? -1, 4), block(olderIndex, 4)]);
  });

  it('never hands out a block of a piece the peer lacks, nor pieces we have', () => {
    const p = picker(4, {}, bits(4, [0]));
    expect(p.missingCount).toBe(3);
    p.peerHasAll('a');
    const reqs = p.nextRequests('b', bits(4, [0, 2]), 10);
    expect(pieces(reqs)).toEqual([2]);
  });

  it('gives the last piece a short last block', () => {
    const p = picker(2, {}, bits(2, [0]), 5);
    expect(p.nextRequests('a', Bitfield.full(2), 10)).toEqual([block(1, 0), block(1, 4, 1)]);
  });
});

describe('PiecePicker: ownership of blocks', () => {
  it('never hands one block to two peers outside endgame', () => {
    const p = picker(6, {}, undefined, 6);
    const all = Bitfield.full(6);
    const seen = new Set<string>();
    for (let round = 0; !p.inEndgame; round++) {
      const reqs = p.nextRequests(`peer${round % 3}`, all, 1 + (round % 2));
      if (!p.inEndgame) expect(reqs.length).toBeGreaterThan(0);
      for (const r of reqs) {
        expect(seen.has(keyOf(r))).toBe(false);
        seen.add(keyOf(r));
      }
    }
    expect(seen.size).toBe(12);
  });

  it('in endgame hands out duplicates to at most endgameMaxRequests peers and cancels the others', () => {
    const p = picker(1, { endgameMaxRequests: 3 });
    const all = Bitfield.full(1);
    expect(p.inEndgame).toBe(false);
    expect(p.nextRequests('a', all, 5)).toEqual([block(0, 0), block(0, 4)]);
    expect(p.inEndgame).toBe(true);
    expect(p.nextRequests('a', all, 5)).toEqual([]);
    expect(p.nextRequests('b', all, 1)).toEqual([block(0, 0)]);
    expect(p.nextRequests('c', all, 5)).toEqual([block(0, 4), block(0, 0)]);
    expect(p.nextRequests('b', all, 5)).toEqual([block(0, 4)]);
    expect(p.nextRequests('d', all, 5)).toEqual([]);

    const arrived = p.blockReceived('b', block(0, 0));
    expect(arrived.duplicate).toBe(false);
    expect(arrived.pieceComplete).toBe(false);
    expect(arrived.cancel).toEqual([
      { peerId: 'a', req: block(0, 0) },
      { peerId: 'c', req: block(0, 0) },
    ]);
    expect(p.inFlightFor('a')).toEqual([block(0, 4)]);
    expect(p.blockReceived('a', block(0, 0)).duplicate).toBe(true);

    const last = p.blockReceived('c', block(0, 4));
    expect(last.pieceComplete).toBe(true);
    expect(last.cancel.map((c) => c.peerId).sort()).toEqual(['a', 'b']);
    expect(p.inFlightFor('a')).toEqual([]);
    p.pieceVerified(0);
    expect(p.isComplete).toBe(true);
    expect(p.inEndgame).toBe(false);
  });

  it('endgameThreshold starts endgame while some blocks are still unrequested', () => {
    const p = picker(2, { endgameThreshold: 2 });
    const all = Bitfield.full(2);
    expect(p.inEndgame).toBe(false);
    p.nextRequests('a', all, 2);
    expect(p.inEndgame).toBe(true);
    // b gets the free blocks first, then a duplicate.
    const reqs = p.nextRequests('b', all, 3);
    expect(reqs).toHaveLength(3);
    expect(pieces(reqs.slice(0, 2))).toHaveLength(1);
    expect(p.inFlightFor('a').map(keyOf)).toContain(keyOf(reqs[2] ?? block(-1, 0)));
  });

  it('a choke returns the peer\'s blocks and another peer gets them', () => {
    const p = picker(1);
    const all = Bitfield.full(1);
    const reqs = p.nextRequests('a', all, 1);
    p.peerChoked('a');
    expect(p.inFlightFor('a')).toEqual([]);
    expect(p.nextRequests('b', all, 2)).toEqual([...reqs, block(0, 4)]);
  });

  it('peerGone returns the blocks and forgets the availability', () => {
    const p = picker(2);
    p.peerBitfield('a', bits(2, [0]));
    p.peerHas('a', 1);
    p.peerHasAll('s');
    expect(p.availability(1)).toBe(2);
    const reqs = p.nextRequests('a', Bitfield.full(2), 4);
    expect(reqs).toHaveLength(4);
    p.peerGone('a');
    p.peerGone('s');
    expect([p.availability(0), p.availability(1)]).toEqual([0, 0]);
    expect(p.inEndgame).toBe(false);
    expect(p.nextRequests('b', Bitfield.full(2), 4).map(keyOf).sort()).toEqual(reqs.map(keyOf).sort());
  });

  it('tracks a peer\'s blocks in flight across the renewals of its set', () => {
    const count = 3 * RENEW_AFTER_INSERTS;
    const p = picker(count / 2);
    const all = Bitfield.full(count / 2);
    const held: BlockRequest[] = [];
    for (let i = 0; i < count; i += 1) {
      held.push(...p.nextRequests('a', all, 1));
      // Answered one block behind: the set turns over as a pipeline does.
      const oldest = held.length > 1 ? held.shift() : undefined;
      if (oldest !== undefined) expect(p.blockReceived('a', oldest).duplicate).toBe(false);
    }
    expect(p.inFlightFor('a')).toEqual(held);
    p.peerGone('a');
    expect(p.nextRequests('b', all, 4)).toEqual(held);
  });

  it('requestFailed returns one block', () => {
    const p = picker(1);
    const all = Bitfield.full(1);
    p.nextRequests('a', all, 2);
    p.requestFailed('a', block(0, 4));
    expect(p.inFlightFor('a')).toEqual([block(0, 0)]);
    expect(p.inEndgame).toBe(false);
    expect(p.nextRequests('b', all, 1)).toEqual([block(0, 4)]);
  });

  it('pieceFailed returns every block and names the contributing peers', () => {
    const p = picker(2);
    const all = Bitfield.full(2);
    const [first, second] = p.nextRequests('a', all, 2);
    p.requestFailed('a', second ?? block(-1, 0));
    const [again] = p.nextRequests('b', all, 1);
    expect(again).toEqual(second);
    expect(p.blockReceived('a', first ?? block(-1, 0)).pieceComplete).toBe(false);
    expect(p.blockReceived('b', again ?? block(-1, 0)).pieceComplete).toBe(true);
    expect(p.pieceFailed(first?.index ?? -1).sort()).toEqual(['a', 'b']);
    expect(p.missingCount).toBe(2);
    const retry = p.nextRequests('c', all, 4);
    expect(retry.map(keyOf)).toEqual(expect.arrayContaining([keyOf(first ?? block(-1, 0)), keyOf(again ?? block(-1, 0))]));
  });

  it('after pieceFailed the same peer gets the piece again, even if it found nothing before', () => {
    const p = picker(2);
    const onlyFirst = bits(2, [0]);
    const reqs = p.nextRequests('a', onlyFirst, 4);
    expect(deliverAll(p, 'a', reqs)).toBe(true);
    expect(p.nextRequests('a', onlyFirst, 4)).toEqual([]);
    expect(p.pieceFailed(0)).toEqual(['a']);
    expect(p.nextRequests('a', onlyFirst, 4)).toEqual(reqs);
  });

  it('a peer that found nothing new scans again after a have', () => {
    const p = picker(2);
    const has = bits(2, [0]);
    p.peerBitfield('a', has);
    p.nextRequests('a', has, 4);
    expect(p.nextRequests('a', has, 4)).toEqual([]);
    p.peerHas('a', 1);
    expect(pieces(p.nextRequests('a', bits(2, [0, 1]), 4))).toEqual([1]);
  });

  it('accepts a block given back and then delivered anyway, and cancels its new requester', () => {
    const p = picker(1);
    const all = Bitfield.full(1);
    p.nextRequests('a', all, 1);
    p.peerChoked('a');
    p.nextRequests('b', all, 1);
    const outcome = p.blockReceived('a', block(0, 0));
    expect(outcome.duplicate).toBe(false);
    expect(outcome.cancel).toEqual([{ peerId: 'b', req: block(0, 0) }]);
  });

  it('cancels each other requester of a block once, also one that gave it back and took it again', () => {
    const p = picker(1, { endgameMaxRequests: 3 });
    const all = Bitfield.full(1);
    p.nextRequests('a', all, 2); // both blocks: endgame from here
    expect(p.nextRequests('b', all, 1)).toEqual([block(0, 0)]);
    p.peerChoked('a'); // gives both back: block 0 stays with b, block 1 is free
    expect(p.nextRequests('a', all, 2)).toEqual([block(0, 4), block(0, 0)]);
    const outcome = p.blockReceived('c', block(0, 0));
    expect(outcome.cancel).toEqual([{ peerId: 'a', req: block(0, 0) }, { peerId: 'b', req: block(0, 0) }]);
    expect(p.inFlightFor('a')).toEqual([block(0, 4)]);
    expect(p.inFlightFor('b')).toEqual([]);
    // A peer gone before the copy arrives is not cancelled.
    expect(p.nextRequests('d', all, 1)).toEqual([block(0, 4)]);
    p.peerGone('a');
    expect(p.blockReceived('c', block(0, 4)).cancel).toEqual([{ peerId: 'd', req: block(0, 4) }]);
  });

  it('discards blocks of pieces not started or already done', () => {
    const p = picker(2, {}, bits(2, [1]));
    expect(p.blockReceived('x', block(0, 0)).duplicate).toBe(true);
    expect(p.blockReceived('x', block(1, 0)).duplicate).toBe(true);
    expect(p.nextRequests('a', Bitfield.full(2), 1)).toHaveLength(1);
  });

  it('have() finishes a piece and lists the requests to cancel', () => {
    const p = picker(2);
    const reqs = p.nextRequests('a', bits(2, [0]), 2);
    expect(p.have(0)).toEqual(reqs.map((req) => ({ peerId: 'a', req })));
    expect(p.inFlightFor('a')).toEqual([]);
    expect(p.missingCount).toBe(1);
    expect(p.nextRequests('a', bits(2, [0]), 2)).toEqual([]);
  });
});

describe('PiecePicker: budget and errors', () => {
  it('stops at the byte budget', () => {
    const p = picker(4);
    expect(p.nextRequests('a', Bitfield.full(4), 10, { maxBytes: 10 })).toHaveLength(2);
  });

  it('with startPieces false only finishes started pieces', () => {
    const p = picker(4);
    const all = Bitfield.full(4);
    p.nextRequests('a', all, 1);
    expect(p.piecesInProgress).toBe(1);
    expect(p.nextRequests('b', all, 10, { startPieces: false })).toHaveLength(1);
    expect(p.nextRequests('b', all, 10, { startPieces: false })).toEqual([]);
  });

  it('rejects hostile indexes and block headers with a typed error', () => {
    const p = picker(2);
    const kinds: unknown[] = [];
    const attempts = [
      () => p.peerHas('a', 2),
      () => p.blockReceived('a', block(0, 2)),
      () => p.blockReceived('a', block(0, 4, 3)),
      () => p.blockReceived('a', block(0, 8)),
      () => p.peerBitfield('a', new Bitfield(3)),
      () => p.pieceVerified(0),
      () => p.pieceFailed(1),
    ];
    for (const attempt of attempts) {
      try {
        attempt();
        kinds.push('no error');
      } catch (error) {
        kinds.push(error instanceof PiecesError ? error.detail.kind : error);
      }
    }
    expect(kinds).toEqual([
      'piece-out-of-range',
      'bad-block',
      'bad-block',
      'bad-block',
      'bitfield-size-mismatch',
      'piece-not-complete',
      'piece-not-complete',
    ]);
  });

  it('rejects bad options', () => {
    expect(() => picker(2, { blockSize: 0 })).toThrow(PiecesError);
    expect(() => new PiecePicker({ pieceCount: 2, pieceLength: () => 0, random: () => 0 })).toThrow(PiecesError);
  });
});
