// Entry point of the agent process. The Supervisor (zeek-mgmt run) starts it with the
// instance's resolved settings in ZEEK_MGMT_SETTINGS; started by hand, it reads them
// from the environment and NAME=VALUE arguments like `zeek-mgmt run`. The Supervisor's
// secret comes in ZEEK_MGMT_SUPERVISOR_SECRET (from the Supervisor that spawned it) or
// from the file ZEEK_MGMT_SUPERVISOR_SECRET_FILE names (started by hand).

import { Settings } from '../settings/settings';
import { isAssignmentArg } from '../settings/sources';
import { Agent } from './agent';
import { chooseRuntime } from './runtime-choice';
import { SETTINGS_ENV } from '../supervisor/launcher';
import { agentSecretFromEnv, SECRET_ENV } from '../supervisor/control-secret';

function settingsFromProcess(argv: string[]): Settings {
  const json = process.env[SETTINGS_ENV];
  if (json) return Settings.fromJSON(JSON.parse(json));
  const files = argv.filter((a) => !isAssignmentArg(a));
  return Settings.resolve({ files, env: process.env, args: argv.filter(isAssignmentArg) });
}

async function main(): Promise<void> {
  let settings: Settings;
  try {
    settings = settingsFromProcess(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  }
  let supervisorSecret: string | undefined;
  try {
    supervisorSecret = agentSecretFromEnv(process.env);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  }
  // Not for anything this agent starts (the archival command).
  delete process.env[SECRET_ENV];
  const runtime = chooseRuntime(settings);
  const agent = new Agent({
    settings,
    runtime,
    supervisorSecret,
    log: (level, msg) => {
      if (level === 'debug') return;
      const line = `${new Date().toISOString()} ${level} ${msg}\n`;
      (level === 'error' || level === 'warning' ? process.stderr : process.stdout).write(line);
    },
  });
  const stop = (): void => {
    void agent.stop().then(() => process.exit(process.exitCode ?? 0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await agent.start();
  } catch (err) {
    process.stderr.write(`fatal error: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${new Date().toISOString()} info node runtime: ${runtime}\n`);
}

void main();
