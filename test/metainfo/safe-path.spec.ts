import { describe, it, expect } from 'vitest';
import { safePath } from '../../src/metainfo/index.js';

describe('safePath', () => {
  it.each([
    [[], 'empty-path'],
    [[''], 'empty-segment'],
    [['a', ''], 'empty-segment'],
    [['.'], 'dot-segment'],
    [['..'], 'dot-segment'],
    [['a', '..', 'b'], 'dot-segment'],
    [['/abs'], 'separator'],
    [['a/b'], 'separator'],
    [['a\\b'], 'separator'],
    [['\\\\server\\share'], 'separator'],
    [['a\u0000'], 'nul'],
    [['C:'], 'drive-prefix'],
    [['z:file'], 'drive-prefix'],
    [['ok', 'D:x'], 'drive-prefix'],
  ])('rejects %j (%s)', (segments, reason) => {
    expect(safePath(segments)).toEqual({ ok: false, reason });
  });

  it.each([
    [['plain.txt'], ['plain.txt']],
    [['.hidden', '...', 'a..b'], ['.hidden', '___', 'a..b']],
    [['ab:c', 'x<y>z', 'q"|?*'], ['ab_c', 'x_y_z', 'q____']],
    [['ctrl\u0001\u001f\u007f'], ['ctrl___']],
    [['dot.', 'space ', 'both. .'], ['dot_', 'space_', 'both___']],
    [['CON', 'nul.txt', 'Com1', 'LPT9.tar.gz', 'console', 'COM10'], ['_CON', '_nul.txt', '_Com1', '_LPT9.tar.gz', 'console', 'COM10']],
    [['日本語', 'émoji 🎉'], ['日本語', 'émoji 🎉']],
  ])('sanitises %j', (segments, expected) => {
    expect(safePath(segments)).toEqual({ ok: true, segments: expected });
  });
});
