import { describe, expect, it } from 'vitest';
import { NEVER } from 'rxjs';
import { marbles } from '../helpers/marbles.js';
import type { Connection } from '../../src/peer/connection.js';
import { ConnectionError } from '../../src/peer/connection-error.js';
import { peerSession } from '../../src/peer/peer-session.js';
import { encodeExtensionHandshake } from '../../src/peer/extension-handshake.js';
import { ev, INFO_HASH, OUR_ID, session, theirHandshake, wire } from './session-setup.js';

const extended = wire({ type: 'extended', id: 0, payload: encodeExtensionHandshake({ client: 'peer 1.0', reqq: 100 }) });

describe('peerSession: connecting and handshaking', () => {
  it('handshakes, sends our pieces and BEP 10 handshake, reports theirs', marbles((m) => {
    const s = session(m, {
      data: '--h-(bx)',
      values: { h: theirHandshake({ fast: true, extended: true }), b: wire({ type: 'bitfield', bits: new Uint8Array([0x0f]) }), x: extended },
    });
    m.expect(s.events$, '^ 9ms !').toBeObservable('-cH-(BX)', {
      c: ev.connected,
      H: ev.handshake(true, true),
      B: ev.bitfield([0x0f]),
      X: { type: 'extended-handshake', client: 'peer 1.0', reqq: 100 },
    });
    m.expect(s.connection$).toHaveSubscriptions('^ 9ms !');
    m.expect(s.data$).toHaveSubscriptions('-^ 8ms !');
    m.expect(s.commands$).toHaveSubscriptions('--^ 7ms !');
    m.flush();
    expect(s.fake.written).toEqual([[1, 'handshake'], [2, 'bitfield f0'], [2, 'extended 0']]);
  }));

  it('announces a full or empty bitfield with have-all / have-none to a BEP 6 peer', marbles((m) => {
    const full = session(m, { data: '--h', values: { h: theirHandshake({ fast: true }) }, ourBitfield: [0xff] });
    const empty = session(m, { data: '--h', values: { h: theirHandshake({ fast: true }) }, ourBitfield: [0x00] });
    const plain = session(m, { data: '--h', values: { h: theirHandshake() }, ourBitfield: [0x00] });
    for (const s of [full, empty, plain]) m.expect(s.events$, '^ 4ms !').toBeObservable('-cH', { c: ev.connected, H: s === plain ? ev.handshake() : ev.handshake(true) });
    m.flush();
    expect(full.fake.written).toEqual([[1, 'handshake'], [2, 'have-all']]);
    expect(empty.fake.written).toEqual([[1, 'handshake'], [2, 'have-none']]);
    expect(plain.fake.written).toEqual([[1, 'handshake']]);
  }));

  it('closes on a wrong info hash', marbles((m) => {
    const other = new Uint8Array(20).fill(9);
    const s = session(m, { data: '--h', values: { h: theirHandshake({ infoHash: other }) } });
    m.expect(s.events$).toBeObservable('-c(C|)', { c: ev.connected, C: ev.closed({ kind: 'wrong-info-hash', infoHash: other }) });
    m.expect(s.connection$).toHaveSubscriptions('^-!');
    m.expect(s.data$).toHaveSubscriptions('-^!');
    m.expect(s.commands$).toHaveSubscriptions([]);
  }));

  it('closes a connection to ourselves', marbles((m) => {
    const s = session(m, { data: '--h', values: { h: theirHandshake({ peerId: OUR_ID }) } });
    m.expect(s.events$).toBeObservable('-c(C|)', { c: ev.connected, C: ev.closed({ kind: 'self-connection' }) });
    m.expect(s.connection$).toHaveSubscriptions('^-!');
  }));

  it('accepts a handshake the listener already read, and reads messages after it', marbles((m) => {
    const s = session(m, { accepted: {}, connect: 'c', data: '-----u', values: { u: wire({ type: 'unchoke' }) } });
    m.expect(s.events$, '^ 9ms !').toBeObservable('(cH)-(Uw)', { c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5) });
    m.expect(s.data$).toHaveSubscriptions('^ 9ms !');
    m.flush();
    expect(s.fake.written).toEqual([[0, 'handshake'], [0, 'bitfield f0']]);
  }));

  it('closes when the peer sends garbage instead of a handshake', marbles((m) => {
    const s = session(m, { data: '--g', values: { g: new TextEncoder().encode('GET / HTTP/1.1\r\n') } });
    m.expect(s.events$).toBeObservable('-c(C|)', {
      c: ev.connected,
      C: ev.closed({ kind: 'wire', error: { kind: 'bad-protocol', pstrlen: 71, protocol: 'ET / HTTP/1.1\r\n' } }),
    });
  }));

  it('times out connecting', marbles((m) => {
    const s = session(m, { connect: '-', data: '-' });
    m.expect(s.events$).toBeObservable('10000ms (C|)', { C: ev.closed({ kind: 'connection', error: { kind: 'connect-timeout', ms: 10_000 } }) });
    m.expect(s.connection$).toHaveSubscriptions('^ 9999ms !');
  }));

  it('reports a refused connection as closed, not as an error', marbles((m) => {
    const refused = m.cold<Connection>('--#', undefined, new ConnectionError({ kind: 'connect-refused' }));
    const events$ = peerSession({
      peer: { kind: 'dial', address: { host: '10.0.0.2', port: 6881 } },
      infoHash: INFO_HASH,
      ourPeerId: OUR_ID,
      pieceCount: 8,
      ourBitfield: new Uint8Array(1),
      commands$: NEVER,
    }, { scheduler: m.scheduler, connect: () => refused });
    m.expect(events$).toBeObservable('--(C|)', { C: ev.closed({ kind: 'connection', error: { kind: 'connect-refused' } }) });
    m.expect(refused).toHaveSubscriptions('^-!');
  }));

  it('times out waiting for the handshake', marbles((m) => {
    const s = session(m, { data: '-' });
    m.expect(s.events$).toBeObservable('-c 19999ms (C|)', { c: ev.connected, C: ev.closed({ kind: 'handshake-timeout', ms: 20_000 }) });
    m.expect(s.connection$).toHaveSubscriptions('^ 20000ms !');
  }));

  it('closes when the peer ends the stream', marbles((m) => {
    const s = session(m, { data: '--h-|', values: { h: theirHandshake() } });
    m.expect(s.events$).toBeObservable('-cH-(C|)', { c: ev.connected, H: ev.handshake(), C: ev.closed({ kind: 'remote-closed' }) });
    m.expect(s.connection$).toHaveSubscriptions('^---!');
  }));

  it('unsubscribing unsubscribes the connection, the data and the commands', marbles((m) => {
    const s = session(m, { data: '--h', values: { h: theirHandshake() } });
    m.expect(s.events$, '^ 20ms !').toBeObservable('-cH', { c: ev.connected, H: ev.handshake() });
    m.expect(s.connection$).toHaveSubscriptions('^ 20ms !');
    m.expect(s.data$).toHaveSubscriptions('-^ 19ms !');
    m.expect(s.commands$).toHaveSubscriptions('--^ 18ms !');
  }));
});
