import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DIRECT_ALIGNMENT, allocateAligned } from '../../src/io/aligned-memory.js';

/** Whether the file system under `parent` takes O_DIRECT writes (ext4 and tmpfs do; some overlays not). */
export async function directIoWorks(parent: string): Promise<boolean> {
  if (constants.O_DIRECT === undefined) return false;
  const dir = await mkdtemp(join(parent, 'direct-probe-'));
  try {
    const handle = await open(join(dir, 'probe'), constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT);
    try {
      await handle.write(allocateAligned(DIRECT_ALIGNMENT), 0, DIRECT_ALIGNMENT, 0);
      return true;
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Bytes of `file` in the page cache, as `fincore` (util-linux) reports them. */
export function cachedBytes(file: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' }).trim());
}
