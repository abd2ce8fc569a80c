/**
 * Finds the peer that sent bad data. Every accepted block of a piece in progress is attributed to
 * the peer it came from. When a piece fails its hash:
 * - if one peer sent every block, that peer is the culprit at once;
 * - otherwise the failed copy is kept (bounded: `maxSuspects` pieces of at most 4 copies each) and, when a
 *   good copy of the piece is verified later, each block of the failed copy is compared with it:
 *   the peers whose blocks differ are the culprits, and only they.
 * Honest peers that shared a piece with a liar are never blamed. Pure: plain values in and out.
 */
/** Failed copies kept per piece: enough to convict a liar, bounded against one that never stops. */
const MAX_COPIES = 4;

export class CorruptionTracker {
  private readonly sources = new Map<number, string[]>();
  private readonly suspects = new Map<number, { readonly data: Uint8Array; readonly sources: readonly string[] }[]>();

  constructor(private readonly blockSize: number, private readonly maxSuspects = 32) {}

  /** A block of `index` at `begin` was accepted from `peer`. */
  record(index: number, begin: number, peer: string): void {
    let blocks = this.sources.get(index);
    if (blocks === undefined) {
      blocks = [];
      this.sources.set(index, blocks);
    }
    blocks[Math.floor(begin / this.blockSize)] = peer;
  }

  /** The piece failed its hash. Returns the culprit when one peer sent all of it. */
  failed(index: number, data: Uint8Array): string | undefined {
    const sources = this.sources.get(index) ?? [];
    this.sources.delete(index);
    const distinct = new Set(sources.filter((peer) => peer !== undefined));
    if (distinct.size === 1) return distinct.values().next().value;
    const copies = this.suspects.get(index) ?? [];
    copies.push({ data, sources });
    if (copies.length > MAX_COPIES) copies.shift();
    this.suspects.delete(index);
    this.suspects.set(index, copies); // most recent last
    while (this.suspects.size > this.maxSuspects) {
      const oldest = this.suspects.keys().next().value;
      if (oldest === undefined) break;
      this.suspects.delete(oldest);
    }
    return undefined;
  }

  /** The piece verified with `good`: the peers whose blocks in earlier failed copies differ. */
  verified(index: number, good: Uint8Array): string[] {
    this.sources.delete(index);
    const copies = this.suspects.get(index);
    this.suspects.delete(index);
    if (copies === undefined) return [];
    const culprits = new Set<string>();
    for (const copy of copies) {
      copy.sources.forEach((peer, block) => {
        const begin = block * this.blockSize;
        const end = Math.min(good.length, begin + this.blockSize);
        if (!sameBytes(copy.data, good, begin, end)) culprits.add(peer);
      });
    }
    return [...culprits];
  }

  /** The piece left memory without a verdict (a write failure): forget who sent it. */
  forget(index: number): void {
    this.sources.delete(index);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array, begin: number, end: number): boolean {
  for (let i = begin; i < end; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
