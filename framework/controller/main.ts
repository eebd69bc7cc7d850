// The controller process.
//
// In-process (tests, benches, the supervisor if it prefers):
//
//   import { startController } from '.../framework/controller/main';
//   import { controllerConfigFromEnv } from '.../framework/controller/config';
//   const c = await startController(controllerConfigFromEnv(process.env, { listenPortWebsocket: 0, listenPort: 0 }));
//   c.wsPort; c.agentPort;   // the bound ports (null when not listening)
//   await c.close();
//
// As a process:
//
//   node dist/framework/controller/main.js [SETTINGS]
//
//   SETTINGS is optional: inline JSON (starting with "{") or the path of a JSON file,
//   an object of settings keyed by ControllerConfig field names or Zeek's names, e.g.
//   {"listenPortWebsocket": 0, "Management::Controller::auto_assign_broker_ports": false,
//    "Management::Request::timeout_interval": "2 sec"}.
//   The environment supplies the rest: ZEEK_CONTROLLER_NAME, ZEEK_CONTROLLER_ADDR,
//   ZEEK_CONTROLLER_PORT, ZEEK_CONTROLLER_WEBSOCKET_ADDR, ZEEK_CONTROLLER_WEBSOCKET_PORT,
//   ZEEK_MANAGEMENT_STATE_DIR (see config.ts).
//
//   Once listening it prints one line to stdout:
//     controller is live, name <name>, Broker port <addr>:<port>, websocket port <addr>:<port>
//   ("no Broker port" / "no Websocket port" when disabled); with an IPC channel (fork) it
//   also sends {type: 'controller-ready', wsPort, agentPort, pid}.
//   SIGTERM/SIGINT close it cleanly (exit 0). A start-up failure prints the reason to
//   stderr and exits 1. It works in its own directory (Management::Controller::directory,
//   default the cwd): management.log (JSON lines) goes there, and with writeOutputFiles
//   also the stdout/stderr files.

import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { Controller } from './controller';
import { ControllerConfig, controllerConfigFromEnv } from './config';

export interface RunningController {
  /** The bound WebSocket client port (2149 by default), null when not listening. */
  wsPort: number | null;
  /** The bound agent port (2150 by default), null when not listening. */
  agentPort: number | null;
  controller: Controller;
  close(): Promise<void>;
}

export async function startController(config: ControllerConfig): Promise<RunningController> {
  const controller = new Controller(config);
  await controller.start();
  return {
    wsPort: controller.wsPort,
    agentPort: controller.agentPort,
    controller,
    close: () => controller.close(),
  };
}

/** Reads the optional settings argument: inline JSON or a JSON file. */
export function readSettingsArgument(arg: string | undefined): Record<string, unknown> {
  if (arg === undefined || arg === '') return {};
  const text = arg.trimStart().startsWith('{') ? arg : fs.readFileSync(arg, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`controller settings are not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('controller settings must be a JSON object');
  return parsed as Record<string, unknown>;
}

async function main(): Promise<void> {
  // The controller is mostly idle and holds little; large configurations briefly need a
  // lot of transient memory. Prefer a small heap over peak speed.
  if (!process.execArgv.includes('--optimize-for-size')) v8.setFlagsFromString('--optimize-for-size');
  let running: RunningController;
  try {
    const config = controllerConfigFromEnv(process.env, readSettingsArgument(process.argv[2]));
    running = await startController(config);
  } catch (err) {
    process.stderr.write(`error: controller could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (process.send) process.send({ type: 'controller-ready', wsPort: running.wsPort, agentPort: running.agentPort, pid: process.pid });
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    running.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', () => undefined);
}

if (require.main === module) void main();
