/**
 * The demo's sample content: a folder of a few files of varied sizes (one in a sub-folder, an
 * odd total length) whose bytes are an AES-128-CTR keystream keyed by the file's path, so the
 * same size gives the same bytes on every machine. Writing streams 1 MiB chunks (no file is ever
 * held in memory) and hashes them with SHA-256 on the way; `verifyDemoData` hashes what a
 * download produced and compares.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface DemoFile {
  /** Below the content folder, joined with `/`. */
  readonly path: string;
  readonly length: number;
}

export interface WrittenFile extends DemoFile {
  /** SHA-256, lowercase hex. */
  readonly sha256: string;
}

/** What a check of one downloaded file found wrong. */
export type DemoMismatch =
  | { readonly kind: 'missing'; readonly path: string }
  | { readonly kind: 'wrong-length'; readonly path: string; readonly length: number; readonly expected: number }
  | { readonly kind: 'wrong-bytes'; readonly path: string };

export function describeMismatch(mismatch: DemoMismatch): string {
  switch (mismatch.kind) {
    case 'missing':
      return `${mismatch.path} is missing from the download`;
    case 'wrong-length':
      return `${mismatch.path} has ${mismatch.length} bytes, expected ${mismatch.expected}`;
    case 'wrong-bytes':
      return `${mismatch.path} differs from the sample data (SHA-256)`;
  }
}

export const DEMO_NAME = 'rxtorrent-demo';

const CHUNK = 1 << 20;
const ZEROS = Buffer.alloc(CHUNK);
/** Smaller than any piece, odd, so the last piece ends mid-file and the total is odd. */
const NOTES_LENGTH = 4_097;

/**
 * The files for about `mebibytes` MiB: most bytes in one big file, a third in a sub-folder, a
 * smaller one, and a short odd-length one last. The total is odd.
 */
export function demoLayout(mebibytes: number): DemoFile[] {
  const target = Math.max(Math.round(mebibytes * CHUNK), 4 * NOTES_LENGTH);
  const even = target - NOTES_LENGTH;
  const rest = even - (even % 2);
  const big = Math.floor(rest * 0.55);
  const medium = Math.floor(rest * 0.3);
  return [
    { path: 'video.bin', length: big },
    { path: 'photos/holiday.bin', length: medium },
    { path: 'music.bin', length: rest - big - medium },
    { path: 'notes.txt', length: NOTES_LENGTH },
  ];
}

/** Writes `files` below `root`, checking `signal` between chunks; resolves with their hashes. */
export async function writeDemoData(root: string, files: readonly DemoFile[], signal: AbortSignal): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  for (const file of files) {
    const target = join(root, ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    const cipher = keystream(file.path);
    const hash = createHash('sha256');
    const out = createWriteStream(target);
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    try {
      for (let done = 0; done < file.length; done += CHUNK) {
        signal.throwIfAborted();
        const chunk = cipher.update(ZEROS.subarray(0, Math.min(CHUNK, file.length - done)));
        hash.update(chunk);
        if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
      }
      out.end();
      await Promise.race([once(out, 'finish'), failed]);
    } finally {
      out.destroy();
    }
    written.push({ ...file, sha256: hash.digest('hex') });
  }
  return written;
}

/** Hashes every file below `root` and lists what differs from `expected` (empty: identical). */
export async function verifyDemoData(
  root: string, expected: readonly WrittenFile[], signal: AbortSignal,
): Promise<DemoMismatch[]> {
  const mismatches: DemoMismatch[] = [];
  for (const file of expected) {
    signal.throwIfAborted();
    const target = join(root, ...file.path.split('/'));
    const info = await stat(target).catch(() => undefined);
    if (info === undefined || !info.isFile()) {
      mismatches.push({ kind: 'missing', path: file.path });
    } else if (info.size !== file.length) {
      mismatches.push({ kind: 'wrong-length', path: file.path, length: info.size, expected: file.length });
    } else if ((await sha256(target, signal)) !== file.sha256) {
      mismatches.push({ kind: 'wrong-bytes', path: file.path });
    }
  }
  return mismatches;
}

async function sha256(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const input = createReadStream(path, { highWaterMark: CHUNK, signal });
  for await (const chunk of input) {
    if (chunk instanceof Buffer) hash.update(chunk);
  }
  return hash.digest('hex');
}

/** Key and IV from SHA-256 of the path: deterministic, and no two files share a stream. */
function keystream(path: string): ReturnType<typeof createCipheriv> {
  const digest = createHash('sha256').update(`rxtorrent-demo\0${path}`).digest();
  return createCipheriv('aes-128-ctr', digest.subarray(0, 16), digest.subarray(16, 32));
}
