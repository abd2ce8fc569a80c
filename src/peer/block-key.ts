/** A map key for one block request: `index:begin:length`. */
export function blockKey(index: number, begin: number, length: number): string {
  return `${index}:${begin}:${length}`;
}
