/** Why a path was refused before it reached the file system. */
export type UnsafeStoragePathReason = 'empty-path' | 'bad-segment' | 'escapes-root' | 'symlink';

/** Every way a disk pool request can fail. `path` is the file's full path (or, when refused, the joined segments). */
export type DiskErrorDetail =
  /** An I/O error that retrying did not cure (or one not worth retrying); `code` is Node's errno name. */
  | { readonly kind: 'io'; readonly code: string; readonly path: string; readonly attempts: number }
  /** ENOSPC (or EDQUOT): never retried, the user has to make room. */
  | { readonly kind: 'disk-full'; readonly path: string }
  /** A path that would leave the download folder: `..`, absolute, or through a symbolic link. */
  | { readonly kind: 'outside-root'; readonly root: string; readonly path: string; readonly reason: UnsafeStoragePathReason }
  /** A read of bytes that are not there: the file is missing or shorter than the request. */
  | { readonly kind: 'missing-data'; readonly path: string; readonly offset: number; readonly length: number; readonly got: number }
  /** A segment that does not fit in its file (a caller bug). */
  | { readonly kind: 'out-of-range'; readonly path: string; readonly offset: number; readonly length: number; readonly fileLength: number }
  /** The pool was closed before the request ran. */
  | { readonly kind: 'closed' };

function describe(detail: DiskErrorDetail): string {
  switch (detail.kind) {
    case 'io':
      return `disk: ${detail.code} on ${detail.path} (after ${detail.attempts} attempt${detail.attempts === 1 ? '' : 's'})`;
    case 'disk-full':
      return `disk: no space left for ${detail.path}`;
    case 'outside-root':
      return `disk: refused ${JSON.stringify(detail.path)}, it would leave ${detail.root} (${detail.reason})`;
    case 'missing-data':
      return `disk: ${detail.path} has ${detail.got} of ${detail.length} bytes at offset ${detail.offset}`;
    case 'out-of-range':
      return `disk: ${detail.length} bytes at offset ${detail.offset} do not fit in ${detail.path} (${detail.fileLength} bytes)`;
    case 'closed':
      return 'disk: pool closed';
  }
}

export class DiskError extends Error {
  override readonly name = 'DiskError';

  constructor(readonly detail: DiskErrorDetail) {
    super(describe(detail));
  }
}

/** Node's errno name of a thrown error (`'EIO'`), if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'string' ? code : undefined;
}
