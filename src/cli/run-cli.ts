import { type Argv, yargs } from './yargs.js';
import { CliError, UsageError, describeError } from './cli-error.js';
import type { SwarmArgs } from './download-command.js';
import type { HashPool } from '../io/hash-pool.js';

// Each command's modules load when it runs: a download does not pay for the demo's tracker or
// the torrent maker (docs/performance.md, round 6).

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** The hash pool of `download` and `seed` (`ClientOptions.hashPool`); default the client's own. */
  readonly hashPool?: HashPool;
}

/** Exit codes: 0 success, 1 failure, 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Runs the CLI over `argv` (without `node` and the script) and resolves to the exit code. Every
 * failure becomes one line on stderr; a typed error's message is that line.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const parser = yargs([...argv])
    .scriptName('rxtorrent')
    .usage('$0 <command> [options]')
    .command(
      'info <torrent>',
      'Show what a .torrent file holds',
      (y) =>
        y
          .positional('torrent', { type: 'string', demandOption: true, describe: 'path of the .torrent file' })
          .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
          .example('$0 info ubuntu.torrent', 'name, size, files as a tree, trackers')
          .example('$0 info ubuntu.torrent --json | jq .infoHash', 'machine-readable'),
      async (args) => {
        const [{ readTorrentFile }, { infoJson, infoText }] = await Promise.all([
          import('../io/read-torrent.js'),
          import('./info-command.js'),
        ]);
        const meta = await readTorrentFile(args.torrent);
        io.stdout.write(args.json ? `${JSON.stringify(infoJson(meta))}\n` : infoText(meta));
      },
    )
    .command(
      'create <path>',
      'Make a .torrent from a file or a folder',
      (y) =>
        y
          .positional('path', { type: 'string', demandOption: true, describe: 'file or folder to share' })
          .option('tracker', {
            alias: 't', type: 'string', array: true, default: [] as string[],
            describe: 'announce URL; repeat for more tiers, comma-separate URLs of one tier',
          })
          .option('piece-length', { alias: 'l', type: 'string', describe: 'piece size, e.g. 256K or 1M (default: chosen by size)' })
          .option('private', { alias: 'p', type: 'boolean', default: false, describe: 'set the private flag (BEP 27)' })
          .option('comment', { alias: 'c', type: 'string', describe: 'free-text comment' })
          .option('web-seed', { alias: 'w', type: 'string', array: true, default: [] as string[], describe: 'web seed URL (BEP 19)' })
          .option('output', { alias: 'o', type: 'string', describe: 'where to write the torrent (default: <name>.torrent)' })
          .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'overwrite the output file' })
          .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON, no progress' })
          .example('$0 create ./album -t http://tracker.example/announce', 'one tracker')
          .example('$0 create big.iso -t udp://a:6969,udp://b:6969 -t http://c/announce -l 1M -o big.torrent', 'two tiers, 1 MiB pieces'),
      async (args) => {
        const { runCreate } = await import('./create-command.js');
        await runCreate({
          path: args.path,
          tracker: args.tracker,
          private: args.private,
          webSeed: args['web-seed'],
          force: args.force,
          json: args.json,
          ...(args['piece-length'] !== undefined ? { pieceLength: args['piece-length'] } : {}),
          ...(args.comment !== undefined ? { comment: args.comment } : {}),
          ...(args.output !== undefined ? { output: args.output } : {}),
        }, io);
      },
    )
    .command(
      'download <torrents..>',
      'Download torrents into a folder (and seed them with --seed)',
      (y) =>
        swarmOptions(y)
          .option('out', { alias: 'o', type: 'string', default: '.', describe: 'folder to download into (created if missing)' })
          .option('seed', { type: 'boolean', default: false, describe: 'keep seeding after the download, until Ctrl-C' })
          .example('$0 download ubuntu.torrent -o ~/Downloads', 'progress bars on a terminal')
          .example('$0 download a.torrent b.torrent --peer 10.0.0.2:6881 --peer [::1]:51413', 'two torrents, extra peers')
          .example('$0 download ubuntu.torrent --json | jq -c \'select(.type == "done")\'', 'machine-readable events'),
      async (args) => {
        const { runDownload } = await import('./download-command.js');
        exitCode = await runDownload({ ...swarmArgs(args), out: args.out, seed: args.seed }, io);
      },
    )
    .command(
      'seed <torrents..>',
      'Check the content in --dir and seed it until Ctrl-C',
      (y) =>
        swarmOptions(y)
          .option('dir', { alias: 'd', type: 'string', demandOption: true, describe: 'folder that holds the content (as --out of download)' })
          .example('$0 seed album.torrent --dir ~/Music', 'seed ~/Music/album')
          .example('$0 seed *.torrent --dir /srv/share --port 51413 --quiet', 'many torrents, quietly'),
      async (args) => {
        const { runSeed } = await import('./seed-command.js');
        exitCode = await runSeed({ ...swarmArgs(args), dir: args.dir }, io);
      },
    )
    .command(
      'demo',
      'Run a whole swarm on 127.0.0.1: sample data, a tracker, seeders, a verified download',
      (y) =>
        y
          .option('size', { type: 'number', default: 64, describe: 'MiB of sample data' })
          .option('seeders', { type: 'number', default: 3, describe: 'seeders to start, each a child process' })
          .option('dir', { type: 'string', describe: 'work folder, empty or missing; kept (default: a temp folder)' })
          .option('keep', { type: 'boolean', default: false, describe: 'keep the temp folder afterwards' })
          .option('json', { type: 'boolean', default: false, describe: 'the download\'s JSON events, and the demo\'s, on stdout' })
          .example('$0 demo', '64 MiB from 3 seeders, with progress bars')
          .example('$0 demo --size 512 --seeders 8 --keep', 'bigger, and keep the files'),
      async (args) => {
        const { runDemo } = await import('./demo-command.js');
        exitCode = await runDemo({
          size: args.size,
          seeders: args.seeders,
          keep: args.keep,
          json: args.json,
          ...(args.dir !== undefined ? { dir: args.dir } : {}),
        }, io);
      },
    )
    .demandCommand(1, 'Name a command: info, create, download, seed or demo.')
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version('0.1.0')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      throw error ?? new UsageError(message ?? 'invalid arguments');
    });

  try {
    await parser.parseAsync();
  } catch (error) {
    exitCode = error instanceof UsageError || isYargsValidation(error) ? EXIT.usage : EXIT.failure;
    const hint = exitCode === EXIT.usage ? ' (see rxtorrent --help)' : '';
    io.stderr.write(`rxtorrent: ${describeError(error)}${hint}\n`);
  }
  return exitCode;
}

function isYargsValidation(error: unknown): boolean {
  return error instanceof Error && error.name === 'YError';
}

export { CliError };

/** The options `download` and `seed` share. */
function swarmOptions<T>(y: Argv<T>) {
  return y
    .positional('torrents', { type: 'string', array: true, demandOption: true, describe: '.torrent files' })
    .option('port', { type: 'number', default: 6881, describe: 'port to listen on for peers (the next free one if taken)' })
    .option('host', { type: 'string', describe: 'address to listen on (default: all interfaces)' })
    .option('peer', { type: 'string', array: true, default: [] as string[], describe: 'also dial this peer, HOST:PORT or [IPv6]:PORT; repeatable' })
    .option('max-peers', { type: 'number', default: 50, describe: 'connections per torrent' })
    .option('direct-io', { type: 'boolean', default: true, describe: 'write pieces past the page cache (O_DIRECT; --no-direct-io: through it)' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON event per line on stdout' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'only errors and a final summary' });
}

function swarmArgs(args: {
  torrents: string[]; port: number; host: string | undefined; peer: string[]; 'max-peers': number; 'direct-io': boolean;
  json: boolean; quiet: boolean;
}): SwarmArgs {
  return {
    torrents: args.torrents,
    port: args.port,
    ...(args.host !== undefined ? { host: args.host } : {}),
    peer: args.peer,
    maxPeers: args['max-peers'],
    directIo: args['direct-io'],
    json: args.json,
    quiet: args.quiet,
  };
}
