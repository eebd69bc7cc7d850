// Bundles the compiled CLI (dist/cli/main.js and every module of ours it requires)
// into one file, dist/cli/bundle.js, the same for each command with only that command's
// modules, dist/cli/bundle-<command>.js, and its loader (dist/cli/start.js, which picks a
// bundle by the command line and runs it with V8's code cache) into dist/cli/zeek-mgmt.js,
// the package's "bin", behind a two-line sh launcher (LAUNCHER below). Run by
// `npm run build` after tsc. One file saves node's CommonJS loader from resolving, reading and wrapping the ~35
// modules of a command's path on every start, and a command's own file saves reading,
// hashing and deserialising the other commands' code (see bench/README.md, "CLI start-up").
//
// The bundles are made from tsc's output, not the sources, so they run the same code as
// dist/; esbuild keeps each module in its own wrapper, run when first required, so the
// command modules and what only they need still load only when that command runs.
// A command's bundle is the whole CLI with the other commands' entries taken out of
// cli.ts's COMMAND_MODULES (commandOnly below); a command line that turns out to name
// another command goes back to the loader, which runs the whole CLI (cli.ts, main.ts).
// Left outside the bundles: the npm packages (ws, zod, lossless-json: loaded from
// node_modules, and only by the commands that need them) and `zeek-mgmt run`
// (framework/run.js from dist/, which starts the controller, agent and nodes by their
// paths in dist/).

import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXTRA_COMMANDS, ZEEK_CLIENT_COMMANDS } from '../cli/command-names';
import { DEFERRED_EXTRA_CA_CERTS_ENV } from '../sdk/transport/extra-ca-certs';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const entry = path.join(dist, 'cli/main.js');
const outfile = path.join(dist, 'cli/bundle.js');
/** The commands with a bundle of their own (`run` is framework/run.js, outside the bundles). */
const BUNDLED_COMMANDS: readonly string[] = [...ZEEK_CLIENT_COMMANDS, ...EXTRA_COMMANDS].filter((c) => c !== 'run');
const commandOutfile = (command: string): string => path.join(dist, `cli/bundle-${command}.js`);
const loaderEntry = path.join(dist, 'cli/start.js');
const loaderOutfile = path.join(dist, 'cli/zeek-mgmt.js');

/**
 * The bin's first two lines, read by /bin/sh when the bin is run as a program and by node
 * as a hashbang line and a string statement with a comment: sh starts node on the same
 * file, and, where NODE_EXTRA_CA_CERTS is set, without it (Node.js 20 would load that file
 * at start-up, whether or not the command ever makes a TLS connection), its value handed
 * over in DEFERRED_EXTRA_CA_CERTS_ENV and put back by the bin's first statement (see
 * sdk/transport/extra-ca-certs.ts, which also stands in for node where the CLI needs the
 * CAs). It is left alone for `zeek-mgmt run` (which starts the controller, agent and nodes
 * and lives long) and where NODE_OPTIONS picks another CA store than node's bundled one.
 * `node dist/cli/zeek-mgmt.js` skips all this and runs as before.
 */
const LAUNCHER = [
  '#!/bin/sh',
  `":" //; case " $* $NODE_OPTIONS " in *" run "*|*--use-openssl-ca*|*--use-system-ca*) ;; *) if [ -n "$NODE_EXTRA_CA_CERTS" ]; then ${DEFERRED_EXTRA_CA_CERTS_ENV}=$NODE_EXTRA_CA_CERTS; export ${DEFERRED_EXTRA_CA_CERTS_ENV}; unset NODE_EXTRA_CA_CERTS; fi ;; esac; exec node "$0" "$@"`,
].join('\n');

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

/**
 * A command's bundle: cli.js's COMMAND_MODULES keeps that command's entry alone (each
 * entry is a line `name: () => require('./commands/name'),` in tsc's output; the build
 * fails where that no longer holds), so esbuild takes in no other command's modules.
 */
