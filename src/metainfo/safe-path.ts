/**
 * File paths from a torrent are hostile until checked. `safePath` turns the path segments of one
 * file (or the torrent's `name`) into segments that are safe to join below a download folder.
 *
 * Rejected (the torrent is refused with `unsafe-path`):
 * - an empty path (no segments), or an empty segment;
 * - a segment that is `.` or `..`;
 * - a segment containing `/` or `\` (a separator, which also covers absolute paths) or NUL;
 * - a segment starting with a Windows drive prefix (`C:`, `c:foo`).
 *
 * Sanitised (harmless oddities, replaced so the file can exist on any OS):
 * - characters illegal on Windows, `< > : " | ? *`, become `_`;
 * - control characters (U+0001–U+001F and U+007F) become `_`;
 * - trailing dots and spaces become `_` (Windows strips them, which could merge two names);
 * - Windows reserved device names (`CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`,
 *   any case, with or without an extension) get a `_` prefix: `con.txt` → `_con.txt`.
 *
 * Not handled here: names longer than the file system allows (the write fails with an I/O
 * error) and names that differ only in case (distinct on Linux, one file on Windows/macOS).
 */
export function safePath(segments: readonly string[]): SafePathResult {
  if (segments.length === 0) return { ok: false, reason: 'empty-path' };
  const out: string[] = [];
  for (const segment of segments) {
    const reason = unsafeReason(segment);
    if (reason !== undefined) return { ok: false, reason };
    out.push(sanitiseSegment(segment));
  }
  return { ok: true, segments: out };
}

export type UnsafePathReason =
  | 'empty-path'
  | 'empty-segment'
  | 'dot-segment'
  | 'separator'
  | 'nul'
  | 'drive-prefix';

export type SafePathResult =
  | { readonly ok: true; readonly segments: readonly string[] }
  | { readonly ok: false; readonly reason: UnsafePathReason };

const DRIVE_PREFIX = /^[A-Za-z]:/;
const RESERVED_NAME = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;
const ILLEGAL_CHARS = /[<>:"|?*\u0001-\u001f\u007f]/g;
const TRAILING_DOTS_SPACES = /[. ]+$/;

function unsafeReason(segment: string): UnsafePathReason | undefined {
  if (segment.length === 0) return 'empty-segment';
  if (segment === '.' || segment === '..') return 'dot-segment';
  if (segment.includes('\u0000')) return 'nul';
  if (segment.includes('/') || segment.includes('\\')) return 'separator';
  if (DRIVE_PREFIX.test(segment)) return 'drive-prefix';
  return undefined;
}

/** Applies the sanitising rules above to one segment that passed the safety checks. */
export function sanitiseSegment(segment: string): string {
  let out = segment.replace(ILLEGAL_CHARS, '_');
  out = out.replace(TRAILING_DOTS_SPACES, (tail) => '_'.repeat(tail.length));
  if (RESERVED_NAME.test(out)) out = `_${out}`;
  return out;
}
