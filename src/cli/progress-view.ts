/**
 * The terminal view: one bar per torrent, redrawn in place at most every `minInterval` ms,
 * with errors, warnings and notes printed above the bars.
 *
 *   ubuntu.iso   [██████░░░░░░░░░░]  42.3%  1.20 MiB/s   300 KiB/s  12 peers  ETA 3m05s  downloading
 *
 * Hand-written rather than `cli-progress`: the frame is a pure function of the statuses and the
 * width (a spec renders it into a string with a fake `columns`), the redraw runs off our own
 * tick instead of the library's timer, and the signals stay ours (its `gracefulExit` installs
 * SIGINT/SIGTERM handlers of its own). The ANSI part is three escape codes.
 */
import type { TorrentEvent } from '../client/torrent-events.js';
import type { EventView, TorrentLabel, TorrentStatus } from './plain-view.js';
import {
  applyEvent, displayState, formatEta, formatPercent, formatRate, fractionDone, initialStatus, printable, summaryLine,
} from './plain-view.js';

const ESC = '\u001b[';
const CLEAR_LINE = `${ESC}K`;
const CLEAR_DOWN = `${ESC}J`;
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const up = (lines: number): string => (lines > 0 ? `${ESC}${lines}A` : '');

type Field = 'bar' | 'percent' | 'down' | 'up' | 'peers' | 'eta' | 'state';

/** From the richest to the barest; the first layout whose bar gets `MIN_BAR` cells is drawn. */
const LAYOUTS: readonly (readonly Field[])[] = [
  ['bar', 'percent', 'down', 'up', 'peers', 'eta', 'state'],
  ['bar', 'percent', 'down', 'eta', 'state'],
  ['bar', 'percent', 'state'],
  ['percent', 'state'],
];
const MIN_BAR = 10;
const MAX_BAR = 40;
const MIN_NAME = 8;
const MAX_NAME = 28;
const STATE_WIDTH = 11;

/** A field's text padded to its column, so that the bars of several torrents line up. */
function fieldText(field: Exclude<Field, 'bar'>, status: TorrentStatus): string {
  const progress = status.progress;
  switch (field) {
    case 'percent':
      return formatPercent(fractionDone(status)).padStart(6);
    case 'down':
      return `↓${formatRate(progress?.downRate ?? 0).padStart(11)}`;
    case 'up':
      return `↑${formatRate(progress?.upRate ?? 0).padStart(11)}`;
    case 'peers':
      return `${String(progress?.peers ?? 0).padStart(3)} peers`;
    case 'eta': {
      const eta = formatEta(status);
      return eta === '' ? ' '.repeat(10) : `ETA ${eta.padStart(6)}`;
    }
    case 'state':
      return displayState(status).padEnd(STATE_WIDTH);
  }
}

