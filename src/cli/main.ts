import { config } from '../rx.js';
import { hideBin } from './yargs.js';
import { describeError } from './cli-error.js';
import { runCli } from './run-cli.js';

/** Commands whose client hashes pieces from the start (the demo's seeders are `seed` processes). */
const HASHING_COMMANDS: ReadonlySet<string> = new Set(['download', 'seed']);

/** The process entry of `bin/rxtorrent`: no stack traces, exit codes 0 / 1 / 2. */
export async function main(): Promise<void> {
  config.onUnhandledError = (error: unknown) => {
    process.stderr.write(`rxtorrent: ${describeError(error)}\n`);
    process.exitCode = 1;
  };
  const argv = hideBin(process.argv);
  // The hash workers boot (≈ 0.1 s each, on the other core) while the arguments are parsed and
  // the torrents read, instead of after the first pieces arrived (docs/performance.md, round 13).
  // A stray word that names a command only starts two idle workers, which never hold the process.
  const hashPool = argv.some((arg) => HASHING_COMMANDS.has(arg))
    ? (await import('../io/hash-pool.js')).createHashPool()
    : undefined;
  hashPool?.warm();
  try {
    process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, ...(hashPool ? { hashPool } : {}) });
  } finally {
    await hashPool?.close();
  }
}
