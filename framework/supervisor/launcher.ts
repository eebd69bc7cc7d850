// What the Supervisor runs for a NodeConfig. Management nodes are marked as Zeek's boot
// scripts mark them (env ZEEK_MANAGEMENT_NODE=AGENT|CONTROLLER); cluster nodes run in the
// runtime the agent asked for (NodeConfig.runtime: "emulated" or "zeek").
// Every Node.js child gets parent-watch preloaded, so no process outlives the Supervisor.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAUNCH_ENV, NodeLaunchSpec, writeLaunchSpec } from '../node/launch-spec';
import { defaultZeekPath, writeZeekFiles, zeekCommand } from '../node/zeek/launch';
import { Settings } from '../settings/settings';
import { findExecutable } from '../agent/runtime-choice';
import { SECRET_ENV, SECRET_FILE_ENV } from './control-secret';
import { EmulatedNodeSnapshot, nodeSnapshotsEnabled } from './node-snapshot';
import { NodeConfig } from './records';
import { LaunchCommand, Launcher } from './supervisor';

export const SETTINGS_ENV = 'ZEEK_MGMT_SETTINGS';

/** The compiled tree (dist/): the Supervisor always starts compiled entry points. */
export function distRoot(): string {
  const here = __dirname; // dist/framework/supervisor or framework/supervisor (ts-node)
  const root = path.resolve(here, '..', '..');
  return __filename.endsWith('.ts') ? path.join(root, 'dist') : root;
}

export function entryPoint(rel: string): string {
  const file = path.join(distRoot(), rel);
  if (!fs.existsSync(file)) throw new Error(`cannot find ${file} (build with npm run build)`);
  return file;
}

/** Controller settings (framework/controller/config.ts) from this instance's settings. */
export function controllerOverrides(s: Settings): Record<string, unknown> {
  const agents = s.controllerListen();
  const ws = s.controllerWebsocketListen();
  return {
    name: s.controllerName(),
    defaultAddress: s.str('Management::default_address'),
    listenAddress: agents.address,
    listenPort: agents.port,
    listenAddressWebsocket: ws.address,
    listenPortWebsocket: ws.port,
    tlsWebsocket: s.get('Management::Controller::tls_options_websocket'),
    autoAssignBrokerPorts: s.bool('Management::Controller::auto_assign_broker_ports'),
    autoAssignBrokerStartPort: s.port('Management::Controller::auto_assign_broker_start_port').port,
    autoAssignMetricsPorts: s.bool('Management::Controller::auto_assign_metrics_ports'),
    autoAssignMetricsStartPort: s.port('Management::Controller::auto_assign_metrics_start_port').port,
    topic: s.str('Management::Controller::topic'),
    agentTopicPrefix: s.str('Management::Agent::topic_prefix'),
    directory: s.controllerDirectory(),
    stdoutFile: s.str('Management::Controller::stdout_file'),
    stderrFile: s.str('Management::Controller::stderr_file'),
    writeOutputFiles: false,
    stateDir: s.stateDir(),
    siteKeep: Math.max(1, s.num('ZeekMgmt::site_keep')),
    peerPingIntervalMs: s.num('ZeekMgmt::peer_ping_interval') * 1000,
    peerTimeoutMs: s.num('ZeekMgmt::peer_timeout') * 1000,
    requestTimeoutMs: s.num('Management::Request::timeout_interval') * 1000,
    connectRetryMs: s.num('Management::connect_retry') * 1000,
    disableSsl: s.bool('Broker::disable_ssl'),
    sslCafile: s.str('Broker::ssl_cafile'),
    sslCapath: s.str('Broker::ssl_capath'),
    sslCertificate: s.str('Broker::ssl_certificate'),
    sslKeyfile: s.str('Broker::ssl_keyfile'),
    sslPassphrase: s.str('Broker::ssl_passphrase'),
  };
}

