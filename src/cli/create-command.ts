import { writeFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createTorrent } from '../io/create-torrent.js';
import type { Metainfo } from '../metainfo/metainfo.js';
import { CliError, UsageError } from './cli-error.js';
import { formatBytes, parseSize } from './format.js';

export interface CreateArgs {
  readonly path: string;
  readonly tracker: readonly string[];
  readonly pieceLength?: string;
  readonly private: boolean;
  readonly comment?: string;
  readonly webSeed: readonly string[];
  readonly output?: string;
  readonly force: boolean;
  readonly json: boolean;
}

export interface CreateIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** `--tracker a,b --tracker c` → tiers `[[a, b], [c]]`, as mktorrent's `-a` does. */
export function trackerTiers(values: readonly string[]): string[][] {
  return values
    .map((value) => value.split(',').map((url) => url.trim()).filter((url) => url.length > 0))
    .filter((tier) => tier.length > 0);
}

export function validTrackerUrl(url: string): boolean {
  try {
    return ['http:', 'https:', 'udp:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

export async function runCreate(args: CreateArgs, io: CreateIo): Promise<Metainfo> {
  const tiers = trackerTiers(args.tracker);
  const badUrl = tiers.flat().find((url) => !validTrackerUrl(url));
  if (badUrl !== undefined) throw new UsageError(`not a tracker URL (http, https or udp): ${badUrl}`);
  const pieceLength = args.pieceLength === undefined ? undefined : parseSize(args.pieceLength);
  if (pieceLength === undefined && args.pieceLength !== undefined) {
    throw new UsageError(`--piece-length must be a size such as 262144, 256K or 1M, not "${args.pieceLength}"`);
  }
  if (pieceLength !== undefined && (pieceLength < 16 * 1024 || pieceLength > 256 * 1024 * 1024)) {
    throw new UsageError('--piece-length must be between 16 KiB and 256 MiB');
  }
  const source = resolve(args.path);
  const output = resolve(args.output ?? `${basename(source)}.torrent`);
  if (!args.force && (await exists(output))) {
    throw new CliError(`${output} already exists (use --force to overwrite)`);
  }

  const progress = progressReporter(io.stderr, args.json);
  const torrent = await new Promise<{ bytes: Uint8Array; metainfo: Metainfo }>((done, fail) => {
    createTorrent(source, {
      trackers: tiers,
      private: args.private,
      createdBy: 'rxtorrent/0.1.0',
      ...(pieceLength !== undefined ? { pieceLength } : {}),
      ...(args.comment !== undefined ? { comment: args.comment } : {}),
      ...(args.webSeed.length > 0 ? { urlList: [...args.webSeed] } : {}),
    }).subscribe({
      next: (event) => {
        if (event.type === 'progress') progress(event.hashedBytes, event.totalBytes);
        else done({ bytes: event.torrent, metainfo: event.metainfo });
      },
      error: fail,
    });
  });
  progress.finish();
  await writeFile(output, torrent.bytes, { flag: args.force ? 'w' : 'wx' });
  const meta = torrent.metainfo;
  if (args.json) {
    io.stdout.write(`${JSON.stringify({ file: output, infoHash: meta.infoHashHex, name: meta.name,
      length: meta.totalLength, pieceLength: meta.pieceLength, pieceCount: meta.pieceCount })}\n`);
  } else {
    io.stdout.write(
      `Created ${output}\n  info hash ${meta.infoHashHex}\n  ${formatBytes(meta.totalLength)} in ` +
        `${meta.files.length} file(s), ${meta.pieceCount} pieces of ${formatBytes(meta.pieceLength)}\n`,
    );
  }
  return meta;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Progress on stderr: a line rewritten in place on a TTY, nothing when piped or with --json. */
function progressReporter(stderr: CreateIo['stderr'], quiet: boolean) {
  const live = !quiet && stderr.isTTY === true;
  let shown = false;
  const report = (hashed: number, total: number): void => {
    if (!live) return;
    const percent = total === 0 ? 100 : Math.floor((hashed / total) * 100);
    stderr.write(`\rHashing ${percent}% (${formatBytes(hashed)} / ${formatBytes(total)})\x1b[K`);
    shown = true;
  };
  return Object.assign(report, {
    finish: (): void => {
      if (shown) stderr.write('\r\x1b[K');
    },
  });
}
