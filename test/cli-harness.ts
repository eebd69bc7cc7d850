// Test harness for the zeek-mgmt CLI: runs the built CLI (package.json's bin, the bundle) as a
// real process, started as a program the way an installed bin is, and starts a live
// Management deployment with `zeek-mgmt run` (Supervisor, controller, agent and emulated
// cluster nodes) on free ports in a temporary state dir, stopping it again by pid.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts } from '../provider/free-ports';

/** The executable as installed: package.json's bin (dist/cli/zeek-mgmt.js, the bundled CLI). */
export const CLI_MAIN = path.resolve(__dirname, '..', (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')) as { bin: Record<string, string> }).bin['zeek-mgmt']);
export const REFERENCE_DIR = path.resolve(__dirname, '../../shared/reference/zeek-docs/frameworks/management');
export const HOST_AGENT = `agent-${os.hostname() || 'localhost'}`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** argv[1] as the program sees it (e.g. a link named zeek-client); run with node. */
  script?: string;
  /** Run the bin with node (`node dist/cli/zeek-mgmt.js`), not as a program: no sh launcher. */
  throughNode?: boolean;
  timeoutMs?: number;
}

/** An environment without the user's zeek-client settings, so tests see the defaults. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['ZEEK_CLIENT_CONFIG_FILE', 'ZEEK_CLIENT_CONFIG_SETTINGS', 'COLUMNS', 'NO_COLOR', 'FORCE_COLOR']) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  if (!fs.existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: build first (npx tsc -p tsconfig.json)`);
  return new Promise((resolve, reject) => {
    // The bin runs as a program, as a user runs it (its sh launcher starts node); other scripts with node.
    const [file, argv] = opts.script === undefined && !opts.throughNode ? [CLI_MAIN, args] : [process.execPath, [opts.script ?? CLI_MAIN, ...args]];
    const proc = spawn(file, argv, {
      cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`zeek-mgmt ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 20000} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, opts.timeoutMs ?? 20000);
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    proc.stdin.end(opts.input ?? '');
  });
}

export function tempDir(prefix = 'zeek-mgmt-cli-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A free port (see provider/local-cluster.ts). */
export const freePort = (): Promise<number> => freePorts(1);

/** A start port with `count` free ports after it (for the controller's port auto-assignment). */
export const freePortRange = (count: number): Promise<number> => freePorts(count);

export interface LiveCluster {
  proc: ChildProcess;
  pid: number;
  dir: string;
  /** The controller's WebSocket port: pass as --controller 127.0.0.1:<port>. */
  wsPort: number;
  controller: string;
  agentName: string;
  brokerStartPort: number;
  output(): string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Extra NAME=VALUE settings for zeek-mgmt run. */
  settings?: string[];
  /** Run only the controller (no agent, no nodes). */
  controllerOnly?: boolean;
  /** Management::Agent::name (default: zeek-client's agent-<hostname>). */
  agentName?: string;
}

/** `zeek-mgmt run` (controller + agent) on free ports; resolves once the agent has checked in. */
export async function startCluster(opts: ClusterOptions = {}): Promise<LiveCluster> {
  const dir = tempDir('zeek-mgmt-cli-run-');
  const [wsPort, ctlPort, agentPort, supervisorPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const brokerStartPort = await freePortRange(8);
  const metricsStartPort = await freePortRange(8);
  const env = cleanEnv({
    ZEEK_MANAGEMENT_STATE_DIR: dir,
    ZEEK_CONTROLLER_WEBSOCKET_PORT: String(wsPort),
    ZEEK_CONTROLLER_PORT: String(ctlPort),
    ZEEK_AGENT_PORT: String(agentPort),
    ZEEK_CONTROLLER_ADDR: '127.0.0.1',
    ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.1',
    ZEEK_AGENT_NAME: undefined,
    ZEEK_CONTROLLER_NAME: undefined,
    // Emulated nodes even where zeek is on PATH (AUTO would pick it); a test that wants real
    // nodes passes Management::Agent::node_runtime=ZEEK, which beats the env.
    ZEEK_MGMT_NODE_RUNTIME: 'Management::Agent::EMULATED',
  });
  const args = [
    CLI_MAIN, 'run', ...(opts.controllerOnly ? ['controller'] : []),
    `Broker::default_port=${supervisorPort}/tcp`,
    `Management::Controller::auto_assign_broker_start_port=${brokerStartPort}/tcp`,
    `Management::Controller::auto_assign_metrics_start_port=${metricsStartPort}/tcp`,
    ...(opts.agentName ? [`Management::Agent::name=${opts.agentName}`] : []),
    ...(opts.settings ?? []),
  ];
  const proc = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const cluster: LiveCluster = {
    proc,
    pid: proc.pid as number,
    dir,
    wsPort,
    controller: `127.0.0.1:${wsPort}`,
    agentName: opts.agentName ?? HOST_AGENT,
    brokerStartPort,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        process.kill(proc.pid as number, 'SIGTERM');
        const t = setTimeout(() => proc.exitCode === null && proc.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  // Ready when the agent shows in get-instances (or the controller answers, without an agent).
  const deadline = Date.now() + 15000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`zeek-mgmt run exited with ${proc.exitCode}: ${out}`);
    const r = await cli(['--controller', cluster.controller, '--set', 'client.peering_attempts=1', '-q', 'get-instances']).catch(() => null);
    if (r && r.code === 0 && (opts.controllerOnly || r.stdout.includes(`"${cluster.agentName}"`))) return cluster;
    if (Date.now() > deadline) {
      await cluster.stop();
      throw new Error(`zeek-mgmt run did not get ready within 15 s: ${out}`);
    }
    await new Promise((r2) => setTimeout(r2, 200));
  }
}

/** A reference file from the Zeek docs (read-only), with the docs' host name replaced by ours. */
export function reference(name: string): string {
  return fs.readFileSync(path.join(REFERENCE_DIR, name), 'utf8').replace(/agent-testbox/g, HOST_AGENT);
}

/** The output of a transcript (*.console): everything after the "$ command" line. */
export function transcriptOutput(name: string): string {
  const text = reference(name);
  return text.slice(text.indexOf('\n') + 1);
}

/**
 * The "shape" of a JSON value, for comparing with transcripts where ids, pids and ports
 * differ: objects keep their keys (recursively), scalars become their type.
 */
export function shape(v: unknown): unknown {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}
