/**
 * yargs, loaded as the single CommonJS bundle yargs 17 ships (`yargs/yargs`, `yargs/helpers`).
 *
 * Importing yargs as an ES module compiles its ~30 module files and those of its dependencies one
 * by one; `require` loads one bundled file. With yargs 17 that is 16–25 ms of CPU at every start
 * of the CLI instead of 46–67 ms (and yargs 18, which is ES modules only and measures each string
 * with `Intl.Segmenter`, 76–99 ms), docs/performance.md round 9. `require` here for the reason
 * src/rx.ts gives for rxjs.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const yargs = load('yargs/yargs') as typeof import('yargs/yargs');
export const { hideBin } = load('yargs/helpers') as typeof import('yargs/helpers');
export type { Argv } from 'yargs';
