import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { chokeDecision } from '../../src/choke/choke-decision.js';
import type { ChokePeer } from '../../src/choke/choke-decision.js';

const peer = (id: string, downRate: number, upRate: number, extra: Partial<ChokePeer> = {}): ChokePeer => ({
  id,
  interested: true,
  downRate,
  upRate,
  ...extra,
});

// Download rates and upload rates rank the peers in opposite orders.
const swarm: ChokePeer[] = [
  peer('a', 500, 10),
  peer('b', 400, 20),
  peer('c', 300, 30),
  peer('d', 200, 40),
  peer('e', 100, 50),
  peer('f', 50, 60),
];

const ids = (set: Set<string>): string[] => [...set].sort();

describe('chokeDecision', () => {
  it('while downloading, unchokes the interested peers that give us the most', () => {
    const decision = chokeDecision(swarm, { seeding: false }, { regularSlots: 4 });
    expect(ids(decision.unchoke)).toEqual(['a', 'b', 'c', 'd']);
    expect(decision.optimistic).toBeUndefined();
  });

  it('while seeding, unchokes the interested peers that take the most from us', () => {
    const decision = chokeDecision(swarm, { seeding: true }, { regularSlots: 4 });
    expect(ids(decision.unchoke)).toEqual(['c', 'd', 'e', 'f']);
  });

  it('has four regular slots by default', () => {
    expect(chokeDecision(swarm, { seeding: false }).unchoke.size).toBe(4);
  });

  it('never unchokes an uninterested peer, however fast', () => {
    const peers = [peer('fast', 10_000, 10_000, { interested: false }), ...swarm];
    const decision = chokeDecision(peers, { seeding: false }, { regularSlots: 2 });
    expect(ids(decision.unchoke)).toEqual(['a', 'b']);
  });

  it('gives snubbed peers no regular slot while downloading, but counts them while seeding', () => {
    const peers = [peer('s', 1000, 1000, { snubbed: true }), ...swarm];
    expect(ids(chokeDecision(peers, { seeding: false }, { regularSlots: 2 }).unchoke)).toEqual(['a', 'b']);
    expect(ids(chokeDecision(peers, { seeding: true }, { regularSlots: 2 }).unchoke)).toEqual(['f', 's']);
  });

  it('breaks ties by id, whatever the input order', () => {
    const tied = [peer('z', 7, 7), peer('m', 7, 7), peer('b', 7, 7), peer('q', 7, 7)];
    expect(ids(chokeDecision(tied, { seeding: false }, { regularSlots: 2 }).unchoke)).toEqual(['b', 'm']);
    expect(ids(chokeDecision([...tied].reverse(), { seeding: false }, { regularSlots: 2 }).unchoke)).toEqual(['b', 'm']);
  });

  it('keeps the optimistic unchoke on top of the regular slots while it stays connected and interested', () => {
    const decision = chokeDecision(swarm, { seeding: false, optimistic: 'f' }, { regularSlots: 2 });
    expect(ids(decision.unchoke)).toEqual(['a', 'b', 'f']);
    expect(decision.optimistic).toBe('f');
  });

  it('drops the optimistic unchoke when its peer lost interest, left, or earned a regular slot', () => {
    const bored = swarm.map((p) => (p.id === 'f' ? { ...p, interested: false } : p));
    expect(chokeDecision(bored, { seeding: false, optimistic: 'f' }, { regularSlots: 2 })).toEqual({
      unchoke: new Set(['a', 'b']),
    });
    expect(chokeDecision(swarm, { seeding: false, optimistic: 'gone' }, { regularSlots: 2 })).toEqual({
      unchoke: new Set(['a', 'b']),
    });
    expect(chokeDecision(swarm, { seeding: false, optimistic: 'a' }, { regularSlots: 2 })).toEqual({
      unchoke: new Set(['a', 'b']),
    });
  });

  it('with no regular slots, only the optimistic unchoke remains', () => {
    expect(chokeDecision(swarm, { seeding: false, optimistic: 'c' }, { regularSlots: 0 })).toEqual({
      unchoke: new Set(['c']),
      optimistic: 'c',
    });
  });

  it('is bounded, interested-only and independent of the input order (property)', () => {
    const arbPeer = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
      interested: fc.boolean(),
      downRate: fc.nat(1000),
      upRate: fc.nat(1000),
      snubbed: fc.boolean(),
    });
    const arbPeers = fc.uniqueArray(arbPeer, { selector: (p) => p.id, maxLength: 8 });
    fc.assert(
      fc.property(
        arbPeers,
        fc.boolean(),
        fc.option(fc.constantFrom<string>('a', 'b', 'c', 'x'), { nil: undefined }),
        fc.nat(6),
        (peers, seeding, optimistic, regularSlots) => {
          const state = optimistic === undefined ? { seeding } : { seeding, optimistic };
          const decision = chokeDecision(peers, state, { regularSlots });
          const interested = new Set<string>(peers.filter((p) => p.interested).map((p) => p.id));
          expect(decision.unchoke.size).toBeLessThanOrEqual(regularSlots + 1);
          for (const id of decision.unchoke) expect(interested.has(id)).toBe(true);
          if (decision.optimistic !== undefined) expect(decision.optimistic).toBe(optimistic);
          const reversed = chokeDecision([...peers].reverse(), state, { regularSlots });
          expect(ids(reversed.unchoke)).toEqual(ids(decision.unchoke));
          expect(reversed.optimistic).toBe(decision.optimistic);
        },
      ),
    );
  });
});
