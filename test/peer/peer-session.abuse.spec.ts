import { describe, expect, it } from 'vitest';
import { marbles } from '../helpers/marbles.js';
import { block, ev, req, requestCommand, session, theirHandshake, wire } from './session-setup.js';

const h = theirHandshake();
const u = wire({ type: 'unchoke' });
const k = wire({ type: 'keep-alive' });
const a = requestCommand(0, 0, 16);
const b = requestCommand(0, 16, 16);

describe('peerSession: a peer that stalls', () => {
  it('closes as stalled 60 s after asking, although the request timed out and keep-alives arrive', marbles((m) => {
    const s = session(m, {
      data: '--hu 19999ms k 19999ms k 19999ms k 19999ms k',
      values: { h, u, k },
      commands: '-----a',
      commandValues: { a },
    });
    // No second want after the timeout: the supervisor still owes 4 (less than a batch, 5 / 2).
    m.expect(s.events$).toBeObservable('-cH(Uw) 29998ms T 29999ms (C|)', {
      c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5),
      T: { type: 'request-timeout', request: req(0, 0, 16) },
      C: ev.closed({ kind: 'stalled', ms: 60_000 }),
    });
    m.expect(s.connection$).toHaveSubscriptions('^ 60004ms !');
    m.flush();
    expect(s.fake.written.slice(2)).toEqual([[5, 'request 0:0:16'], [30005, 'cancel 0:0:16']]);
  }));

  it('a block restarts the clock while other requests are outstanding', marbles((m) => {
    const s = session(m, {
      data: '--hu 50001ms p',
      values: { h, u, p: block(0, 0, 16) },
      commands: '-----(ab)',
      commandValues: { a, b },
      options: { requestTimeout: 1e9 },
    });
    // The block leaves 4 to ask for while 3 are still owed: less than a batch (5 / 2) more.
    m.expect(s.events$).toBeObservable('-cH(Uw) 49998ms P 59999ms (C|)', {
      c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5),
      P: ev.block(0, 0, 16),
      C: ev.closed({ kind: 'stalled', ms: 60_000 }),
    });
  }));

  it('does not run while nothing is owed: a BEP 3 choke drops the requests and stops the clock', marbles((m) => {
    const c = wire({ type: 'choke' });
    const s = session(m, {
      data: '--hu 9999ms c',
      values: { h, u, c },
      commands: '-----a',
      commandValues: { a },
      options: { idleTimeout: 1e9 },
    });
    m.expect(s.events$, '^ 200000ms !').toBeObservable('-cH(Uw) 9996ms (Kd)', {
      c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5),
      K: { type: 'choked' },
      d: { type: 'requests-dropped', requests: [req(0, 0, 16)], reason: 'choked' },
    });
  }));

  it('is suspended while reading is paused', marbles((m) => {
    const s = session(m, {
      data: '--hu',
      values: { h, u },
      commands: '-----a 9999ms p 99999ms r',
      commandValues: { a, p: { type: 'pause' }, r: { type: 'resume' } },
      options: { requestTimeout: 1e9, idleTimeout: 1e9 },
    });
    // Paused at 10005 with 10 s owed; resumed at 110005: a fresh 60 s from there.
    m.expect(s.events$).toBeObservable('-cH(Uw) 169998ms (C|)', {
      c: ev.connected, H: ev.handshake(), U: { type: 'unchoked' }, w: ev.want(5),
      C: ev.closed({ kind: 'stalled', ms: 60_000 }),
    });
  }));
});

describe('peerSession: a keep-alive flood', () => {
  it('tolerates keep-alives within the limit, and closes past it', marbles((m) => {
    const s = session(m, {
      data: '--h 999ms k 999ms (kk) 999ms (kkk)',
      values: { h, k },
      options: { maxKeepAlives: 2, keepAliveWindow: 1000 },
    });
    // One at 1002, two at 2002 (a new window), three at 3005: the third is one too many.
    m.expect(s.events$).toBeObservable('-cH 3002ms (C|)', {
      c: ev.connected, H: ev.handshake(),
      C: ev.closed({ kind: 'keepalive-flood', max: 2, windowMs: 1000 }),
    });
    m.expect(s.data$).toHaveSubscriptions('-^ 3003ms !');
  }));

  it('allows 30 a minute by default', marbles((m) => {
    const thirty = 'k'.repeat(30);
    // 30 at 4; 30 more in the next window (from 60004) pass, the 31st does not.
    const s = session(m, { data: `--h-(${thirty}) 59968ms (${thirty}k)`, values: { h, k } });
    m.expect(s.events$).toBeObservable('-cH 60001ms (C|)', {
      c: ev.connected, H: ev.handshake(),
      C: ev.closed({ kind: 'keepalive-flood', max: 30, windowMs: 60_000 }),
    });
  }));
});