export interface InstanceLauncherOptions {
  /** Extra node flags for emulated cluster nodes (memory limits). */
  emulatedNodeFlags?: string[];
  /** Start emulated nodes from a V8 start-up snapshot once one is built (node-snapshot.ts); default: unless ZEEK_MGMT_NODE_SNAPSHOT=0. */
  nodeSnapshot?: boolean;
  log?: (level: 'info' | 'warning' | 'error', msg: string) => void;
  /** The control port's secret (control-secret.ts): handed to the agent, and only to it, in ZEEK_MGMT_SUPERVISOR_SECRET. */
  supervisorSecret?: string;
}

/**
 * Default V8 flags that keep an emulated node small: no JIT (an emulated node does little
 * work; the optimizing compilers' code pages and buffers are what it saves), a tiny young
 * generation, a capped heap, one V8 worker thread. (--no-expose-wasm: --jitless turns
 * WebAssembly off, and without it V8 would print a warning about that into every node's stderr.)
 */
export const EMULATED_NODE_FLAGS = ['--jitless', '--no-expose-wasm', '--max-semi-space-size=1', '--max-old-space-size=64', '--v8-pool-size=1'];

/**
 * V8 flags of the agent: a young generation of 1 MB semi-spaces instead of up to 16 MB.
 * The agent idles between bursts of short-lived data (a deployment's create_requests, the
 * Supervisor's status replies read piece by piece); a large young generation only kept
 * ~6 MB more RSS at 200 nodes, with no measurable difference in CPU (bench/README.md).
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1'];

/**
 * Inherited environment variables an emulated node drops, because they make Node.js do
 * start-up work the node never uses: NODE_EXTRA_CA_CERTS makes Node.js 20 parse the whole
 * root store plus that file at start-up (about 60 ms of CPU per process with a system CA
 * bundle), and an emulated node opens no TLS connection. A NodeConfig that sets one of
 * them in its own env keeps it.
 */
export const EMULATED_NODE_DROPPED_ENV = ['NODE_EXTRA_CA_CERTS'];

/**
 * The Supervisor's own environment variables that no child inherits: the settings and
 * launch file (set per child), and the control port's secret, or the file holding it
 * (a cluster node runs any scripts and env a configuration gives it; only the agent gets
 * the secret, set explicitly).
 */
const NOT_INHERITED_ENV = new Set([SETTINGS_ENV, LAUNCH_ENV, SECRET_ENV, SECRET_FILE_ENV]);

export class InstanceLauncher implements Launcher {
  private zeekPath: string | null = null;
  private inheritedEnv: Record<string, string> | null = null;
  /** Settings do not change after start-up: what nodes get of them is computed once. */
  private nodeGlobals: { globals: NodeLaunchSpec['globals']; explicit: string[]; agent: { host: string; port: number } } | null = null;
  /** Start-up snapshot of emulated nodes; null when turned off. */
  readonly snapshot: EmulatedNodeSnapshot | null;

  constructor(readonly settings: Settings, readonly options: InstanceLauncherOptions = {}) {
    this.snapshot = (options.nodeSnapshot ?? nodeSnapshotsEnabled()) ? new EmulatedNodeSnapshot({
      distRoot: distRoot(),
      // Next to the compiled code it is built from; in the state directory when dist/ is read-only.
      cacheDirs: [path.join(distRoot(), '.snapshot'), path.join(settings.stateDir(), 'snapshot')],
      flags: this.emulatedNodeFlags,
      log: options.log,
    }) : null;
  }

  get emulatedNodeFlags(): string[] {
    return this.options.emulatedNodeFlags ?? EMULATED_NODE_FLAGS;
  }

  /** Gets the emulated nodes' start-up snapshot ready (in the background) before the first node is launched. */
  prepareEmulatedNodes(): void {
    this.snapshot?.prepare();
  }

  /** Stops background work (a snapshot build in progress). */
  close(): void {
    this.snapshot?.close();
  }

  private nodeArgs(entry: string, flags: string[] = []): string[] {
    return [...flags, '-r', entryPoint('framework/supervisor/parent-watch.js'), entryPoint(entry)];
  }

