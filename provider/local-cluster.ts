// An all-in-one `zeek-mgmt run` (Supervisor, controller, agent, emulated nodes) on free
// local ports in a temporary directory, for the provider's quickstart, bench and tests.
// Ready once the controller answers and knows the agent.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { instancesOf } from '../sdk/client/result-data';
import { freePorts } from './free-ports';
import { parseControllerAddress } from './inputs';

/** The compiled `zeek-mgmt run` entry point. */
export const RUN_MAIN = path.extname(__filename) === '.ts'
  ? path.join(__dirname, '..', 'dist', 'framework', 'run.js')
  : path.join(__dirname, '..', 'framework', 'run.js');

export interface LocalCluster {
  host: string;
  /** The controller's WebSocket port (clients, the provider). */
  port: number;
  /** The controller's Broker port (agents). */
  controllerBrokerPort: number;
  /** The agent's name, agent-<hostname> as Zeek names it. */
  agentName: string;
  /** First port the controller auto-assigns to managers, loggers and proxies. */
  brokerStartPort: number;
  /** First auto-assigned metrics port. */
  metricsStartPort: number;
  dir: string;
  pid: number;
  /** The Supervisor's stdout and stderr so far. */
  output(): string;
  /** SIGTERM to the Supervisor (which stops everything it runs), wait, remove the directory. */
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  /** Extra NAME=VALUE settings for zeek-mgmt run. */
  settings?: string[];
  /** How long to wait for the controller and agent (20 s). */
  timeoutMs?: number;
  /** Keep the directory after stop (default: remove it). */
  keepDir?: boolean;
  /** The `zeek-mgmt run` entry point to start (default RUN_MAIN, this copy's), e.g. an installed package's dist/framework/run.js. */
  runMain?: string;
}

export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const runMain = opts.runMain ?? RUN_MAIN;
  if (!fs.existsSync(runMain)) throw new Error(`${runMain} is missing: run "npm run build" first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-run-'));
  const [ws, ctl, agent, sup, brokerStart, metricsStart] = [
    await freePorts(), await freePorts(), await freePorts(), await freePorts(), await freePorts(10), await freePorts(10),
  ];
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ZEEK_')) env[k] = v;
  Object.assign(env, {
    ZEEK_CONTROLLER_ADDR: '127.0.0.1',
    ZEEK_CONTROLLER_PORT: `${ctl}/tcp`,
    ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.1',
    ZEEK_CONTROLLER_WEBSOCKET_PORT: `${ws}/tcp`,
    ZEEK_AGENT_ADDR: '127.0.0.1',
    ZEEK_AGENT_PORT: `${agent}/tcp`,
    ZEEK_MANAGEMENT_STATE_DIR: dir,
    ZEEK_MGMT_NODE_RUNTIME: 'Management::Agent::EMULATED',
  });
  const args = [
    runMain,
    `Broker::default_port=${sup}/tcp`,
    `Management::Controller::auto_assign_broker_start_port=${brokerStart}/tcp`,
    `Management::Controller::auto_assign_metrics_start_port=${metricsStart}/tcp`,
    ...(opts.settings ?? []),
  ];
  const proc: ChildProcess = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const agentName = `agent-${os.hostname() || 'localhost'}`;

  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      process.kill(proc.pid!, 'SIGTERM');
      const timer = setTimeout(() => { if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGKILL'); }, 10000);
      await exited;
      clearTimeout(timer);
    }
    if (!opts.keepDir) fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 20000);
  try {
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`zeek-mgmt run exited (${proc.exitCode ?? proc.signalCode}):\n${out}`);
      const known = await ControllerClient.connect({ host: '127.0.0.1', port: ws, peeringAttempts: 1, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 2 })
        .then(async (c) => {
          try {
            return instancesOf(await c.getInstances()).some((i) => i.name === agentName);
          } finally {
            await c.close();
          }
        }, () => false)
        .catch(() => false);
      if (known) break;
      if (Date.now() > deadline) throw new Error(`zeek-mgmt run: controller on 127.0.0.1:${ws} did not see ${agentName} in time:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host: '127.0.0.1', port: ws, controllerBrokerPort: ctl, agentName, brokerStartPort: brokerStart, metricsStartPort: metricsStart,
    dir, pid: proc.pid!, output: () => out, stop,
  };
}

/** The controller at `address` (host:port, either part may be left out), or, without one, a fresh local cluster to stop afterwards. */
export async function controllerOrLocalCluster(address: string | undefined, opts: LocalClusterOptions = {}): Promise<{ host: string; port: number; cluster?: LocalCluster }> {
  if (address !== undefined) {
    const a = parseControllerAddress(address);
    return { host: a.host ?? '127.0.0.1', port: a.port ?? 2149 };
  }
  const cluster = await startLocalCluster(opts);
  return { host: cluster.host, port: cluster.port, cluster };
}
