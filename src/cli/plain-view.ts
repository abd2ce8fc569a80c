/**
 * The human text of torrent events, and the view for a stderr that is not a terminal (a log, a
 * pipe, CI): one line per torrent every few seconds, one line on done or error, a summary at
 * the end. `--quiet` keeps only the errors and the summary.
 *
 * Views are pure over events: they keep what they saw in a `TorrentStatus` per torrent, take the
 * time as an argument and write text through `write`, so a spec scripts events and timestamps.
 * The TTY view (`progress-view.ts`) shares the status and the formatting kept here.
 */
import type { TorrentEvent, TorrentProgress, TorrentState } from '../client/torrent-events.js';
import { formatBytes } from './format.js';

/** What a view is told about each torrent before its first event (the metainfo's name). */
export interface TorrentLabel {
  readonly infoHash: string;
  readonly name: string;
}

/** What the views show: the engine's state, plus `starting` (no event yet), `done` and `error`. */
export type DisplayState = TorrentState | 'starting' | 'done';

/** Everything a view remembers of one torrent. */
export interface TorrentStatus {
  readonly infoHash: string;
  readonly name: string;
  readonly engineState: TorrentState | undefined;
  readonly progress: TorrentProgress | undefined;
  /** A `done` event arrived. */
  readonly finished: boolean;
  /** Seconds from start to done, from the `done` event. */
  readonly seconds: number | undefined;
  readonly received: number;
  readonly uploaded: number;
  /** The message of a fatal error: the torrent has stopped. */
  readonly fatal: string | undefined;
}

export function initialStatus(label: TorrentLabel): TorrentStatus {
  return {
    infoHash: label.infoHash, name: label.name, engineState: undefined, progress: undefined,
    finished: false, seconds: undefined, received: 0, uploaded: 0, fatal: undefined,
  };
}

/** The status after one event of its torrent. */
export function applyEvent(status: TorrentStatus, event: TorrentEvent): TorrentStatus {
  switch (event.type) {
    case 'state':
      return { ...status, engineState: event.state };
    case 'progress':
      return { ...status, progress: event, engineState: event.state, received: event.received, uploaded: event.uploaded };
    case 'done':
      return { ...status, finished: true, seconds: event.seconds, received: event.received, uploaded: event.uploaded };
    case 'warning':
    case 'peer-closed':
      return status;
    case 'error':
      return event.fatal ? { ...status, fatal: event.message } : status;
  }
}

/** A fatal error wins; after `done` a torrent shows `done` unless it goes on seeding or pauses. */
export function displayState(status: TorrentStatus): DisplayState {
  if (status.fatal !== undefined) return 'error';
  const state = status.engineState;
  if (status.finished && state !== 'seeding' && state !== 'paused') return 'done';
  return state ?? 'starting';
}

/** Share of the bytes verified on disk, 0..1. */
export function fractionDone(status: TorrentStatus): number {
  if (status.finished) return 1;
  const progress = status.progress;
  if (progress === undefined) return 0;
  if (progress.totalBytes <= 0) return 1;
  return Math.min(1, Math.max(0, progress.bytesDone / progress.totalBytes));
}

/** `42.3%`; 100% only when everything is there. */
export function formatPercent(fraction: number): string {
  const tenths = Math.floor(fraction * 1000);
  return `${(tenths / 10).toFixed(1)}%`;
}

/** `1.20 MiB/s`; `0 B/s` for idle, negative or non-finite rates. */
export function formatRate(bytesPerSecond: number): string {
  const rate = Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? Math.round(bytesPerSecond) : 0;
  return `${formatBytes(rate)}/s`;
}

/** `45s`, `3m05s`, `2h03m`, `3d04h`; rounded up, so `0s` means nothing is left. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds));
  const two = (value: number): string => String(value).padStart(2, '0');
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${two(total % 60)}s`;
  if (total < 86_400) return `${Math.floor(total / 3600)}h${two(Math.floor(total / 60) % 60)}m`;
  if (total < 100 * 86_400) return `${Math.floor(total / 86_400)}d${two(Math.floor(total / 3600) % 24)}h`;
  return '>99d';
}

/** Time left at the current download rate: `--` when nothing arrives, empty when not downloading. */
export function formatEta(status: TorrentStatus): string {
  const progress = status.progress;
  if (displayState(status) !== 'downloading' || progress === undefined) return '';
  const left = progress.totalBytes - progress.bytesDone;
  if (!(progress.downRate > 0) || !Number.isFinite(progress.downRate)) return '--';
  return formatDuration(left / progress.downRate);
}

