// `zeek-mgmt run [controller] [agent] [FILE...] [NAME=VALUE...]`: the equivalent of
// `zeek -j policy/frameworks/management/controller policy/frameworks/management/agent`.
// This process is the Supervisor: it starts the management processes asked for (both
// when none is named) as its children, restarts them when they die, and owns every
// cluster node process the agent asks for. SIGINT/SIGTERM (or
// SupervisorControl::stop_request) stop everything.
//
// FILE arguments hold `redef NAME = VALUE;` statements (Zeek's local.zeek; "local" finds
// local.zeek). Settings: defaults < FILEs < environment variables < NAME=VALUE arguments.

import * as fs from 'node:fs';
import { chooseRuntime } from './agent/runtime-choice';
import { Settings } from './settings/settings';
import { isAssignmentArg } from './settings/sources';
import { supervisorSecretFromEnv } from './supervisor/control-secret';
import { SupervisorControlServer } from './supervisor/control-server';
import { clientPortWarning, controllerConfigFromEnv } from './controller/config';
import { controllerOverrides, InstanceLauncher } from './supervisor/launcher';
import { nodeConfig } from './supervisor/records';
import { Supervisor } from './supervisor/supervisor';

export const RUN_USAGE = `usage: zeek-mgmt run [controller] [agent] [FILE...] [NAME=VALUE...]

Runs a Supervisor with the Management controller and/or agent (both when neither is
named), like zeek -j policy/frameworks/management/controller policy/frameworks/management/agent.

  FILE         a file of "redef NAME = VALUE;" statements (e.g. local.zeek; "local" works too)
  NAME=VALUE   a setting, e.g. Management::Agent::default_port=2152/tcp
               Management::Agent::name=agent-standby Broker::default_port=10001/tcp

Environment: ZEEK_AGENT_NAME, ZEEK_AGENT_ADDR, ZEEK_AGENT_PORT, ZEEK_CONTROLLER_NAME,
ZEEK_CONTROLLER_ADDR, ZEEK_CONTROLLER_PORT, ZEEK_CONTROLLER_WEBSOCKET_ADDR,
ZEEK_CONTROLLER_WEBSOCKET_PORT, ZEEK_MANAGEMENT_STATE_DIR, ZEEK_MANAGEMENT_SPOOL_DIR,
ZEEK_MGMT_NODE_RUNTIME (auto|emulated|zeek), ZEEK_MGMT_SUPERVISOR_SECRET_FILE (a file, mode
0600, with the secret the Supervisor's control port requires of its agent; by default a
fresh one is made at start and handed to the agent this Supervisor starts).
`;

export interface RunOptions {
  roles: { controller: boolean; agent: boolean };
  files: string[];
  assignments: string[];
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseRunArgs(argv: string[]): RunOptions | 'help' {
  const roles = { controller: false, agent: false };
  const files: string[] = [];
  const assignments: string[] = [];
  for (const arg of argv) {
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === 'controller' || arg === 'policy/frameworks/management/controller') roles.controller = true;
    else if (arg === 'agent' || arg === 'policy/frameworks/management/agent') roles.agent = true;
    else if (isAssignmentArg(arg)) assignments.push(arg);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else files.push(resolveScriptArg(arg));
  }
  if (!roles.controller && !roles.agent) {
    roles.controller = true;
    roles.agent = true;
  }
  return { roles, files, assignments };
}

/** Zeek finds "local" as local.zeek; so do we. */
function resolveScriptArg(arg: string): string {
  if (fs.existsSync(arg)) return arg;
  if (fs.existsSync(`${arg}.zeek`)) return `${arg}.zeek`;
  throw new UsageError(`can't find ${arg}`);
}

function stamp(): string {
  return new Date().toISOString();
}

