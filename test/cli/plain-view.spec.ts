import { describe, expect, it } from 'vitest';
import type { TorrentEvent, TorrentProgress } from '../../src/client/torrent-events.js';
import {
  applyEvent, createPlainView, displayState, formatDuration, formatEta, formatPercent, formatRate, initialStatus,
  progressLine, summaryLine,
} from '../../src/cli/plain-view.js';
import type { TorrentStatus } from '../../src/cli/plain-view.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const MiB = 1024 * 1024;

function progress(infoHash: string, fields: Partial<TorrentProgress> = {}): TorrentProgress {
  return {
    type: 'progress', infoHash, name: infoHash === A ? 'alpha.iso' : 'beta', state: 'downloading',
    piecesDone: 10, pieceCount: 40, bytesDone: 10 * MiB, totalBytes: 40 * MiB, received: 10 * MiB, uploaded: MiB,
    failed: 0, checked: 0, downRate: MiB, upRate: 256 * 1024, peers: 7, seeds: 2, ...fields,
  };
}

function done(infoHash: string, fields: Partial<Extract<TorrentEvent, { type: 'done' }>> = {}): TorrentEvent {
  return { type: 'done', infoHash, name: 'x', received: 40 * MiB, uploaded: 2 * MiB, failed: 0, checked: 0, seconds: 185, ...fields };
}

function statusAfter(events: readonly TorrentEvent[]): TorrentStatus {
  return events.reduce(applyEvent, initialStatus({ infoHash: A, name: 'alpha.iso' }));
}

/** A plain view writing into an array of lines. */
function scripted(options: { quiet?: boolean } = {}) {
  const out: string[] = [];
  const view = createPlainView({
    torrents: [{ infoHash: A, name: 'alpha.iso' }, { infoHash: B, name: 'beta' }],
    write: (text) => out.push(...text.split('\n').filter((line) => line.length > 0)),
    start: 0,
    ...options,
  });
  return { out, view };
}

describe('formatting', () => {
  it.each([
    [0, '0s'], [0.2, '1s'], [59, '59s'], [59.5, '1m00s'], [60, '1m00s'], [185, '3m05s'], [3599, '59m59s'],
    [3600, '1h00m'], [7380, '2h03m'], [3 * 86_400 + 4 * 3600, '3d04h'], [100 * 86_400, '>99d'], [-3, '0s'],
  ])('duration %s s is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each([
    [0, '0 B/s'], [512, '512 B/s'], [1.2 * MiB, '1.20 MiB/s'], [300 * 1024, '300 KiB/s'],
    [Number.NaN, '0 B/s'], [-5, '0 B/s'], [Number.POSITIVE_INFINITY, '0 B/s'],
  ])('rate %s is %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });

  it('percent floors to a tenth, so 100% means complete', () => {
    expect(formatPercent(0.4235)).toBe('42.3%');
    expect(formatPercent(0.99999)).toBe('99.9%');
    expect(formatPercent(1)).toBe('100.0%');
    expect(formatPercent(0)).toBe('0.0%');
  });

  it('ETA is bytes left over the download rate, -- when stalled, empty when not downloading', () => {
    expect(formatEta(statusAfter([progress(A, { downRate: 512 * 1024 })]))).toBe('1m00s');
    expect(formatEta(statusAfter([progress(A, { bytesDone: 40 * MiB - 1, downRate: MiB })]))).toBe('1s');
    expect(formatEta(statusAfter([progress(A, { downRate: 0 })]))).toBe('--');
    expect(formatEta(statusAfter([progress(A, { state: 'checking' })]))).toBe('');
    expect(formatEta(statusAfter([progress(A), done(A)]))).toBe('');
  });
});