/** `[█████░░░░░]` with `width` cells inside the brackets. */
export function renderBar(fraction: number, width: number): string {
  const filled = Math.min(width, Math.max(0, Math.floor(fraction * width)));
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/**
 * The lines of one frame, each at most `columns - 1` cells wide (a line that wraps would break
 * the redraw in place). Names share one column (at most a fifth of the width); the bar takes
 * what is left, up to 40 cells.
 */
export function renderBars(statuses: readonly TorrentStatus[], columns: number): string[] {
  const width = Math.max(20, columns) - 1;
  const longest = Math.max(0, ...statuses.map((s) => displayWidth(printable(s.name))));
  const nameWidth = Math.max(MIN_NAME, Math.min(longest, MAX_NAME, Math.floor(width / 5)));
  return statuses.map((status) => {
    const name = fitWidth(printable(status.name), nameWidth);
    for (const layout of LAYOUTS) {
      const texts = layout.filter((field) => field !== 'bar').map((field) => fieldText(field, status));
      const tail = texts.join(' ');
      if (!layout.includes('bar')) return fitWidth(`${name} ${tail}`, width).trimEnd();
      const room = width - nameWidth - 1 - 2 - 1 - displayWidth(tail);
      if (room >= MIN_BAR) {
        return `${name} ${renderBar(fractionDone(status), Math.min(MAX_BAR, room))} ${tail}`.trimEnd();
      }
    }
    return name;
  });
}

/**
 * The text that replaces the previous frame of `previousLines` lines: back to its first line,
 * the log lines (which scroll up and stay), then the bars, each line cleared to its end.
 */
export function renderFrame(previousLines: number, log: readonly string[], bars: readonly string[]): string {
  const rewind = previousLines > 0 ? `${up(previousLines)}\r` : HIDE_CURSOR;
  const body = [...log, ...bars].map((line) => `${line}${CLEAR_LINE}\n`).join('');
  return `${rewind}${body}${CLEAR_DOWN}`;
}

export interface ProgressViewOptions {
  readonly torrents: readonly TorrentLabel[];
  readonly write: (text: string) => void;
  /** The terminal's width, asked at every frame (it can change). */
  readonly columns: () => number;
  readonly start: number;
  /** Least ms between two frames; default 200 (5 per second). */
  readonly minInterval?: number;
}

export function createProgressView(options: ProgressViewOptions): EventView {
  const minInterval = options.minInterval ?? 200;
  const statuses = new Map(options.torrents.map((label) => [label.infoHash, initialStatus(label)]));
  const lastWarning = new Map<string, string>();
  let log: string[] = [];
  let drawnLines = 0;
  let drawnAt: number | undefined;
  let dirty = true;
  let finished = false;

  let drawnBars: readonly string[] = [];

  const draw = (now: number): void => {
    const bars = renderBars([...statuses.values()], options.columns());
    const columns = Math.max(20, options.columns()) - 1;
    const logLines = log.map((line) => fitWidth(line, columns).trimEnd());
    const same = drawnAt !== undefined && logLines.length === 0 && bars.join('\n') === drawnBars.join('\n');
    if (!same) options.write(renderFrame(drawnLines, logLines, bars));
    log = [];
    drawnBars = bars;
    drawnLines = bars.length;
    drawnAt = now;
    dirty = false;
  };

  return {
    update(event: TorrentEvent) {
      const before = statuses.get(event.infoHash) ?? initialStatus({ infoHash: event.infoHash, name: event.infoHash });
      const status = applyEvent(before, event);
      statuses.set(event.infoHash, status);
      dirty = true;
      const name = printable(status.name);
      if (event.type === 'error') {
        log.push(`${name}: ${event.fatal ? 'error' : 'warning'}: ${printable(event.message)}`);
      } else if (event.type === 'warning' && lastWarning.get(event.infoHash) !== event.message) {
        lastWarning.set(event.infoHash, event.message);
        log.push(`${name}: warning: ${printable(event.message)}`);
      }
    },
    note(message) {
      log.push(printable(message));
      dirty = true;
    },
    tick(now) {
      if (finished || !dirty || (drawnAt !== undefined && now - drawnAt < minInterval)) return;
      draw(now);
    },
    finish(now) {
      if (finished) return;
      finished = true;
      draw(now);
      options.write(`${summaryLine([...statuses.values()], (now - options.start) / 1000)}\n${SHOW_CURSOR}`);
    },
  };
}

/** Terminal cells of a string: wide East Asian characters and emoji take two, combining marks none. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char.codePointAt(0) ?? 0);
  return width;
}

/** Cuts `text` to `width` cells (ending in `…` when cut) and pads it to exactly that width. */
export function fitWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text + ' '.repeat(width - displayWidth(text));
  let out = '';
  let used = 0;
  for (const char of text) {
    const cells = charWidth(char.codePointAt(0) ?? 0);
    if (used + cells > width - 1) break;
    out += char;
    used += cells;
  }
  return `${out}…${' '.repeat(Math.max(0, width - 1 - used))}`;
}

function charWidth(code: number): number {
  if ((code >= 0x300 && code <= 0x36f) || (code >= 0x200b && code <= 0x200f) || (code >= 0xfe00 && code <= 0xfe0f)) return 0;
  const wide =
    (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) || (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd);
  return wide ? 2 : 1;
}
