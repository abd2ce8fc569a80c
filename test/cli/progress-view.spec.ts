import { describe, expect, it } from 'vitest';
import type { TorrentEvent, TorrentProgress } from '../../src/client/torrent-events.js';
import { applyEvent, initialStatus } from '../../src/cli/plain-view.js';
import type { TorrentStatus } from '../../src/cli/plain-view.js';
import { createProgressView, displayWidth, fitWidth, renderBar, renderBars } from '../../src/cli/progress-view.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const MiB = 1024 * 1024;

function progress(infoHash: string, fields: Partial<TorrentProgress> = {}): TorrentProgress {
  return {
    type: 'progress', infoHash, name: 'x', state: 'downloading',
    piecesDone: 20, pieceCount: 40, bytesDone: 20 * MiB, totalBytes: 40 * MiB, received: 20 * MiB, uploaded: 0,
    failed: 0, checked: 0, downRate: 2 * MiB, upRate: 300 * 1024, peers: 12, seeds: 3, ...fields,
  };
}

function status(name: string, events: readonly TorrentEvent[]): TorrentStatus {
  return events.reduce(applyEvent, initialStatus({ infoHash: A, name }));
}

/**
 * Just enough of a terminal to replay a frame stream: cursor up, carriage return, clear to end
 * of line and of screen, newline, cursor show/hide. Returns the screen's lines.
 */
