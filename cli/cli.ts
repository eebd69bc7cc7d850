// zeek-mgmt's command line: zeek-client's (same arguments, settings, output and exit
// codes) plus plan, apply, drift, diag and run. Start-up time matters: this file loads only
// the argument parser and the settings; each command loads what it needs (ws, zod, the
// codec) when it runs. The executable is main.ts.

import * as path from 'node:path';
import { ArgumentError, HelpRequested, Namespace } from './argparse';
import { CommandContext, CommandModule } from './command';
import { Logger } from './log';
import { createParser } from './parser';
import { defaultConfigFile, Settings, SettingsError } from './settings';
import { packageVersion } from './version';

export interface MainIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Called once a zeek-client command (not `run`) is about to start: install Ctrl-C handling. */
  onInterrupt?: () => void;
}

// Each command's module, loaded when that command runs. The require() calls are spelled
// out (not computed from the name) so that the bundler (scripts/bundle-cli.ts) finds them.
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMAND_MODULES: Record<string, () => CommandModule> = {
  deploy: () => require('./commands/deploy'),
  'deploy-config': () => require('./commands/deploy-config'),
  'get-config': () => require('./commands/get-config'),
  'get-id-value': () => require('./commands/get-id-value'),
  'get-instances': () => require('./commands/get-instances'),
  'get-nodes': () => require('./commands/get-nodes'),
  monitor: () => require('./commands/monitor'),
  restart: () => require('./commands/restart'),
  'stage-config': () => require('./commands/stage-config'),
  'show-settings': () => require('./commands/show-settings'),
  'test-timeout': () => require('./commands/test-timeout'),
  plan: () => require('./commands/plan'),
  apply: () => require('./commands/apply'),
  drift: () => require('./commands/drift'),
  diag: () => require('./commands/diag'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Thrown by a bundle of one command's modules (scripts/bundle-cli.ts leaves the other
 * commands out of COMMAND_MODULES there) for a command line that names another command,
 * once the arguments are parsed and before anything is printed: main.ts then runs the
 * command line with the whole CLI.
 */
export class CommandNotBundled extends Error {}

/** The program name: "zeek-client" when run through a link of that name, else "zeek-mgmt". */
export function programName(argv1: string | undefined): string {
  const base = path.basename(argv1 ?? '').replace(/\.(js|ts)$/, '');
  return base === 'zeek-client' ? 'zeek-client' : 'zeek-mgmt';
}

/** argparse's help width: $COLUMNS or the terminal's columns, minus 2; 78 otherwise. */
function helpWidth(io: MainIo): number {
  const cols = Number(io.env.COLUMNS);
  if (Number.isInteger(cols) && cols > 0) return cols - 2;
  if (io.stdout.isTTY && io.stdout.columns) return io.stdout.columns - 2;
  return 78;
}

function hostPort(settings: Settings): string {
  return `${settings.raw('controller', 'host') ?? ''}:${settings.raw('controller', 'port') ?? ''}`;
}

/** zeek-mgmt's own commands, for which CI reads 2 as "changes", "drifted" or "a node crashed": a usage error there exits 1. */
const EXIT_1_ON_USAGE = new Set(['plan', 'apply', 'drift', 'diag']);
/** zeek-client's options before the command that take a value in the next argument. */
const VALUED_OPTIONS = new Set(['-c', '--configfile', '--controller', '--set']);

/** The command a command line names: its first argument that is not an option or an option's value. */
export function commandNamed(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return argv[i + 1] ?? null;
    if (VALUED_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return null;
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: readonly string[], prog: string, io: MainIo): Promise<number> {
  const write = (s: NodeJS.WritableStream, text: string): void => {
    s.write(text);
  };

  // Settings known before parsing (the environment) show in --controller's help.
  const early = new Settings();
  early.updateFromEnv(io.env);
  const configFile = defaultConfigFile(io.env);
  const parser = createParser({ prog, configFile, controller: hostPort(early), width: helpWidth(io) });

  let args: Namespace;
  try {
    args = parser.parse(argv);
  } catch (err) {
    if (err instanceof HelpRequested) {
      write(io.stdout, err.parser.formatHelp());
      return 0;
    }
    if (err instanceof ArgumentError) {
      write(io.stderr, err.parser.formatUsage());
      write(io.stderr, `${err.parser.prog}: error: ${err.message}\n`);
      return EXIT_1_ON_USAGE.has(commandNamed(argv) ?? '') ? 1 : 2;
    }
    throw err;
  }
  if (typeof args.command === 'string' && args.command !== 'run' && !(args.command in COMMAND_MODULES)) throw new CommandNotBundled(args.command);

  if (args.command === 'run') {
    // The daemons parse their own arguments; loaded only when asked for.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const run = require('../framework/run') as { runMain: (argv: string[]) => Promise<number> | number };
    return run.runMain(args.args as string[]);
  }

  // Settings in zeek-client's order of precedence: defaults < file < environment < --set < --controller < -v.
  // As in zeek-client, the environment was applied once already (sections it adds come first).
  const settings = early;
  const problems: string[] = [];
  let fatal: string | null = null;
  try {
    settings.updateFromFile(args.configfile as string);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    fatal = err.message;
  }
  problems.push(...settings.updateFromEnv(io.env));
  try {
    problems.push(...settings.updateFromArgs({
      set: args.set as string[],
      controller: args.controller as string | null,
      verbose: args.verbose as number | null,
    }));
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    fatal ??= err.message;
  }

  if (args.version && fatal === null) {
    write(io.stdout, `${packageVersion()}\n`);
    return 0;
  }

  let verbosity = 0;
  let rich = false;
  try {
    verbosity = settings.getInt('client', 'verbosity');
    rich = settings.getBoolean('client', 'rich_logging_format');
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    fatal ??= err.message;
  }
  const log = new Logger({ verbosity, rich, quiet: args.quiet === true, write: (line) => write(io.stderr, line) });

  if (fatal !== null) {
    log.error(fatal);
    return 1;
  }
  for (const p of problems) log.error(p);

  const command = args.command as string | null;
  if (!command) {
    log.error('please provide a command to execute.');
    return 1;
  }

  io.onInterrupt?.();
  const mod = COMMAND_MODULES[command]();
  const ctx: CommandContext = { args, settings, log, io, prog };
  return mod.run(ctx);
}
