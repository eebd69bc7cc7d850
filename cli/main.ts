#!/usr/bin/env node
// The CLI's entry: the bundles' (scripts/bundle-cli.ts; the bin, start.ts, loads one) and
// tsc's dist/cli/main.js. `zeek-mgmt --version` is answered before anything else loads;
// everything else goes to cli.ts, which loads each command's modules only when that
// command runs.

import type { MainIo } from './cli';
import { nodeEnableCompileCache } from './compile-cache';
import { packageVersion } from './version';

/** The process event by which a command's bundle hands its command line back to the loader (start.ts). */
const COMMAND_NOT_BUNDLED = 'zeek-mgmt:command-not-bundled';

function start(): void {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  // Node >= 22.1 keeps the compiled code of what a command loads (ws, zod, the codec)
  // between runs; on older Node this is a no-op.
  nodeEnableCompileCache()?.();
  // A reader that goes away (`zeek-mgmt get-nodes | head -1`) ends the command quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cli = require('./cli') as typeof import('./cli');
  const prog = cli.programName(process.argv[1]);
  let interrupted = false;
  const onInterrupt = (): void => {
    // zeek-client treats Ctrl-C as a normal end (exit 0). (`run` handles signals itself.)
    process.on('SIGINT', () => {
      interrupted = true;
      process.exit(0);
    });
  };
  // stdin and stderr are set up by node on first use, which costs a few milliseconds
  // (streams, and for a pipe the net module's socket); most commands never read stdin.
  const io: MainIo = {
    env: process.env,
    stdout: process.stdout,
    get stderr() { return process.stderr; },
    get stdin() { return process.stdin; },
    onInterrupt,
  };
  cli.main(argv, prog, io)
    .catch((err: Error) => {
      if (err instanceof cli.CommandNotBundled) return null;
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    })
    .then((code) => {
      // This is a bundle of another command's modules (the loader took an option's value
      // for the command's name): the loader (start.ts) runs the command line with the whole
      // CLI instead; nothing has been printed yet.
      if (code === null) return void (process as NodeJS.EventEmitter).emit(COMMAND_NOT_BUNDLED);
      if (interrupted) return;
      process.exitCode = code;
      // Let stdout drain (pipes may be asynchronous), then end even if a socket lingers.
      process.stdout.write('', () => process.exit(code));
    });
}

start();
