import { describe, it } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import type { PeerEvent } from '../../src/peer/peer-events.js';
import { ev, session, theirHandshake, wire } from './session-setup.js';

const have = (index: number): PeerEvent => ({ type: 'have', index });

describe('peerSession: piece news out of order (aria2 sends a bitfield after its haves)', () => {
  it('takes a late bitfield as the haves it adds, instead of closing', marbles((m) => {
    // 8 pieces: have 1, then a bitfield of pieces 0, 1 and 7 (0b1100_0001).
    const s = session(m, {
      data: '--hab',
      values: { h: theirHandshake(), a: wire({ type: 'have', index: 1 }), b: wire({ type: 'bitfield', bits: new Uint8Array([0xc1]) }) },
    });
    m.expect(s.events$, '^ 9ms !').toBeObservable('-cHa(xy)', {
      c: ev.connected, H: ev.handshake(), a: have(1), x: have(0), y: have(7),
    });
    m.expect(s.connection$).toHaveSubscriptions('^ 9ms !');
  }));

  it('still closes a BEP 6 message from a peer without BEP 6', marbles((m) => {
    const s = session(m, { data: '--hx', values: { h: theirHandshake(), x: wire({ type: 'have-all' }) } });
    m.expect(s.events$).toBeObservable('-cH(C|)', {
      c: ev.connected, H: ev.handshake(), C: ev.closed({ kind: 'unexpected-message', message: 'have-all' }),
    });
    m.expect(s.connection$).toHaveSubscriptions('^--!');
  }));
});
