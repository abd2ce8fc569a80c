#!/usr/bin/env node
/**
 * Bundles the compiled CLI (`dist/cli/main.js`, every module it imports or loads on demand, and
 * the rxjs modules of `dist/rx.js`) into one file, `dist/cli/rxtorrent.mjs`, which `bin/rxtorrent`
 * runs. Node then reads and compiles one file at start instead of ~100 of ours and ~100 of
 * rxjs's, each resolved on its own: 0.06–0.1 CPU s less at every start of the CLI
 * (docs/performance.md, round 9). The library (`dist/index.js`) stays unbundled.
 *
 * `dist/rx.js` `require`s each rxjs module through `createRequire` (its comment says why), which
 * esbuild does not follow; here each `load('rxjs/…')` becomes an `import` that esbuild can
 * bundle. yargs stays outside: `dist/cli/yargs.js` `require`s the one bundled file yargs ships.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const LOAD = /^export const (\{[^}]*\}) = load\('(rxjs\/internal\/[\w/]+)'\);$/gm;

/** `dist/rx.js` with its `load('rxjs/…')` calls as imports; fails if any call is left. */
async function rxAsImports(path) {
  let count = 0;
  const source = (await readFile(path, 'utf8')).replace(LOAD, (_line, names, specifier) => {
    count += 1;
    return `import * as rx${count} from '${specifier}';\nexport const ${names} = rx${count};`;
  });
  const left = source.match(/\bload\('/g)?.length ?? 0;
  if (count === 0 || left > 0) {
    throw new Error(`${path}: ${count} rxjs loads rewritten, ${left} left`);
  }
  return source;
}

await build({
  entryPoints: [`${dist}cli/main.js`],
  outfile: `${dist}cli/rxtorrent.mjs`, // beside dist/cli: paths relative to a CLI module hold in it
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['yargs', 'yargs/*'],
  logLevel: 'warning',
  plugins: [{
    name: 'rx-imports',
    setup(builder) {
      builder.onLoad({ filter: /[\\/]dist[\\/]rx\.js$/ }, async ({ path }) => ({
        contents: await rxAsImports(path),
        loader: 'js',
      }));
    },
  }],
});
