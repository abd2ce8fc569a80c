import { describe, expect, it } from 'vitest';
import type { TorrentEvent } from '../../src/client/torrent-events.js';
import { createJsonView, jsonLine } from '../../src/cli/json-view.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

const script: readonly TorrentEvent[] = [
  { type: 'state', infoHash: A, state: 'checking' },
  {
    type: 'progress', infoHash: A, name: 'alpha "quoted"\nname', state: 'downloading', piecesDone: 3, pieceCount: 10,
    bytesDone: 3 * 16_384, totalBytes: 163_840, received: 65_536, uploaded: 1024, failed: 16_384, checked: 1,
    downRate: 12_345.5, upRate: 0, peers: 4, seeds: 1,
  },
  { type: 'warning', infoHash: B, message: 'tracker said: "go away"' },
  { type: 'error', infoHash: B, message: 'disk full\u0000', fatal: true },
  { type: 'done', infoHash: A, name: 'alpha', received: 163_840, uploaded: 2048, failed: 16_384, checked: 1, seconds: 12.5 },
  { type: 'state', infoHash: A, state: 'seeding' },
];

function run(events: readonly TorrentEvent[]): string {
  let out = '';
  const view = createJsonView((text) => {
    out += text;
  });
  events.forEach((event, index) => view.update(event, index * 1000));
  return out;
}

describe('json view', () => {
  it('writes one line per event that parses back to the event', () => {
    const lines = run(script).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(script.length);
    expect(lines.map((line): unknown => JSON.parse(line))).toEqual(script);
  });

  it('every line has a type and an info hash', () => {
    for (const line of run(script).trimEnd().split('\n')) {
      expect(JSON.parse(line)).toEqual(expect.objectContaining({ type: expect.any(String), infoHash: expect.stringMatching(/^[ab]{40}$/) }));
    }
  });

  it('is the event serialised as it is, field for field', () => {
    expect(jsonLine({ type: 'error', infoHash: A, message: 'x', fatal: false }))
      .toBe(`{"type":"error","infoHash":"${A}","message":"x","fatal":false}\n`);
  });

  it('notes, ticks and the end write nothing, so stdout stays JSON Lines', () => {
    let out = '';
    const view = createJsonView((text) => {
      out += text;
    });
    view.note('listening on port 6881');
    view.tick(1000);
    view.finish(2000);
    expect(out).toBe('');
  });
});
