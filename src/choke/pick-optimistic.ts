/**
 * Picks the next optimistic unchoke among the choked, interested peers. Newly connected peers
 * are three times as likely to be picked as the others (BEP 3, after the original client), so a
 * newcomer gets its first pieces — and something to trade — quickly. Candidates are sorted by id
 * first, so the pick depends only on the set of candidates and on `random`.
 */
import { compareIds } from './choke-decision.js';

export interface PickOptimisticOptions {
  /** Ids of newly connected peers; they weigh `newPeerWeight` instead of 1. */
  readonly newPeers?: ReadonlySet<string>;
  /** Default 3. */
  readonly newPeerWeight?: number;
}

export const NEW_PEER_WEIGHT = 3;

/** Returns one of `candidates`, or `undefined` when there is none. `random` is in [0, 1). */
export function pickOptimistic(
  candidates: readonly string[],
  random: () => number,
  options: PickOptimisticOptions = {},
): string | undefined {
  const newWeight = options.newPeerWeight ?? NEW_PEER_WEIGHT;
  const sorted = [...new Set(candidates)].sort(compareIds);
  const weight = (id: string): number => (options.newPeers?.has(id) === true ? newWeight : 1);
  const total = sorted.reduce((sum, id) => sum + weight(id), 0);
  if (sorted.length === 0 || total <= 0) return undefined;
  let point = Math.min(Math.max(random(), 0), 1) * total;
  for (const id of sorted) {
    point -= weight(id);
    if (point < 0) return id;
  }
  // `random()` returned 1 (or rounding reached the end): the last candidate.
  return sorted[sorted.length - 1];
}
