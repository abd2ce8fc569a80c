/**
 * BEP 15's retransmission rule: wait `15 · 2ⁿ` seconds for an answer to the n-th transmission,
 * n = 0, 1, … up to 8 (3840 s); after the answer to transmission 8 fails to arrive, give up.
 */
export const UDP_MAX_RETRANSMITS = 8;

/** Seconds to wait after transmission `n`; `base` (15 by default) lets tests shorten it. */
export function udpTimeout(n: number, base = 15): number {
  return base * 2 ** Math.min(Math.max(0, Math.floor(n)), UDP_MAX_RETRANSMITS);
}
