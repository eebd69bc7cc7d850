// The zeek-mgmt command line: zeek-client's arguments, help texts and commands
// (cli.py's create_parser), plus plan, apply, drift, diag and run. Invoked under the name
// "zeek-client" (a symlink), help lists only zeek-client's commands, so the output is
// zeek-client's; the extra commands still work.

import { ArgumentParser } from './argparse';

import { EXTRA_COMMANDS, ZEEK_CLIENT_COMMANDS } from './command-names';

export { EXTRA_COMMANDS, ZEEK_CLIENT_COMMANDS };

export interface ParserContext {
  prog: string;
  /** The settings file default shown in help (ZEEK_CLIENT_CONFIG_FILE or the installed path). */
  configFile: string;
  /** host:port from the settings known before parsing, for --controller's help. */
  controller: string;
  width?: number;
}

const CONFIG_FILE_HELP = 'Cluster configuration file, "-" for stdin';
const STRICT_OPTION = { flags: ['--strict'], action: 'store_true' as const, help: 'Refuse a file with unexpected or value-less keys (exit 1, nothing sent) instead of warning (setting: client.strict)' };
// Exit codes, as CI reads them: a usage error is 1 here, not argparse's 2.
const PLAN_EXIT = 'exit status:\n  0  no changes\n  2  changes to deploy\n  1  error (also a usage error)';
const APPLY_EXIT = 'exit status:\n  0  deployed, or no changes and nothing deployed (every node running)\n  1  error, a node that failed, or a deployed node not running (also a usage error)';
const DRIFT_EXIT = 'exit status:\n  0  in sync\n  2  drifted\n  1  error (also a usage error)';
const DIAG_EXIT = 'exit status:\n  0  every instance answered, no node ended on its own since deployment\n  2  every instance answered, some node ended on its own (see last exit)\n  1  error: no controller, an instance that cannot or did not answer, an unknown node (also a usage error)';
const SITE_OPTION = { flags: ['--site'], metavar: 'DIR', help: 'Site policy directory (local.zeek, scripts, settings) deployed with the cluster to every instance' };

