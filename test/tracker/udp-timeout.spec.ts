import { describe, it, expect } from 'vitest';
import { udpTimeout, UDP_MAX_RETRANSMITS } from '../../src/tracker/udp-timeout.js';

describe('udpTimeout (BEP 15: 15 · 2ⁿ s)', () => {
  it('doubles from 15 s and stops growing at n = 8 (3840 s)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => udpTimeout(n))).toEqual([15, 30, 60, 120, 240, 480, 960, 1920, 3840]);
    expect(udpTimeout(9)).toBe(3840);
    expect(udpTimeout(-1)).toBe(15);
    expect(UDP_MAX_RETRANSMITS).toBe(8);
  });

  it('takes another base', () => {
    expect(udpTimeout(3, 0.5)).toBe(4);
  });
});
