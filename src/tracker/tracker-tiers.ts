/**
 * BEP 12 tier bookkeeping as pure functions: shuffle each tier once, then move a tracker that
 * answered to the front of its tier. Tiers are never reordered among themselves.
 */
export type Tiers = readonly (readonly string[])[];

/** Fisher–Yates shuffle of each tier with the given `random` (0 ≤ r < 1); empty tiers dropped. */
export function shuffleTiers(tiers: Tiers, random: () => number): string[][] {
  return tiers
    .filter((tier) => tier.length > 0)
    .map((tier) => {
      const out = [...tier];
      for (let i = out.length - 1; i > 0; i -= 1) {
        const j = Math.min(i, Math.floor(random() * (i + 1)));
        const swap = out[i];
        const other = out[j];
        if (swap === undefined || other === undefined) continue;
        out[i] = other;
        out[j] = swap;
      }
      return out;
    });
}

/** A copy of `tiers` with `tracker` moved to the front of the tier that holds it. */
export function promoteTracker(tiers: Tiers, tracker: string): string[][] {
  return tiers.map((tier) =>
    tier.includes(tracker) ? [tracker, ...tier.filter((url) => url !== tracker)] : [...tier],
  );
}

/** The order in which one announce round tries trackers: tier by tier, front to back. */
export function announceOrder(tiers: Tiers): string[] {
  return tiers.flat();
}
