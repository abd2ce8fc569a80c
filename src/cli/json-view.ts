/**
 * `--json`: every torrent event as one line of JSON on stdout, the event object exactly as the
 * client emitted it (`type`, `infoHash`, and the fields of `TorrentEvent`), so a consumer parses
 * each line back into the same union: `progress`, `state`, `done`, `warning`, `error`.
 */
import type { TorrentEvent } from '../client/torrent-events.js';
import type { EventView } from './plain-view.js';

/** One event as one line (JSON escapes newlines inside strings, so a line is always one event). */
export function jsonLine(event: TorrentEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** Events only: notes, ticks and the end add nothing, so stdout stays a clean JSON Lines stream. */
export function createJsonView(write: (text: string) => void): EventView {
  return {
    update(event) {
      write(jsonLine(event));
    },
    note() {},
    tick() {},
    finish() {},
  };
}
