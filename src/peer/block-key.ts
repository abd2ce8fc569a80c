/** A map key for one block request: `index:begin:length`. */
export function blockKey(index: number, begin: number, length: number): string {
  return `${index}:${begin}:${length}`;
}

/**
 * A cheaper map key for a block of our own requests, by position only: one number,
 * `index · 2³² + begin`, exact while `index < 2²¹`; a string past that. The caller compares the
 * length itself.
 */
export function blockSlot(index: number, begin: number): number | string {
  return index < 0x200000 ? index * 0x1_0000_0000 + begin : `${index}:${begin}`;
}
