/**
 * The unchoke policy of the upload side (BEP 3 "tit-for-tat", as in the original client and
 * libtorrent's classic choker), as a pure function of one snapshot of the peers.
 *
 * Regular slots go to the `regularSlots` interested peers with the best rate: the rate they give
 * us while we download (reciprocation), the rate we give them while we seed (serve whoever takes
 * the data fastest). While downloading, a snubbed peer (one that has sent us nothing for a while)
 * earns no regular slot. One more slot is the optimistic unchoke: it is kept while its peer is
 * still connected, interested and not already among the regular ones; otherwise it is empty here
 * and the actor's rotation (`pickOptimistic`) fills it. Ties are broken by id, so the result
 * depends on nothing but the input.
 */

export interface ChokePeer {
  readonly id: string;
  /** The peer wants something we have. */
  readonly interested: boolean;
  /** Bytes per second the peer gives us. */
  readonly downRate: number;
  /** Bytes per second we give the peer. */
  readonly upRate: number;
  /** The peer has sent us nothing for a while although we asked. */
  readonly snubbed?: boolean;
}

export interface ChokeState {
  /** The current optimistic unchoke, if any. */
  readonly optimistic?: string;
  readonly seeding: boolean;
}

export interface ChokeOptions {
  /** Regular (rate-based) unchoke slots; the optimistic slot comes on top. Default 4. */
  readonly regularSlots?: number;
}

export interface ChokeDecision {
  /** Every peer to keep unchoked, the optimistic one included. */
  readonly unchoke: Set<string>;
  readonly optimistic?: string;
}

export const DEFAULT_REGULAR_SLOTS = 4;

export function chokeDecision(
  peers: readonly ChokePeer[],
  state: ChokeState,
  options: ChokeOptions = {},
): ChokeDecision {
  const slots = Math.max(0, Math.floor(options.regularSlots ?? DEFAULT_REGULAR_SLOTS));
  const rate = (peer: ChokePeer): number => (state.seeding ? peer.upRate : peer.downRate);
  const regular = peers
    .filter((peer) => peer.interested && (state.seeding || peer.snubbed !== true))
    .sort((a, b) => rate(b) - rate(a) || compareIds(a.id, b.id))
    .slice(0, slots)
    .map((peer) => peer.id);
  const unchoke = new Set(regular);
  const current = state.optimistic === undefined ? undefined : peers.find((peer) => peer.id === state.optimistic);
  if (current === undefined || !current.interested || unchoke.has(current.id)) return { unchoke };
  unchoke.add(current.id);
  return { unchoke, optimistic: current.id };
}

/** Code-unit order, the same on every platform (unlike `localeCompare`). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
