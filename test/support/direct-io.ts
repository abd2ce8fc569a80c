import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DIRECT_ALIGNMENT, allocateAligned } from '../../src/io/aligned-memory.js';

/** Writes `data` to a new file `path` opened with O_DIRECT: 'ok', or the error's code. */
export async function tryDirectWrite(path: string, data: Uint8Array): Promise<string> {
  try {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | (constants.O_DIRECT ?? 0));
    try {
      await handle.write(data, 0, data.length, 0);
      return 'ok';
    } finally {
      await handle.close();
    }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

/** Whether the file system under `parent` takes O_DIRECT writes (ext4 and tmpfs do; some overlays not). */
export async function directIoWorks(parent: string): Promise<boolean> {
  if (constants.O_DIRECT === undefined) return false;
  const dir = await mkdtemp(join(parent, 'direct-probe-'));
  try {
    return await tryDirectWrite(join(dir, 'probe'), allocateAligned(DIRECT_ALIGNMENT)) === 'ok';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Bytes of `file` in the page cache, as `fincore` (util-linux) reports them. */
export function cachedBytes(file: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' }).trim());
}
