import yargs from 'yargs';
import { readTorrentFile } from '../io/read-torrent.js';
import { CliError, UsageError, describeError } from './cli-error.js';
import { runCreate } from './create-command.js';
import { infoJson, infoText } from './info-command.js';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
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
    .demandCommand(1, 'Name a command: info or create (see --help).')
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
