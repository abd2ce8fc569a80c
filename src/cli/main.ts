import { config } from '../rx.js';
import { hideBin } from './yargs.js';
import { describeError } from './cli-error.js';
import { runCli } from './run-cli.js';

/** The process entry of `bin/rxtorrent`: no stack traces, exit codes 0 / 1 / 2. */
export async function main(): Promise<void> {
  config.onUnhandledError = (error: unknown) => {
    process.stderr.write(`rxtorrent: ${describeError(error)}\n`);
    process.exitCode = 1;
  };
  const code = await runCli(hideBin(process.argv), { stdout: process.stdout, stderr: process.stderr });
  process.exitCode = code;
}
