// Bundles the compiled CLI (dist/sdk/cli/main.js and every module of ours it requires)
// into one file, dist/cli/main.js, and its loader (dist/sdk/cli/start.js, which runs it
// with V8's code cache) into dist/cli/zeek-mgmt.js, the package's "bin". Run by
// `npm run build` after tsc. One file saves node's CommonJS loader from resolving, reading and wrapping the ~35
// modules of a command's path on every start (see bench/README.md, "CLI start-up").
//
// The bundle is made from tsc's output, not the sources, so it runs the same code as
// dist/; esbuild keeps each module in its own wrapper, run when first required, so the
// command modules and what only they need still load only when that command runs.
// Left outside the bundle: the npm packages (ws, zod, lossless-json: loaded from
// node_modules, and only by the commands that need them) and `zeek-mgmt run`
// (framework/run.js from dist/, which starts the controller, agent and nodes by their
// paths in dist/).

import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const entry = path.join(dist, 'sdk/cli/main.js');
const outfile = path.join(dist, 'cli/main.js');
const loaderEntry = path.join(dist, 'sdk/cli/start.js');
const loaderOutfile = path.join(dist, 'cli/zeek-mgmt.js');

/** Our modules outside the CLI stay in dist/, required by their path from the bundle. */
const keepOutside: esbuild.Plugin = {
  name: 'zeek-mgmt-outside',
  setup(build) {
    build.onResolve({ filter: /framework[\\/]run$/ }, (args) => {
      const target = path.resolve(args.resolveDir, `${args.path}.js`);
      let rel = path.relative(path.dirname(outfile), target).split(path.sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { path: rel, external: true };
    });
  },
};

async function bundle(from: string, to: string, plugins: esbuild.Plugin[]): Promise<string[]> {
  if (!fs.existsSync(from)) throw new Error(`${from} is missing: run tsc first`);
  const result = await esbuild.build({
    entryPoints: [from],
    outfile: to,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    plugins,
    legalComments: 'none',
    // Less source to read and hash at each start (names are kept: error texts use them).
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  const outside = inputs.filter((f) => !f.startsWith('dist/sdk/'));
  if (outside.length > 0) throw new Error(`${path.relative(root, to)} took in modules from outside dist/sdk: ${outside.join(', ')}`);
  return inputs;
}

async function main(): Promise<void> {
  await bundle(entry, outfile, [keepOutside]);
  const loaderInputs = await bundle(loaderEntry, loaderOutfile, []);
  if (loaderInputs.length > 3) throw new Error(`the CLI's loader took in more than start.js, command-names.js and version.js: ${loaderInputs.join(', ')}`);
  fs.chmodSync(loaderOutfile, 0o755);
}

main().catch((err: Error) => {
  process.stderr.write(`bundle-cli: ${err.message}\n`);
  process.exit(1);
});