function replay(output: string): { lines: string[]; cursorHidden: boolean } {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  let cursorHidden = false;
  const pattern = /\u001b\[(\?25[lh]|\d*[AKJ])|\r|\n|[^\u001b\r\n]/gu;
  for (const [token, code] of output.matchAll(pattern)) {
    if (code === '?25l') cursorHidden = true;
    else if (code === '?25h') cursorHidden = false;
    else if (code?.endsWith('A')) {
      row = Math.max(0, row - Number(code.slice(0, -1) || '1'));
    } else if (code === 'K') lines[row] = [...(lines[row] ?? '')].slice(0, col).join('');
    else if (code === 'J') {
      lines[row] = [...(lines[row] ?? '')].slice(0, col).join('');
      lines.length = row + 1;
    } else if (token === '\r') col = 0;
    else if (token === '\n') {
      row += 1;
      col = 0;
      lines[row] ??= '';
    } else {
      const chars = [...(lines[row] ?? '')];
      while (chars.length < col) chars.push(' ');
      chars[col] = token;
      lines[row] = chars.join('');
      col += 1;
    }
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { lines, cursorHidden };
}

describe('renderBar', () => {
  it.each([
    [0, '[░░░░░░░░░░]'], [0.5, '[█████░░░░░]'], [0.99, '[█████████░]'], [1, '[██████████]'], [1.5, '[██████████]'],
  ])('%s of 10 cells', (fraction, bar) => {
    expect(renderBar(fraction, 10)).toBe(bar);
  });
});

describe('renderBars', () => {
  const downloading = status('ubuntu-24.04-desktop-amd64.iso', [progress(A)]);

  it('shows everything on a wide terminal', () => {
    const [line] = renderBars([downloading], 140);
    expect(line).toMatch(/^ubuntu-24\.04-desktop-amd64… \[█{20}░{20}\]  50\.0% ↓ +2\.00 MiB\/s ↑ +300 KiB\/s +12 peers ETA +10s downloading$/);
  });

  it('drops the upload rate and peers first when the terminal narrows, then the rate and ETA, then the bar', () => {
    const at = (columns: number): string => renderBars([downloading], columns)[0] ?? '';
    expect(at(100)).toMatch(/↑/);
    expect(at(80)).not.toMatch(/↑|peers/);
    expect(at(80)).toMatch(/\[█+░+\] +50\.0% ↓ +2\.00 MiB\/s ETA +10s downloading$/);
    expect(at(50)).toMatch(/\[█+░+\] +50\.0% downloading$/);
    expect(at(30)).not.toMatch(/\[/);
    expect(at(30)).toMatch(/50\.0% downloading$/);
  });

  it('never writes a line as wide as the terminal, whatever the names', () => {
    const names = ['a', 'x'.repeat(200), '日本語のファイル名がとても長いトレント', 'e\u0301motion 🎉🎉🎉', 'plain-name.tar.gz'];
    const statuses = names.map((name, index) => status(name, index % 2 === 0 ? [progress(A)] : []));
    for (let columns = 1; columns <= 220; columns += 1) {
      for (const line of renderBars(statuses, columns)) {
        expect(displayWidth(line), `${columns} columns: ${line}`).toBeLessThan(Math.max(20, columns));
      }
    }
  });

  it('lines up the bars of torrents with names of different lengths', () => {
    const lines = renderBars([status('short', [progress(A)]), status('a-much-longer-name', [progress(A, { bytesDone: 0 })])], 120);
    expect(lines.map((line) => line.indexOf('['))).toEqual([19, 19]);
    expect(lines[0]).toMatch(/^short {14}\[/);
  });

  it('shows states without an ETA, and a full bar when done', () => {
    const [checking, seeding, failed] = renderBars([
      status('c', [{ type: 'state', infoHash: A, state: 'checking' }]),
      status('s', [{ type: 'done', infoHash: A, name: 's', received: 0, uploaded: 0, failed: 0, checked: 40, seconds: 0 },
        progress(A, { state: 'seeding', bytesDone: 40 * MiB, downRate: 0 })]),
      status('f', [progress(A), { type: 'error', infoHash: A, message: 'disk full', fatal: true }]),
    ], 140);
    expect(checking).toMatch(/\[░+\] +0\.0% .* checking$/);
    expect(checking).not.toMatch(/ETA/);
    expect(seeding).toMatch(/\[█+\] 100\.0% .* seeding$/);
    expect(seeding).not.toMatch(/ETA/);
    expect(failed).toMatch(/ error$/);
  });
});

describe('fitWidth', () => {
  it('pads, or cuts with an ellipsis, counting wide characters as two cells', () => {
    expect(fitWidth('abc', 5)).toBe('abc  ');
    expect(fitWidth('abcdefgh', 5)).toBe('abcd…');
    expect(fitWidth('日本語の名前', 7)).toBe('日本語…');
    expect(displayWidth(fitWidth('日本語の名前', 6))).toBe(6);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});

describe('createProgressView', () => {
  function scripted(columns = 120) {
    let output = '';
    let writes = 0;
    const view = createProgressView({
      torrents: [{ infoHash: A, name: 'alpha.iso' }, { infoHash: B, name: 'beta' }],
      write: (text) => {
        output += text;
        writes += 1;
      },
      columns: () => columns,
      start: 0,
    });
    return { view, screen: () => replay(output), writes: () => writes, output: () => output };
  }

  it('draws one bar per torrent and redraws them in place', () => {
    const { view, screen, output } = scripted();
    view.tick(0);
    expect(screen().lines).toEqual([expect.stringMatching(/^alpha\.iso .* starting$/), expect.stringMatching(/^beta .* starting$/)]);
    expect(screen().cursorHidden).toBe(true);
    view.update(progress(A), 100);
    view.update({ type: 'state', infoHash: B, state: 'checking' }, 150);
    view.tick(200);
    expect(output()).toContain('\u001b[2A\r');
    expect(screen().lines).toEqual([
      expect.stringMatching(/^alpha\.iso .* 50\.0% .* downloading$/),
      expect.stringMatching(/^beta .* checking$/),
    ]);
  });

  it('redraws at most once per 200 ms and only when something changed', () => {
    const { view, writes } = scripted();
    view.tick(0);
    expect(writes()).toBe(1);
    view.tick(1000);
    expect(writes()).toBe(1);
    for (const now of [1050, 1100, 1150, 1199]) {
      view.update(progress(A, { bytesDone: now * 1000 }), now);
      view.tick(now);
    }
    expect(writes()).toBe(2); // the frame at 1050; the rest fall inside its 200 ms
    view.tick(1250);
    expect(writes()).toBe(3); // the trailing change is drawn on the next tick
    view.tick(2000);
    expect(writes()).toBe(3);
    view.update(progress(A, { bytesDone: 1199 * 1000 }), 2100);
    view.tick(2200);
    expect(writes()).toBe(3); // an event that changes nothing on screen
  });

  it('prints errors, warnings and notes above the bars, each once', () => {
    const { view, screen } = scripted();
    view.tick(0);
    view.note('listening on port 6881');
    view.update({ type: 'warning', infoHash: A, message: 'tracker timed out' }, 10);
    view.update({ type: 'warning', infoHash: A, message: 'tracker timed out' }, 20);
    view.tick(300);
    view.update({ type: 'error', infoHash: B, message: 'disk full', fatal: true }, 400);
    view.tick(600);
    view.update(progress(A, { bytesDone: 30 * MiB }), 700);
    view.tick(800);
    expect(screen().lines).toEqual([
      'listening on port 6881',
      'alpha.iso: warning: tracker timed out',
      'beta: error: disk full',
      expect.stringMatching(/^alpha\.iso .* 75\.0% .* downloading$/),
      expect.stringMatching(/^beta .* error$/),
    ]);
  });

  it('finishes with a final frame, the summary and the cursor back, then stays silent', () => {
    const { view, screen, writes } = scripted(80);
    view.tick(0);
    view.update(progress(A), 50);
    view.update({ type: 'done', infoHash: A, name: 'alpha.iso', received: 40 * MiB, uploaded: MiB, failed: 0, checked: 0, seconds: 9 }, 60);
    view.finish(10_000);
    expect(screen()).toEqual({
      lines: [
        expect.stringMatching(/^alpha\.iso .*\[█+\] 100\.0% .* done$/),
        expect.stringMatching(/^beta .* starting$/),
        '1 done, 1 unfinished; received 40.0 MiB, uploaded 1.00 MiB in 10s',
      ],
      cursorHidden: false,
    });
    const after = writes();
    view.update(progress(B), 11_000);
    view.tick(12_000);
    view.finish(13_000);
    expect(writes()).toBe(after);
  });

  it('keeps escape codes of a hostile name out of the frame', () => {
    let output = '';
    const view = createProgressView({
      torrents: [{ infoHash: A, name: 'x\u001b[2J\u001b]0;pwned\u0007' }],
      write: (text) => {
        output += text;
      },
      columns: () => 100,
      start: 0,
    });
    view.tick(0);
    expect(output).not.toContain('\u001b[2J');
    expect(output).not.toContain('\u0007');
  });
});
