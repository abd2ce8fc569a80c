import { describe, it, expect } from 'vitest';
import { NEVER, Observable, defer } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { marbles } from '../helpers/marbles.js';
import type { MarbleContext } from '../helpers/marbles.js';
import { announce$, clampInterval } from '../../src/tracker/announce.js';
import type { AnnounceDeps, AnnounceInput, AnnounceUpdate } from '../../src/tracker/announce.js';
import type { AnnounceEventName, AnnounceParams, AnnounceResponse } from '../../src/tracker/announce-types.js';
import { TrackerError } from '../../src/tracker/tracker-error.js';

const P = { host: '10.0.0.1', port: 6881 };
const answer = (interval: number, extra: Partial<AnnounceResponse> = {}): AnnounceResponse => ({ peers: [P], interval, ...extra });
const noShuffle = (): number => 0.999;

interface Call {
  readonly url: string;
  readonly event: AnnounceEventName | undefined;
  readonly trackerId: string | undefined;
  readonly at: number;
}

/** A transport whose n-th call to `url` returns `script[url][n]` (the last one repeats). */
function scriptedTransport(scheduler: SchedulerLike, script: Record<string, Observable<AnnounceResponse>[]>) {
  const calls: Call[] = [];
  const transport = (url: string, params: AnnounceParams): Observable<AnnounceResponse> => {
    const made = calls.filter((call) => call.url === url).length;
    calls.push({ url, event: params.event, trackerId: params.trackerId, at: scheduler.now() });
    const responses = script[url] ?? [];
    const response = responses[Math.min(made, responses.length - 1)];
    if (response === undefined) throw new Error(`no script for ${url}`);
    return response;
  };
  return { calls, transport };
}

function setup(
  m: MarbleContext,
  tiers: string[][],
  script: Record<string, Observable<AnnounceResponse>[]>,
  options: { completed$?: Observable<unknown>; deps?: Partial<AnnounceDeps>; random?: () => number } = {},
) {
  const { calls, transport } = scriptedTransport(m.scheduler, script);
  const input: AnnounceInput = {
    tiers,
    infoHash: new Uint8Array(20).fill(1),
    peerId: new Uint8Array(20).fill(2),
    port: 6881,
    stats: () => ({ uploaded: 0, downloaded: 0, left: 100 }),
    completed$: options.completed$ ?? NEVER,
  };
  const deps: AnnounceDeps = { scheduler: m.scheduler, random: options.random ?? noShuffle, transport, ...options.deps };
  return { calls, stream: announce$(input, deps) };
}

const peers = (
  tracker: string,
  interval: number,
  event?: AnnounceEventName,
  counts: { complete?: number; incomplete?: number } = {},
): AnnounceUpdate => ({
  type: 'peers',
  tracker,
  peers: [P],
  interval,
  ...(event === undefined ? {} : { event }),
  ...counts,
});
const trackerError = (tracker: string, error: TrackerError): AnnounceUpdate => ({ type: 'tracker-error', tracker, error });
const boom = new TrackerError({ kind: 'http-status', status: 500 });