  private baseEnv(cfg: NodeConfig): Record<string, string> {
    // The Supervisor's own environment, read once: reading process.env goes through the C
    // library for every variable, which showed at 200 launches; nothing changes it later.
    if (!this.inheritedEnv) {
      this.inheritedEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !NOT_INHERITED_ENV.has(k)) this.inheritedEnv[k] = v;
    }
    return { ...this.inheritedEnv, ...cfg.env };
  }

  command(cfg: NodeConfig): LaunchCommand {
    const cwd = cfg.directory ?? process.cwd();
    const env = this.baseEnv(cfg);
    const role = cfg.env.ZEEK_MANAGEMENT_NODE;
    if (role === 'AGENT') {
      const secret = this.options.supervisorSecret;
      return {
        file: process.execPath, args: this.nodeArgs('framework/agent/main.js', AGENT_NODE_FLAGS), cwd,
        env: { ...env, [SETTINGS_ENV]: JSON.stringify(this.settings.toJSON()), ...(secret !== undefined ? { [SECRET_ENV]: secret } : {}) },
      };
    }
    if (role === 'CONTROLLER') {
      return { file: process.execPath, args: [...this.nodeArgs('framework/controller/main.js'), JSON.stringify(controllerOverrides(this.settings))], env, cwd };
    }
    if (role !== undefined) throw new Error(`unknown management node type '${role}'`);
    const self = cfg.cluster[cfg.name];
    if (!self) throw new Error(`node ${cfg.name} is not in its own cluster layout`);
    if (!this.nodeGlobals) {
      const agent = this.settings.agentListen();
      this.nodeGlobals = { globals: this.settings.nodeGlobals(), explicit: this.settings.explicitNodeGlobals(), agent: { host: agent.address, port: agent.port } };
    }
    const spec: NodeLaunchSpec = {
      name: cfg.name,
      directory: cwd,
      interface: cfg.interface,
      pcap_file: cfg.pcap_file,
      scripts: cfg.addl_user_scripts,
      cluster: cfg.cluster,
      globals: this.nodeGlobals.globals,
      explicitGlobals: this.nodeGlobals.explicit,
      agent: this.nodeGlobals.agent,
    };
    if ((cfg.runtime ?? 'emulated') === 'zeek') {
      const zeek = findExecutable(this.settings.str('Management::Agent::zeek_binary'));
      if (!zeek) throw new Error(`cannot find the zeek binary "${this.settings.str('Management::Agent::zeek_binary')}" for node ${cfg.name}`);
      this.zeekPath ??= defaultZeekPath(zeek);
      // Zeek's management scripts (persistence.zeek) steer rotated logs into
      // <Management::get_spool_dir()>/log-queue: the queue our agent archives.
      const cmd = zeekCommand(spec, zeek, this.zeekPath, { ...env, ZEEK_MANAGEMENT_SPOOL_DIR: this.settings.spoolDir() });
      writeZeekFiles(cwd, cmd.files);
      // No readiness probe: the node checks in with the agent itself (notify_node_hello over native Broker).
      return { file: cmd.file, args: cmd.args, env: cmd.env, cwd };
    }
    if (cfg.runtime !== null && cfg.runtime !== 'emulated') throw new Error(`unknown node runtime '${cfg.runtime}'`);
    const file = writeLaunchSpec(spec);
    for (const name of EMULATED_NODE_DROPPED_ENV) if (!(name in cfg.env)) delete env[name];
    // From the snapshot (which runs parent-watch and main.js itself), else from main.js.
    const fromSnapshot = this.snapshot?.launchArgs() ?? null;
    return {
      file: process.execPath,
      args: fromSnapshot ? [...this.emulatedNodeFlags, ...fromSnapshot] : this.nodeArgs('framework/node/emulated/main.js', this.emulatedNodeFlags),
      env: { ...env, CLUSTER_NODE: cfg.name, [LAUNCH_ENV]: file },
      cwd,
    };
  }
}
