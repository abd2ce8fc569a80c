import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { fileRangeToPieces, pieceLength, pieceSegments } from '../../src/metainfo/index.js';
import { layout } from './layout-fixture.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 0) || 300;
const timeout = Math.max(60_000, numRuns * 5);

describe('file layout properties', () => {
  const fileSpecs = fc.array(
    fc.record({ length: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 51, max: 400 })), pad: fc.boolean() }),
    { minLength: 1, maxLength: 12 },
  );

  it('tiles every non-pad byte exactly once (property)', () => {
    fc.assert(
      fc.property(fileSpecs, fc.integer({ min: 1, max: 70 }), (specs, pieceLen) => {
        const m = layout(specs, pieceLen);
        fc.pre(m.totalLength > 0);
        const covered = new Uint8Array(m.totalLength);
        const problems: string[] = [];
        for (let piece = 0; piece < m.pieceCount; piece += 1) {
          const length = pieceLength(m, piece);
          let lastEnd = 0;
          for (const segment of pieceSegments(m, piece)) {
            const file = m.files[segment.fileIndex];
            if (file === undefined || file.pad || segment.length <= 0) problems.push(`bad segment ${JSON.stringify(segment)}`);
            if (file === undefined) continue;
            if (segment.pieceOffset < lastEnd) problems.push(`overlap in piece ${piece}`);
            if (segment.pieceOffset + segment.length > length) problems.push(`past piece ${piece}`);
            if (segment.fileOffset + segment.length > file.length) problems.push(`past file ${segment.fileIndex}`);
            const absolute = file.offset + segment.fileOffset;
            if (absolute !== piece * pieceLen + segment.pieceOffset) problems.push(`misplaced in piece ${piece}`);
            for (let i = 0; i < segment.length; i += 1) covered[absolute + i] = (covered[absolute + i] ?? 0) + 1;
            lastEnd = segment.pieceOffset + segment.length;
          }
        }
        const expected = new Uint8Array(m.totalLength);
        for (const file of m.files) expected.fill(file.pad ? 0 : 1, file.offset, file.offset + file.length);
        expect(problems).toEqual([]);
        expect(covered).toEqual(expected);
      }),
      { numRuns },
    );
  }, timeout);

  it('fileRangeToPieces agrees with pieceSegments (property)', () => {
    fc.assert(
      fc.property(fileSpecs, fc.integer({ min: 1, max: 70 }), (specs, pieceLen) => {
        const m = layout(specs, pieceLen);
        fc.pre(m.totalLength > 0);
        m.files.forEach((file, fileIndex) => {
          if (file.pad) return;
          const { first, last } = fileRangeToPieces(m, fileIndex);
          const touching: number[] = [];
          for (let piece = 0; piece < m.pieceCount; piece += 1) {
            if (pieceSegments(m, piece).some((segment) => segment.fileIndex === fileIndex)) touching.push(piece);
          }
          const expected = first <= last ? Array.from({ length: last - first + 1 }, (_, i) => first + i) : [];
          expect(touching).toEqual(expected);
        });
      }),
      { numRuns },
    );
  }, timeout);
});