describe('announce$', () => {
  it('announces started, re-announces every interval and sends stopped on unsubscribe', marbles((m) => {
    const a = m.cold('-(r|)', { r: answer(30) });
    const { calls, stream } = setup(m, [['A']], { A: [a] });
    m.expect(stream, '^ 60005ms !').toBeObservable('-s 29999ms -p 29999ms -p', {
      s: peers('A', 30, 'started'),
      p: peers('A', 30),
    });
    m.expect(a).toHaveSubscriptions(['^!', '30001ms ^!', '60002ms ^!', '60006ms ^!']);
    m.flush();
    expect(calls.map((c) => [c.event, c.at])).toEqual([
      ['started', 0],
      [undefined, 30001],
      [undefined, 60002],
      ['stopped', 60006],
    ]);
  }));

  it('waits at least min interval and clamps absurd intervals', marbles((m) => {
    const a = m.cold('(r|)', { r: answer(10, { minInterval: 100 }) });
    const b = m.cold('(r|)', { r: answer(1e9) });
    const { calls, stream } = setup(m, [['A']], { A: [a, b] }, { deps: { intervalBounds: { min: 30, max: 200 } } });
    m.expect(stream, '^ 300001ms !').toBeObservable('s 99999ms p 199999ms p', {
      s: peers('A', 100, 'started'),
      p: peers('A', 200),
    });
    m.expect(a).toHaveSubscriptions(['(^!)']);
    m.expect(b).toHaveSubscriptions(['100000ms (^!)', '300000ms (^!)', '300002ms (^!)']);
    m.flush();
    expect(calls.map((c) => c.at)).toEqual([0, 100000, 300000, 300002]);
  }));

  it('falls through tiers in order and sends stopped to the tracker that answered', marbles((m) => {
    const fail = m.cold<AnnounceResponse>('-#', undefined, boom);
    const ok = m.cold('-(r|)', { r: answer(60) });
    const { calls, stream } = setup(m, [['A', 'B'], ['C']], { A: [fail], B: [fail], C: [ok] });
    m.expect(stream, '^ 8ms !').toBeObservable('-abc', {
      a: trackerError('A', boom),
      b: trackerError('B', boom),
      c: peers('C', 60, 'started'),
    });
    m.expect(fail).toHaveSubscriptions(['^!', '-^!']);
    m.expect(ok).toHaveSubscriptions(['--^!', '9ms ^!']);
    m.flush();
    expect(calls.map((c) => `${c.url}:${c.event ?? ''}`)).toEqual(['A:started', 'B:started', 'C:started', 'C:stopped']);
  }));

  it('promotes a tracker that answered to the front of its tier', marbles((m) => {
    const fail = m.cold<AnnounceResponse>('#', undefined, boom);
    const ok = m.cold('(r|)', { r: answer(30) });
    // A fails once then works; B works twice then fails.
    const { calls, stream } = setup(m, [['A', 'B']], { A: [fail, ok], B: [ok, ok, fail] });
    m.expect(stream, '^ 90000ms !').toBeObservable('(as) 29996ms p 29999ms (bt) 29996ms q', {
      a: trackerError('A', boom),
      s: peers('B', 30, 'started'),
      p: peers('B', 30),
      b: trackerError('B', boom),
      // A never heard `started` (its first try failed), so it hears it on its first success.
      t: peers('A', 30, 'started'),
      q: peers('A', 30),
    });
    m.expect(fail).toHaveSubscriptions(['(^!)', '60000ms (^!)']);
    m.flush();
    expect(calls.map((c) => c.url)).toEqual(['A', 'B', 'B', 'B', 'A', 'A', 'A']);
    expect(calls.at(-1)?.event).toBe('stopped');
  }));

  it('shuffles each tier once with deps.random', marbles((m) => {
    const ok = m.cold('(r|)', { r: answer(30) });
    const { calls, stream } = setup(m, [['A', 'B', 'C']], { A: [ok], B: [ok], C: [ok] }, { random: () => 0 });
    m.expect(stream, '^ 30000ms !').toBeObservable('s 29999ms p', { s: peers('B', 30, 'started'), p: peers('B', 30) });
    m.expect(ok).toHaveSubscriptions(['(^!)', '30000ms (^!)', '30001ms (^!)']);
    m.flush();
    expect(calls.map((c) => c.url)).toEqual(['B', 'B', 'B']);
  }));

  it('backs off with growing, capped delays when every tracker fails, and never sends stopped', marbles((m) => {
    const fail = m.cold<AnnounceResponse>('-#', undefined, boom);
    const { calls, stream } = setup(m, [['A']], { A: [fail] }, {
      deps: { backoff: { initialDelay: 1000, factor: 2, maxDelay: 4000, jitter: 0 } },
    });
    const failed = (attempt: number, retryIn: number): AnnounceUpdate => ({ type: 'all-failed', attempt, retryIn });
    m.expect(stream, '^ 11005ms !').toBeObservable('-(ea) 997ms (eb) 1997ms (ec) 3997ms (ed) 3997ms (ef)', {
      e: trackerError('A', boom),
      a: failed(0, 1000),
      b: failed(1, 2000),
      c: failed(2, 4000),
      d: failed(3, 4000),
      f: failed(4, 4000),
    });
    m.expect(fail).toHaveSubscriptions(['^!', '1001ms ^!', '3002ms ^!', '7003ms ^!', '11004ms ^!']);
    m.flush();
    expect(calls.every((c) => c.event === 'started')).toBe(true);
  }));

  it('draws the back-off jitter from deps.random', marbles((m) => {
    const fail = m.cold<AnnounceResponse>('#', undefined, boom);
    const { stream } = setup(m, [['A']], { A: [fail] }, {
      random: () => 0.999,
      deps: { backoff: { initialDelay: 1000, maxDelay: 60_000, jitter: 0.5 } },
    });
    m.expect(stream, '^ 600ms !').toBeObservable('(ea) 497ms (eb)', {
      e: trackerError('A', boom),
      a: { type: 'all-failed', attempt: 0, retryIn: 501 },
      b: { type: 'all-failed', attempt: 1, retryIn: 1001 },
    });
    m.expect(fail).toHaveSubscriptions(['(^!)', '501ms (^!)']);
  }));

  it('resets the back-off after a success', marbles((m) => {
    const fail = m.cold<AnnounceResponse>('#', undefined, boom);
    const ok = m.cold('(r|)', { r: answer(30) });
    const { calls, stream } = setup(m, [['A']], { A: [fail, fail, ok, fail] }, {
      deps: { backoff: { initialDelay: 1000, maxDelay: 60_000, jitter: 0 } },
    });
    m.expect(stream, '^ 33001ms !').toBeObservable('(ea) 996ms (eb) 1996ms s 29999ms (ec)', {
      e: trackerError('A', boom),
      a: { type: 'all-failed', attempt: 0, retryIn: 1000 },
      b: { type: 'all-failed', attempt: 1, retryIn: 2000 },
      s: peers('A', 30, 'started'),
      c: { type: 'all-failed', attempt: 0, retryIn: 1000 },
    });
    m.expect(ok).toHaveSubscriptions(['3000ms (^!)']);
    m.flush();
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 3000, 33000, 33002]);
    expect(calls.at(-1)?.event).toBe('stopped');
  }));

  it('sends completed once, right after completed$ emits', marbles((m) => {
    const ok = m.cold('-(r|)', { r: answer(30) });
    const completed$ = m.hot('----c---c');
    const { calls, stream } = setup(m, [['A']], { A: [ok] }, { completed$ });
    m.expect(stream, '^ 30010ms !').toBeObservable('-s---c 29999ms -p', {
      s: peers('A', 30, 'started'),
      c: peers('A', 30, 'completed'),
      p: peers('A', 30),
    });
    m.expect(completed$).toHaveSubscriptions('^---!');
    m.flush();
    expect(calls.map((c) => [c.event, c.at])).toEqual([
      ['started', 0],
      ['completed', 4],
      [undefined, 30005],
      ['stopped', 30011],
    ]);
  }));

  it('sends completed after started when the download was already complete', marbles((m) => {
    const ok = m.cold('-(r|)', { r: answer(30) });
    const completed$ = m.cold('c');
    const { calls, stream } = setup(m, [['A']], { A: [ok] }, { completed$ });
    m.expect(stream, '^ 5ms !').toBeObservable('-sc', { s: peers('A', 30, 'started'), c: peers('A', 30, 'completed') });
    m.expect(completed$).toHaveSubscriptions('(^!)');
    m.expect(ok).toHaveSubscriptions(['^!', '-^!', '6ms ^!']);
    m.flush();
    expect(calls.map((c) => c.event)).toEqual(['started', 'completed', 'stopped']);
  }));

  it('keeps completed pending through failures and sends it at the next retry', marbles((m) => {
    const ok = m.cold('(r|)', { r: answer(30) });
    const fail = m.cold<AnnounceResponse>('#', undefined, boom);
    const completed$ = m.hot('--c');
    const { calls, stream } = setup(m, [['A']], { A: [ok, ok, fail, ok] }, {
      completed$,
      deps: { backoff: { initialDelay: 1000, maxDelay: 1000, jitter: 0 } },
    });
    m.expect(stream, '^ 31003ms !').toBeObservable('s-c 29999ms (ea) 996ms p', {
      s: peers('A', 30, 'started'),
      c: peers('A', 30, 'completed'),
      e: trackerError('A', boom),
      a: { type: 'all-failed', attempt: 0, retryIn: 1000 },
      p: peers('A', 30),
    });
    m.expect(completed$).toHaveSubscriptions('^-!');
    m.flush();
    expect(calls.map((c) => c.event)).toEqual(['started', 'completed', undefined, undefined, 'stopped']);
  }));

  it('gives up on a silent tracker after requestTimeout and tries the next', marbles((m) => {
    const silent = m.cold<AnnounceResponse>('-');
    const ok = m.cold('(r|)', { r: answer(30) });
    const { stream } = setup(m, [['A'], ['B']], { A: [silent], B: [ok] }, { deps: { requestTimeout: 100 } });
    m.expect(stream, '^ 150ms !').toBeObservable('100ms (es)', {
      e: trackerError('A', new TrackerError({ kind: 'timeout', ms: 100 })),
      s: peers('B', 30, 'started'),
    });
    m.expect(silent).toHaveSubscriptions('^ 99ms !');
    m.expect(ok).toHaveSubscriptions(['100ms (^!)', '151ms (^!)']);
  }));

  it('turns a throwing or empty transport into tracker errors and keeps going', marbles((m) => {
    const ok = m.cold('(r|)', { r: answer(30, { warning: 'be nice', trackerId: 'T1', complete: 5, incomplete: 7 }) });
    const empty = m.cold<AnnounceResponse>('|');
    const thrower = defer((): Observable<AnnounceResponse> => {
      throw new Error('socket hang up');
    });
    const { calls, stream } = setup(m, [['A'], ['B'], ['C']], { A: [thrower], B: [empty], C: [ok] });
    m.expect(stream, '^ 30001ms !').toBeObservable('(abws) 29994ms (abwp)', {
      a: trackerError('A', new TrackerError({ kind: 'network', code: 'EUNKNOWN', reason: 'socket hang up' })),
      b: trackerError('B', new TrackerError({ kind: 'malformed', reason: 'the transport completed without an answer' })),
      w: { type: 'warning', tracker: 'C', message: 'be nice' },
      s: peers('C', 30, 'started', { complete: 5, incomplete: 7 }),
      p: peers('C', 30, undefined, { complete: 5, incomplete: 7 }),
    });
    m.expect(empty).toHaveSubscriptions(['(^!)', '30000ms (^!)']);
    m.flush();
    expect(calls.filter((c) => c.url === 'C').map((c) => c.trackerId)).toEqual([undefined, 'T1', 'T1']);
  }));

  it('completes at once without trackers', marbles((m) => {
    const { stream } = setup(m, [[], []], {});
    m.expect(stream).toBeObservable('|');
  }));
});

describe('clampInterval', () => {
  it('raises to min interval and clamps to the bounds', () => {
    expect(clampInterval({ interval: 1800 }, { min: 30, max: 3600 })).toBe(1800);
    expect(clampInterval({ interval: 10, minInterval: 120 }, { min: 30, max: 3600 })).toBe(120);
    expect(clampInterval({ interval: 0 }, { min: 30, max: 3600 })).toBe(30);
    expect(clampInterval({ interval: 1e9, minInterval: 1e10 }, { min: 30, max: 3600 })).toBe(3600);
  });
});
