import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CLIENT_PREFIX, makePeerId } from '../../src/wire/peer-id.js';
import { WireError } from '../../src/wire/wire-error.js';
import { fuzzRuns } from './arbitraries.js';

describe('makePeerId', () => {
  it('is the client prefix followed by characters picked by the random bytes', () => {
    const id = makePeerId(new Uint8Array([0, 1, 10, 35, 36, 61, 62, 63, 64, 255, 128, 9]));
    expect(new TextDecoder().decode(id)).toBe(`${CLIENT_PREFIX}01AZaz-_0_09`);
  });

  it('is 20 printable bytes, and different random input gives different ids', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 12, maxLength: 32 }), (random) => {
      const id = makePeerId(random);
      expect(id).toHaveLength(20);
      const text = new TextDecoder().decode(id);
      expect(text).toMatch(/^-RX0001-[0-9A-Za-z_-]{12}$/);
      const other = random.slice();
      other[0] = ((other[0] ?? 0) + 1) & 63;
      expect(makePeerId(other)).not.toEqual(id);
    }), { numRuns: fuzzRuns(200) });
  });

  it('needs 12 random bytes', () => {
    expect(() => makePeerId(new Uint8Array(11))).toThrow(WireError);
    expect(() => makePeerId(new Uint8Array(11))).toThrow('random is 11 bytes, expected 12');
  });
});
