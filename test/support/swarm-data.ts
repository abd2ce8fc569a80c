/**
 * Deterministic test payloads for swarms of real clients: `makeSwarmData` writes files of
 * pseudo-random bytes (AES-128-CTR over zeros, keyed by the seed and the file's path, streamed in
 * 1 MiB chunks, so a GiB costs no GiB of memory and the same seed gives the same bytes on every
 * machine); `hashTree` and `sameBytes` compare what a download produced with the source.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { once } from 'node:events';

export interface SwarmFile {
  /** Relative path below `dir`, with `/` separators (`set/sub/b.bin`). */
  readonly path: string;
  readonly size: number;
}

export interface SwarmDataOptions {
  readonly files: readonly SwarmFile[];
  /** Any string or number; the same seed and path always give the same content. */
  readonly seed: string | number;
}

const CHUNK = 1 << 20;
const ZEROS = Buffer.alloc(CHUNK);

/** The cipher that generates `path`'s bytes: key and IV from SHA-256 of seed and path. */
function keystream(seed: string | number, path: string): ReturnType<typeof createCipheriv> {
  const digest = createHash('sha256').update(`rxtorrent-swarm-data\0${String(seed)}\0${path}`).digest();
  return createCipheriv('aes-128-ctr', digest.subarray(0, 16), digest.subarray(16, 32));
}

function checkPath(path: string): void {
  if (path.length === 0 || path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`swarm file path must be relative and plain: ${JSON.stringify(path)}`);
  }
}

/** Writes every file below `dir` (creating folders) and resolves with their absolute paths. */
export async function makeSwarmData(dir: string, options: SwarmDataOptions): Promise<string[]> {
  const written: string[] = [];
  for (const file of options.files) {
    checkPath(file.path);
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw new Error(`bad size for ${file.path}: ${file.size}`);
    const target = join(dir, ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    const cipher = keystream(options.seed, file.path);
    const out = createWriteStream(target);
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    for (let done = 0; done < file.size; done += CHUNK) {
      const chunk = cipher.update(ZEROS.subarray(0, Math.min(CHUNK, file.size - done)));
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
    }
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
    written.push(target);
  }
  return written;
}

/** SHA-1 of one file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    if (Buffer.isBuffer(chunk)) hash.update(chunk);
  }
  return hash.digest('hex');
}

/** Every regular file below `dir` as `{ "a/b.bin": "<sha1 hex>" }`, keys sorted, `/` separators. */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
  const tree: Record<string, string> = {};
  for (const path of files) tree[path] = await hashFile(join(dir, ...path.split('/')));
  return tree;
}

/**
 * Whether each of `paths` (relative, `/` separators) exists below both folders with the same
 * size and bytes. Resolves with the paths that differ or are missing — empty when all match.
 */
export async function differingPaths(dirA: string, dirB: string, paths: readonly string[]): Promise<string[]> {
  const differing: string[] = [];
  for (const path of paths) {
    const a = join(dirA, ...path.split('/'));
    const b = join(dirB, ...path.split('/'));
    const [sizeA, sizeB] = await Promise.all([fileSize(a), fileSize(b)]);
    if (sizeA === undefined || sizeA !== sizeB || (await hashFile(a)) !== (await hashFile(b))) differing.push(path);
  }
  return differing;
}

/** True when every one of `paths` has identical bytes below `dirA` and `dirB`. */
export async function sameBytes(dirA: string, dirB: string, paths: readonly string[]): Promise<boolean> {
  return (await differingPaths(dirA, dirB, paths)).length === 0;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}