/** Removes control characters (a torrent name or a tracker message could move the cursor). */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** `ubuntu.iso: downloading 42.3% of 2.80 GiB, ↓ 1.20 MiB/s ↑ 300 KiB/s, 12 peers, ETA 3m05s` */
export function progressLine(status: TorrentStatus): string {
  const state = displayState(status);
  const progress = status.progress;
  const parts = [`${printable(status.name)}: ${state} ${formatPercent(fractionDone(status))}` +
    (progress === undefined ? '' : ` of ${formatBytes(progress.totalBytes)}`)];
  if (progress !== undefined) {
    parts.push(`↓ ${formatRate(progress.downRate)} ↑ ${formatRate(progress.upRate)}`, `${progress.peers} peers`);
  }
  const eta = formatEta(status);
  if (eta !== '') parts.push(`ETA ${eta}`);
  return parts.join(', ');
}

export function doneLine(status: TorrentStatus): string {
  const took = status.seconds === undefined ? '' : ` in ${formatDuration(status.seconds)}`;
  return `${printable(status.name)}: done${took}, received ${formatBytes(status.received)}, ` +
    `uploaded ${formatBytes(status.uploaded)}`;
}

/** `2 done, 1 failed; received 1.20 GiB, uploaded 3.00 MiB in 4m03s` */
export function summaryLine(statuses: readonly TorrentStatus[], seconds: number): string {
  const count = (state: DisplayState): number => statuses.filter((s) => displayState(s) === state).length;
  const done = statuses.filter((s) => s.finished && s.fatal === undefined).length;
  const failed = count('error');
  const unfinished = statuses.length - done - failed;
  const counts = [`${done} done`];
  if (failed > 0) counts.push(`${failed} failed`);
  if (unfinished > 0) counts.push(`${unfinished} unfinished`);
  const received = statuses.reduce((sum, s) => sum + s.received, 0);
  const uploaded = statuses.reduce((sum, s) => sum + s.uploaded, 0);
  return `${counts.join(', ')}; received ${formatBytes(received)}, uploaded ${formatBytes(uploaded)} ` +
    `in ${formatDuration(seconds)}`;
}

export interface PlainViewOptions {
  readonly torrents: readonly TorrentLabel[];
  readonly write: (text: string) => void;
  /** The time the run started, in ms (for the summary). */
  readonly start: number;
  /** Least ms between two progress lines of one torrent; default 5000. */
  readonly interval?: number;
  /** Only errors and the summary. */
  readonly quiet?: boolean;
}

/** The views' common shape: events in, text out through `write`. Times are in ms. */
export interface EventView {
  update(event: TorrentEvent, now: number): void;
  /** A line that is not an event (listening port, stopping). */
  note(message: string): void;
  /** Called a few times a second; a view that redraws does it here. */
  tick(now: number): void;
  /** The last output: a final redraw, the summary. */
  finish(now: number): void;
}

export function createPlainView(options: PlainViewOptions): EventView {
  const interval = options.interval ?? 5000;
  const quiet = options.quiet === true;
  const statuses = new Map(options.torrents.map((label) => [label.infoHash, initialStatus(label)]));
  const lastLineAt = new Map<string, number>();
  const lastWarning = new Map<string, string>();
  const line = (text: string): void => options.write(`${text}\n`);

  return {
    update(event, now) {
      const before = statuses.get(event.infoHash) ?? initialStatus({ infoHash: event.infoHash, name: event.infoHash });
      const status = applyEvent(before, event);
      statuses.set(event.infoHash, status);
      switch (event.type) {
        case 'progress': {
          const last = lastLineAt.get(event.infoHash);
          if (quiet || (last !== undefined && now - last < interval)) return;
          lastLineAt.set(event.infoHash, now);
          line(progressLine(status));
          return;
        }
        case 'done':
          lastLineAt.set(event.infoHash, now);
          if (!quiet) line(doneLine(status));
          return;
        case 'error':
          if (event.fatal) line(`${printable(status.name)}: error: ${printable(event.message)}`);
          else if (!quiet) line(`${printable(status.name)}: warning: ${printable(event.message)}`);
          return;
        case 'warning':
          // Trackers repeat their complaints on every retry; one line per new message.
          if (quiet || lastWarning.get(event.infoHash) === event.message) return;
          lastWarning.set(event.infoHash, event.message);
          line(`${printable(status.name)}: warning: ${printable(event.message)}`);
          return;
        case 'state':
        case 'peer-closed':
          return;
      }
    },
    note(message) {
      if (!quiet) line(printable(message));
    },
    tick() {},
    finish(now) {
      line(summaryLine([...statuses.values()], (now - options.start) / 1000));
    },
  };
}