export async function runMain(argv: string[]): Promise<number> {
  let opts: RunOptions | 'help';
  let settings: Settings;
  try {
    opts = parseRunArgs(argv);
    if (opts === 'help') {
      process.stdout.write(RUN_USAGE);
      return 0;
    }
    settings = Settings.resolve({ files: opts.files, env: process.env, args: opts.assignments });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
  const { roles } = opts;
  // The console is best effort: once whoever read our stdout or stderr is gone, a write
  // fails (EPIPE), and an unhandled stream error would end the Supervisor at once, leaving
  // real zeek nodes (which have no parent watch) running without it. Stop and log on.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const log = (level: string, msg: string): void => {
    (level === 'error' || level === 'warning' ? process.stderr : process.stdout).write(`${stamp()} ${level} supervisor: ${msg}\n`);
  };
  try {
    fs.mkdirSync(settings.nodesDir(), { recursive: true });
  } catch (err) {
    process.stderr.write(`error: cannot create state directory ${settings.nodesDir()}: ${(err as Error).message}\n`);
    return 1;
  }
  // The control port answers only the agent this Supervisor starts (supervisor/control-secret.ts).
  let secret: { secret: string; source: string } | undefined;
  if (roles.agent) {
    try {
      secret = supervisorSecretFromEnv(process.env);
    } catch (err) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const launcher = new InstanceLauncher(settings, { log, supervisorSecret: secret?.secret });
  const supervisor = new Supervisor({
    launcher,
    outputMaxLines: settings.num('Management::Supervisor::output_max_lines'),
    stdoutFile: settings.str('Management::Node::stdout_file'),
    stderrFile: settings.str('Management::Node::stderr_file'),
    printStdout: settings.bool('Management::Supervisor::print_stdout'),
    printStderr: settings.bool('Management::Supervisor::print_stderr'),
    log,
  });

  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  let control: SupervisorControlServer | null = null;
  if (roles.agent) {
    // As Zeek's agent boot script enables it: the Supervisor listens (locally) for its agent.
    const sup = settings.supervisorListen();
    control = new SupervisorControlServer(supervisor, {
      host: sup.address, port: sup.port,
      topicPrefix: settings.str('SupervisorControl::topic_prefix'),
      managementTopic: settings.str('Management::Supervisor::topic_prefix'),
      secret: secret!.secret,
      onStopRequest: () => stopRequested(),
      log: (level, msg) => { if (level !== 'debug') log(level, msg); },
    });
    try {
      await control.listen();
    } catch (err) {
      process.stderr.write(`error: Failed to listen on ${sup.address}:${sup.port} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
      return 1;
    }
    log('info', `listening for the agent on ${sup.address}:${sup.port} (only for the holder of the Supervisor secret, ${secret!.source})`);
    // Emulated nodes start from a start-up snapshot; build it (once per dist/ and node) while the agent starts.
    if (chooseRuntime(settings) === 'emulated') launcher.prepareEmulatedNodes();
  }

  const onSignal = (sig: string): void => {
    log('info', `received ${sig}, stopping`);
    stopRequested();
  };
  const sigint = (): void => onSignal('SIGINT');
  const sigterm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);

  if (roles.controller) {
    // Said here too, on this terminal: the controller's own warning goes to its log and stderr file.
    let exposed: string | null = null;
    try {
      exposed = clientPortWarning(controllerConfigFromEnv(process.env, controllerOverrides(settings)));
    } catch (err) {
      // The controller reports a setting it cannot use when it starts.
      log('warning', `controller settings: ${(err as Error).message}`);
    }
    if (exposed !== null) log('warning', exposed);
    const res = supervisor.create(nodeConfig(settings.controllerName(), {
      directory: settings.controllerDirectory(), bare_mode: true,
      addl_base_scripts: ['policy/frameworks/management/controller/main.zeek'],
      env: { ZEEK_MANAGEMENT_NODE: 'CONTROLLER' },
    }));
    if (res !== '') {
      process.stderr.write(`error: supervisor could not create controller node: ${res}\n`);
      stopRequested();
    }
  }
  if (roles.agent) {
    const res = supervisor.create(nodeConfig(settings.agentName(), {
      directory: settings.agentDirectory(), bare_mode: true,
      addl_base_scripts: ['policy/frameworks/management/agent/main.zeek'],
      env: { ZEEK_MANAGEMENT_NODE: 'AGENT' },
    }));
    if (res !== '') {
      process.stderr.write(`error: supervisor could not create agent node: ${res}\n`);
      stopRequested();
    }
  }

  await stopped;
  process.off('SIGINT', sigint);
  process.off('SIGTERM', sigterm);
  launcher.close();
  await supervisor.shutdown();
  await control?.close();
  log('info', 'stopped');
  return 0;
}

if (require.main === module) {
  runMain(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`fatal error: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
