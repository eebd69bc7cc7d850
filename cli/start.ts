#!/usr/bin/env node
// The zeek-mgmt executable of the package (its "bin", built as dist/cli/zeek-mgmt.js by
// scripts/bundle-cli.ts, behind a few lines of POSIX sh that start node without
// NODE_EXTRA_CA_CERTS, put back first thing here: see sdk/transport/extra-ca-certs.ts):
// loads the bundled CLI with V8's code cache, so that a start does not compile again what
// the previous start compiled. The bundle is the command's own (dist/cli/bundle-<command>.js:
// the CLI's entry, parser and settings, and that one command's modules, so that a start
// reads, hashes and deserialises no other command's code), for the first argument that
// names a command; the whole CLI (dist/cli/bundle.js) without one, for `run`, and where
// that argument was an option's value and the parsed command is another (the command's
// bundle hands the command line back before printing anything, main.ts).
//
// On Node >= 22.1 the code cache is Node's own compile cache (module.enableCompileCache). On Node 20
// the bundle is compiled through vm.Script with the cached data of an earlier run, kept per
// user in $XDG_CACHE_HOME/zeek-mgmt (else ~/.cache/zeek-mgmt), one file per command (what
// V8 keeps is what the run compiled, which differs by command) and installation (the
// bundle's path) whose name also holds the node version and the bundle's size and
// modification time. V8 itself turns down
// cached data made by another V8 version or for another source length; then, and where
// there is no cache yet, the bundle is compiled as usual and the cache written when the
// command ends, if it succeeded. Any trouble with the cache (unwritable, unreadable)
// only means no cache.
// NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch) turns it off.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { rerun, takeDeferredExtraCaCerts } from '../sdk/transport/extra-ca-certs';
import { EXTRA_COMMANDS, ZEEK_CLIENT_COMMANDS } from './command-names';
import { nodeEnableCompileCache } from './compile-cache';
import { packageVersion } from './version';

type Entry = (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;

const COMMANDS: readonly string[] = [...ZEEK_CLIENT_COMMANDS, ...EXTRA_COMMANDS];

/**
 * Which installation the bundle is (8 hex digits of FNV-1a over its path): two of them used
 * by one user (a global and a project's, say) keep a cache each instead of removing each
 * other's at every run.
 */
function installation(bundle: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bundle.length; i++) h = Math.imul(h ^ bundle.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The process event by which a command's bundle hands its command line back (main.ts). */
const COMMAND_NOT_BUNDLED = 'zeek-mgmt:command-not-bundled';

/**
 * The command the command line names: its first argument that is a command's name (an
 * option's value rarely is one, and then the command's bundle hands the command line back).
 */
function commandOf(argv: readonly string[]): string | undefined {
  return argv.find((a) => COMMANDS.includes(a));
}

function cacheFile(bundle: string, env: NodeJS.ProcessEnv, argv: readonly string[], command: string | undefined): string | null {
  // Runs without a command, and runs that only print a command's help, are not worth a cache.
  if (command === undefined || command === 'run' || argv.includes('-h') || argv.includes('--help')) return null;
  try {
    const st = fs.statSync(bundle);
    // os.homedir() is $HOME where that is set; node:os is loaded only where it is not.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const base = env.XDG_CACHE_HOME || path.join(env.HOME || (require('node:os') as typeof import('node:os')).homedir(), '.cache');
    const tag = `${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}`;
    return path.join(base, 'zeek-mgmt', `cli-${command}.${installation(bundle)}.${tag}.v8cache`);
  } catch {
    return null;
  }
}

function writeCache(file: string, script: vm.Script): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(tmp, file);
    // Caches of this command and installation for other node versions or earlier builds are spent.
    const dir = path.dirname(file);
    const prefix = `${path.basename(file).split('.').slice(0, 2).join('.')}.`;
    for (const f of fs.readdirSync(dir)) {
      if (f.startsWith(prefix) && f.endsWith('.v8cache') && f !== path.basename(file)) fs.rmSync(path.join(dir, f), { force: true });
    }
  } catch {
    // no cache this time
  }
}

function load(argv: readonly string[]): void {
  const command = commandOf(argv);
  const whole = path.join(__dirname, 'bundle.js');
  const bundle = command === undefined || command === 'run' ? whole : path.join(__dirname, `bundle-${command}.js`);
  // The bundle's require: this file's own, which resolves what the bundle requires alike
  // (all bundles sit next to it, as scripts/bundle-cli.ts puts them).
  const bundleRequire = require;
  let handedBack = false;
  process.once(COMMAND_NOT_BUNDLED, () => {
    handedBack = true;
    bundleRequire(whole);
  });
  const enableCompileCache = nodeEnableCompileCache();
  if (enableCompileCache || process.env.NODE_DISABLE_COMPILE_CACHE) {
    enableCompileCache?.();
    bundleRequire(bundle);
    return;
  }
  const source = fs.readFileSync(bundle, 'utf8');
  const file = cacheFile(bundle, process.env, argv, command);
  let cachedData: Buffer | undefined;
  if (file !== null) {
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      // none yet
    }
  }
  // The wrapper of a CommonJS module; the bundle's first line is a #! line, which the
  // wrapper would not accept, so it becomes a comment (same length: same line numbers).
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!/, '//')}\n})`,
    { filename: bundle, cachedData },
  );
  // Written by a run that succeeded (exit code 0), when there is no cache or V8 turned it
  // down. Once accepted, a cache is never rewritten, and it holds only what the run that
  // made it compiled: one made by a failed run (the controller not up yet, say) would leave
  // every later successful run compiling its connection and output code anew.
  if (file !== null && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', (code) => {
      // (A run handed back to the whole CLI compiled little of this bundle.)
      if (code === 0 && !handedBack) writeCache(file, script);
    });
  }
  const entry = script.runInThisContext() as Entry;
  const module = { exports: {}, filename: bundle, id: bundle };
  entry.call(module.exports, module.exports, bundleRequire, module, bundle, path.dirname(bundle));
}

// First of all, NODE_EXTRA_CA_CERTS back where the launcher kept it from node's start-up.
if (takeDeferredExtraCaCerts() === 'rerun') rerun();
// `zeek-mgmt --version` is answered here, as main.ts does, without compiling the bundle.
else if (process.argv.length === 3 && process.argv[2] === '--version') process.stdout.write(`${packageVersion()}\n`);
else load(process.argv.slice(2));
