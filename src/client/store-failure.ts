/**
 * What a failed disk operation means for a torrent, read from the typed error's `detail.kind`
 * (the disk pool's `DiskError`) without depending on the I/O layer:
 * - `disk-full`: pause, and try again after a back-off (the user may free space);
 * - `refused`: a path that would leave the download folder: fatal for the torrent;
 * - `missing`: data that should be on disk is not (a file deleted or truncated): check again;
 * - `other`: anything else (EIO after retries, …): report it, the piece goes back to the picker.
 */
export type StoreFailure = 'disk-full' | 'refused' | 'missing' | 'other';

export function classifyStoreFailure(error: unknown): StoreFailure {
  switch (detailKind(error)) {
    case 'disk-full':
      return 'disk-full';
    case 'outside-root':
      return 'refused';
    case 'missing-data':
    case 'out-of-range':
      return 'missing';
    default:
      return 'other';
  }
}

function detailKind(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('detail' in error)) return undefined;
  const { detail } = error;
  if (typeof detail !== 'object' || detail === null || !('kind' in detail)) return undefined;
  return typeof detail.kind === 'string' ? detail.kind : undefined;
}