export function createParser(ctx: ParserContext): ArgumentParser {
  const hideExtras = ctx.prog === 'zeek-client';
  const parser = new ArgumentParser({
    prog: ctx.prog,
    width: ctx.width,
    description: 'A Zeek management client',
    epilog: 'environment variables:\n\n'
      + '    ZEEK_CLIENT_CONFIG_FILE:      Same as `--configfile` argument, but lower precedence.\n'
      + '    ZEEK_CLIENT_CONFIG_SETTINGS:  Same as a space-separated series of `--set` arguments, but lower precedence.\n',
  });

  parser.addOption({ flags: ['-c', '--configfile'], metavar: 'FILE', default: ctx.configFile, help: `Path to zeek-client config file. (Default: ${ctx.configFile})` });
  parser.addOption({
    flags: ['--controller'], metavar: 'HOST:PORT',
    help: `Address and port of the controller, either of which may be omitted (default: ${ctx.controller})`,
  });
  parser.addOption({ flags: ['--set'], metavar: 'SECTION.KEY=VAL', action: 'append', help: 'Adjust a configuration setting. Can use repeatedly. See show-settings.' });
  parser.addMutuallyExclusive([
    { flags: ['--quiet', '-q'], action: 'store_true', help: 'Suppress informational output to stderr.' },
    { flags: ['--verbose', '-v'], action: 'count', help: 'Increase informational output to stderr. Repeat for more output (e.g. -vvv).' },
  ]);
  parser.addOption({ flags: ['--version'], action: 'store_true', help: 'Show version number and exit.' });

  parser.addSubcommands({ title: 'commands', dest: 'command', help: 'See `%(prog)s <command> -h` for per-command usage info.' });

  parser.addSubcommand('deploy', { help: 'Deploy a staged cluster configuration.' });

  const deployConfig = parser.addSubcommand('deploy-config', { help: 'Upload a cluster configuration and deploy it.' })
    .addPositional({ dest: 'config', metavar: 'FILE', help: CONFIG_FILE_HELP });
  // Ours; zeek-client's own usage (prog zeek-client) stays as it is.
  if (!hideExtras) deployConfig.addOption(SITE_OPTION);

  parser.addSubcommand('get-config', { help: 'Retrieve staged or deployed cluster configuration.' })
    .addOption({ flags: ['--filename', '-f'], metavar: 'FILE', default: '-', help: 'Output file for the configuration, default stdout' })
    .addOption({ flags: ['--as-json'], action: 'store_true', help: 'Report in JSON instead of INI-style config file' })
    .addMutuallyExclusive([
      { flags: ['--deployed'], dest: 'deployed', action: 'store_true', default: false, help: 'Return deployed configuration' },
      { flags: ['--staged'], dest: 'deployed', action: 'store_false', default: false, help: 'Return staged configuration (default)' },
    ]);

  parser.addSubcommand('get-id-value', { help: 'Show the value of a given identifier in Zeek cluster nodes.' })
    .addPositional({ dest: 'id', metavar: 'IDENTIFIER', help: 'Name of the Zeek script identifier to retrieve.' })
    .addPositional({ dest: 'nodes', metavar: 'NODES', nargs: '*', help: 'Name(s) of Zeek cluster nodes to query. When omitted, queries all nodes.' });

  parser.addSubcommand('get-instances', { help: 'Show instances connected to the controller.' });
  parser.addSubcommand('get-nodes', { help: 'Show active Zeek nodes at each instance.' });
  parser.addSubcommand('monitor', { help: 'For troubleshooting: do nothing, just report events.' });

  parser.addSubcommand('restart', { help: 'Restart cluster nodes.' })
    .addPositional({ dest: 'nodes', metavar: 'NODES', nargs: '*', help: 'Name(s) of Zeek cluster nodes to restart. When omitted, restarts all nodes.' });

  parser.addSubcommand('stage-config', { help: 'Upload a cluster configuration for later deployment.' })
    .addPositional({ dest: 'config', metavar: 'FILE', help: CONFIG_FILE_HELP });

  parser.addSubcommand('show-settings', { help: "Show zeek-client's own configuration." });

  parser.addSubcommand('test-timeout', { help: 'Send timeout test event.' })
    .addOption({ flags: ['--with-state'], action: 'store_true', help: 'Make request stateful in the controller.' });

  // zeek-mgmt's additions.
  parser.addSubcommand('plan', { help: 'Show what deploying a cluster configuration would change (exit 0: nothing, 2: changes, 1: error).', hidden: hideExtras, epilog: PLAN_EXIT })
    .addPositional({ dest: 'config', metavar: 'FILE', help: CONFIG_FILE_HELP })
    .addOption({ flags: ['--json'], action: 'store_true', help: 'Report the plan in JSON instead of a readable diff' })
    .addOption({ flags: ['--no-color'], dest: 'no_color', action: 'store_true', help: 'Do not colour the diff, even on a terminal' })
    .addOption(STRICT_OPTION)
    .addOption(SITE_OPTION);

  parser.addSubcommand('apply', { help: 'Validate and plan a cluster configuration, then stage and deploy it if it changes anything.', hidden: hideExtras, epilog: APPLY_EXIT })
    .addPositional({ dest: 'config', metavar: 'FILE', help: CONFIG_FILE_HELP })
    .addOption({ flags: ['--json'], action: 'store_true', help: 'Report the plan and the outcome as one JSON document' })
    .addOption(STRICT_OPTION)
    .addOption(SITE_OPTION);

  parser.addSubcommand('drift', { help: 'Compare desired, staged, deployed and running cluster state (exit 0: in sync, 2: drifted, 1: error).', hidden: hideExtras, epilog: DRIFT_EXIT })
    .addPositional({ dest: 'config', metavar: 'FILE', nargs: '?', help: `Desired cluster configuration file, "-" for stdin (optional)` })
    .addOption(STRICT_OPTION)
    .addOption({ flags: ['--format'], metavar: 'FORMAT', choices: ['json', 'markdown'], default: 'markdown', help: 'Report format: json or markdown (default: markdown)' });

  parser.addSubcommand('diag', { help: 'Show each node\'s last exit, restart count and last stderr/stdout lines, like ZeekControl\'s diag (exit 0: no node exited, 2: some did, 1: error).', hidden: hideExtras, epilog: DIAG_EXIT })
    .addPositional({ dest: 'nodes', metavar: 'NODES', nargs: '*', help: 'Name(s) of nodes to report on. When omitted, reports on all nodes.' })
    .addOption({ flags: ['--json'], action: 'store_true', help: 'Report in JSON, laid out like get-nodes (every kept line)' })
    .addOption({ flags: ['--lines', '-n'], metavar: 'N', help: 'Show the last N lines of each output stream (default: 10; 0: all kept)' });

  parser.addSubcommand('run', { help: 'Run a controller and/or an agent: run [controller] [agent] [NAME=VALUE ...]', hidden: hideExtras, passthrough: true });

  return parser;
}