describe('status', () => {
  it('goes starting → checking → downloading → done → seeding', () => {
    const steps: TorrentEvent[] = [
      { type: 'state', infoHash: A, state: 'checking' },
      progress(A),
      done(A),
      { type: 'state', infoHash: A, state: 'seeding' },
    ];
    const states = steps.map((_, index) => displayState(statusAfter(steps.slice(0, index + 1))));
    expect(displayState(statusAfter([]))).toBe('starting');
    expect(states).toEqual(['checking', 'downloading', 'done', 'seeding']);
  });

  it('a fatal error sticks; a non-fatal one and a warning change nothing', () => {
    const warned = statusAfter([progress(A), { type: 'warning', infoHash: A, message: 'tracker down' },
      { type: 'error', infoHash: A, message: 'peer lied', fatal: false }]);
    expect(displayState(warned)).toBe('downloading');
    const failed = statusAfter([progress(A), { type: 'error', infoHash: A, message: 'disk full', fatal: true },
      { type: 'state', infoHash: A, state: 'stopped' }]);
    expect(displayState(failed)).toBe('error');
    expect(failed.fatal).toBe('disk full');
  });

  it('stopped after done still shows done', () => {
    expect(displayState(statusAfter([done(A), { type: 'state', infoHash: A, state: 'stopped' }]))).toBe('done');
  });

  it('a progress line carries state, percent, size, rates, peers and ETA', () => {
    expect(progressLine(statusAfter([progress(A)])))
      .toBe('alpha.iso: downloading 25.0% of 40.0 MiB, ↓ 1.00 MiB/s ↑ 256 KiB/s, 7 peers, ETA 30s');
  });

  it('the summary counts done, failed and unfinished torrents and adds up the bytes', () => {
    const a = statusAfter([progress(A), done(A, { received: 3 * MiB, uploaded: MiB })]);
    const failing: TorrentEvent[] = [progress(B, { received: MiB, uploaded: 0 }), { type: 'error', infoHash: B, message: 'x', fatal: true }];
    const b = failing.reduce(applyEvent, initialStatus({ infoHash: B, name: 'beta' }));
    const c = initialStatus({ infoHash: 'c'.repeat(40), name: 'gamma' });
    expect(summaryLine([a, b, c], 243)).toBe('1 done, 1 failed, 1 unfinished; received 4.00 MiB, uploaded 1.00 MiB in 4m03s');
    expect(summaryLine([a], 1)).toBe('1 done; received 3.00 MiB, uploaded 1.00 MiB in 1s');
  });
});

describe('createPlainView', () => {
  it('writes a progress line per torrent at most every 5 s, by the timestamps it is given', () => {
    const { out, view } = scripted();
    for (let t = 0; t <= 12_000; t += 1000) {
      view.update(progress(A, { bytesDone: t * 1000 }), t);
      view.update(progress(B), t + 500);
    }
    const alpha = out.filter((line) => line.startsWith('alpha.iso:'));
    const beta = out.filter((line) => line.startsWith('beta:'));
    expect(alpha.map((line) => /downloading (\S+)%/.exec(line)?.[1])).toEqual(['0.0', '11.9', '23.8']);
    expect(beta).toHaveLength(3);
  });

  it('writes done and fatal errors at once, even inside the interval', () => {
    const { out, view } = scripted();
    view.update(progress(A), 0);
    view.update(done(A), 100);
    view.update(progress(B), 0);
    view.update({ type: 'error', infoHash: B, message: 'disk full', fatal: true }, 200);
    expect(out).toEqual([
      expect.stringMatching(/^alpha\.iso: downloading/),
      'alpha.iso: done in 3m05s, received 40.0 MiB, uploaded 2.00 MiB',
      expect.stringMatching(/^beta: downloading/),
      'beta: error: disk full',
    ]);
  });

  it('writes a repeated warning once, and the summary at the end', () => {
    const { out, view } = scripted();
    for (const t of [0, 1, 2]) view.update({ type: 'warning', infoHash: A, message: 'tracker timed out' }, t);
    view.update({ type: 'warning', infoHash: A, message: 'tracker refused' }, 3);
    view.note('listening on port 6881');
    view.finish(61_000);
    expect(out).toEqual([
      'alpha.iso: warning: tracker timed out',
      'alpha.iso: warning: tracker refused',
      'listening on port 6881',
      '0 done, 2 unfinished; received 0 B, uploaded 0 B in 1m01s',
    ]);
  });

  it('--quiet keeps only errors and the summary', () => {
    const { out, view } = scripted({ quiet: true });
    view.update(progress(A), 0);
    view.update({ type: 'warning', infoHash: A, message: 'slow' }, 1);
    view.update({ type: 'error', infoHash: A, message: 'bad peer', fatal: false }, 2);
    view.update(done(A), 3);
    view.note('listening on port 6881');
    view.update({ type: 'error', infoHash: B, message: 'no space left', fatal: true }, 4);
    view.finish(5000);
    expect(out).toEqual([
      'beta: error: no space left',
      '1 done, 1 failed; received 40.0 MiB, uploaded 2.00 MiB in 5s',
    ]);
  });

  it('control characters from a torrent name or a message never reach the terminal', () => {
    const out: string[] = [];
    const view = createPlainView({ torrents: [{ infoHash: A, name: 'evil\u001b[2Jname' }], write: (text) => out.push(text), start: 0 });
    view.update({ type: 'error', infoHash: A, message: 'bad\u009b31m\r\nthing', fatal: true }, 0);
    expect(out.join('')).toBe('evil?[2Jname: error: bad?31m??thing\n');
  });
});
