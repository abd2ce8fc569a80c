/**
 * No input crashes the metainfo parser: arbitrary bytes, and real torrents with bytes flipped,
 * cut or inserted, give either a `Metainfo` or a `MetainfoError`, never another throw.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetainfoError, parseMetainfo } from '../../src/metainfo/index.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 0) || 2000;
const sha1 = (data: Uint8Array): Uint8Array => createHash('sha1').update(data).digest();
const fixtures = fileURLToPath(new URL('../fixtures/metainfo/', import.meta.url));

function parsesOrTypedError(bytes: Uint8Array): 'ok' | 'error' {
  try {
    const meta = parseMetainfo(bytes, sha1);
    expect(meta.pieceHashes.length).toBe(meta.pieceCount);
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(MetainfoError);
    return 'error';
  }
}

describe('parseMetainfo on hostile input', () => {
  it('arbitrary bytes: a Metainfo or a MetainfoError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      parsesOrTypedError(bytes);
    }), { numRuns });
  });

  it('real torrents mutated (flipped, cut, inserted bytes): a Metainfo or a MetainfoError', async () => {
    const names = (await readdir(fixtures)).filter((name) => name.endsWith('.torrent'));
    expect(names.length).toBeGreaterThan(0);
    const torrents = await Promise.all(names.map(async (name) => new Uint8Array(await readFile(fixtures + name))));
    for (const torrent of torrents) expect(parsesOrTypedError(torrent)).toBe('ok');

    const mutation = fc.record({
      which: fc.nat(),
      at: fc.nat(),
      kind: fc.constantFrom('flip', 'cut', 'insert', 'truncate'),
      byte: fc.integer({ min: 0, max: 255 }),
      count: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      let bytes = torrents[(mutations[0]?.which ?? 0) % torrents.length] ?? new Uint8Array();
      for (const m of mutations) {
        const at = bytes.length === 0 ? 0 : m.at % bytes.length;
        const copy = Array.from(bytes);
        if (m.kind === 'flip') copy[at] = m.byte;
        else if (m.kind === 'cut') copy.splice(at, m.count);
        else if (m.kind === 'insert') copy.splice(at, 0, ...Array.from({ length: m.count }, () => m.byte));
        else copy.length = at;
        bytes = Uint8Array.from(copy);
      }
      parsesOrTypedError(bytes);
    }), { numRuns });
  });
});
