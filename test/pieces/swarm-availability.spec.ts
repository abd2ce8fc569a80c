import { describe, expect, it } from 'vitest';
import { Bitfield } from '../../src/pieces/bitfield.js';
import { SwarmAvailability } from '../../src/pieces/swarm-availability.js';

function bits(pieceCount: number, indexes: readonly number[]): Bitfield {
  const field = new Bitfield(pieceCount);
  for (const i of indexes) field.set(i);
  return field;
}

const any = (): boolean => true;

describe('SwarmAvailability', () => {
  it('counts haves, bitfields and have-alls, and forgets a peer that is gone', () => {
    const swarm = new SwarmAvailability<string>(3);
    swarm.peerBitfield('a', bits(3, [0, 1]));
    expect(swarm.peerHas('a', 1)).toBe(false);
    expect(swarm.peerHas('b', 2)).toBe(true);
    swarm.peerHasAll('s');
    expect([0, 1, 2].map((i) => swarm.availability(i))).toEqual([2, 2, 2]);
    swarm.peerBitfield('a', bits(3, [2]));
    expect([0, 1, 2].map((i) => swarm.availability(i))).toEqual([1, 1, 3]);
    swarm.peerGone('a');
    swarm.peerGone('s');
    swarm.peerGone('nobody');
    expect([0, 1, 2].map((i) => swarm.availability(i))).toEqual([0, 0, 1]);
  });

  it('chooses the rarest candidate the peer has', () => {
    const swarm = new SwarmAvailability<string>(4);
    swarm.peerBitfield('a', bits(4, [0, 1, 2]));
    swarm.peerBitfield('b', bits(4, [0, 1]));
    swarm.peerBitfield('c', bits(4, [0]));
    const all = Bitfield.full(4);
    expect(swarm.rarest(all, any, () => 0)).toBe(2);
    expect(swarm.rarest(all, (i) => i !== 2, () => 0)).toBe(1);
    expect(swarm.rarest(bits(4, [0, 3]), any, () => 0)).toBe(0);
    // Nobody has piece 3: only a last resort.
    expect(swarm.rarest(bits(4, [3]), any, () => 0)).toBe(3);
    swarm.retire(2);
    expect(swarm.rarest(all, any, () => 0)).toBe(1);
  });

  it('with a have-all peer connected, the pieces nobody else has are the rarest', () => {
    const swarm = new SwarmAvailability<string>(3);
    swarm.peerBitfield('a', bits(3, [0, 1]));
    swarm.peerHasAll('s');
    expect(swarm.rarest(Bitfield.full(3), any, () => 0.5)).toBe(2);
  });
});