function commandOnly(command: string): esbuild.Plugin {
  return {
    name: `zeek-mgmt-command-${command}`,
    setup(build) {
      build.onLoad({ filter: /[\\/]dist[\\/]cli[\\/]cli\.js$/ }, (args) => {
        const entryLine = /^\s*(?:'([a-z-]+)'|([a-z]+)): \(\) => require\('\.\/commands\/([a-z-]+)'\),?\n/gm;
        const kept: string[] = [];
        let dropped = 0;
        const contents = fs.readFileSync(args.path, 'utf8').replace(entryLine, (line, quoted?: string, bare?: string, file?: string) => {
          const name = quoted ?? bare;
          if (name !== file) throw new Error(`cli.js: COMMAND_MODULES' entry ${name} requires ./commands/${file}`);
          if (name === command) {
            kept.push(name);
            return line;
          }
          dropped++;
          return '';
        });
        if (kept.length !== 1 || dropped !== BUNDLED_COMMANDS.length - 1) {
          throw new Error(`cli.js: found ${kept.length} COMMAND_MODULES entries for ${command} and ${dropped} others, not 1 and ${BUNDLED_COMMANDS.length - 1}`);
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

async function bundle(from: string, to: string, plugins: esbuild.Plugin[]): Promise<esbuild.Metafile['inputs']> {
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
  const outside = inputs.filter((f) => !f.startsWith('dist/cli/') && !f.startsWith('dist/sdk/'));
  if (outside.length > 0) throw new Error(`${path.relative(root, to)} took in modules from outside dist/cli and dist/sdk: ${outside.join(', ')}`);
  fs.writeFileSync(to, builtinsUncopied(fs.readFileSync(to, 'utf8')));
  return result.metafile.inputs;
}

/**
 * tsc compiles `import * as fs from 'node:fs'` (esModuleInterop) to
 * `__importStar(require("node:fs"))`, which copies the module into a new object, a getter
 * per export (~100 for node:fs), at each import: 0.4-0.7 ms apiece here, and the CLI's
 * path has ~20 such imports (bench/README.md). Node's built-in modules are plain CommonJS
 * objects that a namespace import reads the same way, so the bundle takes them as they are.
 */
function builtinsUncopied(code: string): string {
  return code.replace(/\b__importStar\d*\(require\("(node:[a-z_/]+)"\)\)/g, 'require("$1")');
}

async function main(): Promise<void> {
  for (const f of fs.readdirSync(path.dirname(outfile))) {
    if (/^bundle-.*\.js$/.test(f)) fs.rmSync(path.join(path.dirname(outfile), f));
  }
  await Promise.all([
    bundle(entry, outfile, [keepOutside]),
    ...BUNDLED_COMMANDS.map(async (command) => {
      const inputs = await bundle(entry, commandOutfile(command), [keepOutside, commandOnly(command)]);
      // (Another command's module may come in through this command's own imports: deploy-config's does.)
      const dispatched = inputs['dist/cli/cli.js'].imports.map((i) => i.path).filter((f) => f.startsWith('dist/cli/commands/'));
      if (dispatched.join() !== `dist/cli/commands/${command}.js`) throw new Error(`the bundle of ${command} dispatches to ${dispatched.join(', ')}`);
    }),
  ]);
  const loaderInputs = Object.keys(await bundle(loaderEntry, loaderOutfile, []));
  if (loaderInputs.length > 5) throw new Error(`the CLI's loader took in more than start.js, command-names.js, compile-cache.js, version.js and extra-ca-certs.js: ${loaderInputs.join(', ')}`);
  // The launcher's lines in place of the loader's `#!/usr/bin/env node`.
  const loader = fs.readFileSync(loaderOutfile, 'utf8');
  fs.writeFileSync(loaderOutfile, `${LAUNCHER}\n${loader.startsWith('#!') ? loader.slice(loader.indexOf('\n') + 1) : loader}`);
  fs.chmodSync(loaderOutfile, 0o755);
}

main().catch((err: Error) => {
  process.stderr.write(`bundle-cli: ${err.message}\n`);
  process.exit(1);
});
