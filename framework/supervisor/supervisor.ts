// The Supervisor's process table (Zeek's Supervisor::create/destroy/restart/status):
// every node is a child process started in its own directory, its stdout and stderr
// captured to files there and kept as a window of recent lines; a node that dies is
// started again after a delay that doubles with each quick failure. Management nodes
// (agent, controller) are nodes like any other, marked by env ZEEK_MANAGEMENT_NODE.
// For `zeek-mgmt diag` (ours) it also keeps, per node, how its process last ended on its
// own (status or signal, when, its last output lines: the next start truncates the output
// files and the window) and how often it was started again since it was created.

import { ChildProcess, execFile, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BrokerData } from '../../sdk/broker/data';
import { NodeDiagnostics, NodeExit } from '../../sdk/model/diagnostics';
import { OutputLines } from './output-lines';
import { ClusterEndpoint, clusterToData, NodeConfig, nodeConfigToData, statusToData, SupervisedNodeStatus, SupervisorStatus } from './records';
import { StoredNodeConfigs } from './stored-node-configs';

export interface LaunchCommand {
  file: string;
  args: string[];
  /** Full environment of the process. */
  env: Record<string, string>;
  cwd: string;
}

/** Turns a node's configuration into the command that runs it; throws to refuse. */
export interface Launcher {
  command(cfg: NodeConfig): LaunchCommand;
}

export interface SupervisorOptions {
  launcher: Launcher;
  /** Management::Supervisor::output_max_lines. */
  outputMaxLines: number;
  /** Management::Node::stdout_file / stderr_file, used when the NodeConfig sets none. */
  stdoutFile: string;
  stderrFile: string;
  printStdout?: boolean;
  printStderr?: boolean;
  /** First restart delay in ms (Zeek: 1 s); doubles per quick failure up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A process that ran this long counts as healthy: its next failure restarts after the first delay again. */
  healthyAfterMs?: number;
  /** Time a process gets to exit after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  log?: (level: 'info' | 'warning' | 'error', msg: string) => void;
}

export interface SupervisorEvents {
  /** A node (re)started: Supervisor::node_status. */
  'node-status': [name: string, pid: number];
  /** A node's process ended on its own, with its recent output. */
  'node-exit': [name: string, outputs: { stdout: string; stderr: string }, code: number | null, signal: string | null];
}

class SupervisedNode {
  child: ChildProcess | null = null;
  pid: number | null = null;
  restartTimer: NodeJS.Timeout | null = null;
  restartDelay: number;
  spawnedAt = 0;
  removed = false;
  stopping: Promise<void> | null = null;
  readonly stdout: OutputLines;
  readonly stderr: OutputLines;
  /** Starts after the process ended on its own (or failed to start), since the node was created. */
  restarts = 0;
  /** How the process last ended on its own, with its last output. */
  lastExit: NodeExit | null = null;
  /** When the pending restart is due (ms since the epoch), while one is. */
  nextStartAt: number | null = null;

  constructor(readonly config: NodeConfig, opts: SupervisorOptions) {
    this.restartDelay = opts.restartDelayMs ?? 1000;
    const echo = (stream: NodeJS.WriteStream, on?: boolean) => (on ? (l: string) => stream.write(`[${config.name}] ${l}\n`) : undefined);
    this.stdout = new OutputLines(opts.outputMaxLines, echo(process.stdout, opts.printStdout));
    this.stderr = new OutputLines(opts.outputMaxLines, echo(process.stderr, opts.printStderr));
  }
}

/** A line longer than this is cut in diagnostics (the kept window and the files keep it whole). */
export const DIAGNOSTICS_LINE_CHARS = 4096;
/**
 * At most this much JSON text per diagnostics answer: it travels agent → controller → client
 * inside Broker messages of at most 16 MiB, with other instances' answers beside it.
 */
export const DIAGNOSTICS_BUDGET_BYTES = 2 * 1024 * 1024;

/**
 * The diagnostics as sent: every line at most DIAGNOSTICS_LINE_CHARS, and when the whole
 * would exceed `budget` bytes of JSON, every stream cut to its most recent lines (halving
 * their number) until it fits or one line of each is left.
 */
export function fitDiagnostics(list: NodeDiagnostics[], budget: number): NodeDiagnostics[] {
  const cut = (l: string): string => (l.length <= DIAGNOSTICS_LINE_CHARS ? l : `${l.slice(0, DIAGNOSTICS_LINE_CHARS)} [... ${l.length - DIAGNOSTICS_LINE_CHARS} more characters]`);
  const keep = (lines: string[], n: number): string[] => lines.slice(-n).map(cut);
  const withLines = (n: number): NodeDiagnostics[] => list.map((d) => ({
    ...d, stdout: keep(d.stdout, n), stderr: keep(d.stderr, n),
    last_exit: d.last_exit && { ...d.last_exit, stdout: keep(d.last_exit.stdout, n), stderr: keep(d.last_exit.stderr, n) },
  }));
  let most = Math.max(1, ...list.flatMap((d) => [d.stdout.length, d.stderr.length, d.last_exit?.stdout.length ?? 0, d.last_exit?.stderr.length ?? 0]));
  let out = withLines(most);
  while (most > 1 && Buffer.byteLength(JSON.stringify(out)) > budget) {
    most = Math.floor(most / 2);
    out = withLines(most);
  }
  return out;
}

let tasksetAvailable: boolean | undefined;

function hasTaskset(): boolean {
  if (tasksetAvailable === undefined) {
    tasksetAvailable = (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, 'taskset')));
  }
  return tasksetAvailable;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly nodes = new Map<string, SupervisedNode>();
  /** The nodes' NodeConfigs as kept: equal cluster layouts shared, strings copied out of the requests. */
  private readonly configs = new StoredNodeConfigs();
  private shuttingDown = false;

  constructor(readonly options: SupervisorOptions) {
    super();
  }

  private log(level: 'info' | 'warning' | 'error', msg: string): void {
    this.options.log?.(level, msg);
  }

  /**
   * `cfg` in the form the Supervisor keeps (own strings, a layout equal to a node's shared
   * with it; stored-node-configs.ts); create() takes it as it is. Holds nothing.
   */
  compact(cfg: NodeConfig): NodeConfig {
    return this.configs.compact(cfg);
  }

  /** Supervisor::create: '' on success, else the error. */
  create(cfg: NodeConfig): string {
    if (this.shuttingDown) return 'supervisor is shutting down';
    if (cfg.name === '') return 'node names must not be an empty string';
    if (cfg.name.includes('/')) return `node names must not contain '/' characters: '${cfg.name}'`;
    if (this.nodes.has(cfg.name)) return `node with name '${cfg.name}' already exists`;
    if (cfg.directory) {
      try {
        fs.mkdirSync(cfg.directory, { recursive: true });
      } catch (err) {
        return `failed to create working directory ${cfg.directory}: ${(err as Error).message}`;
      }
    }
    const kept = this.configs.acquire(cfg);
    let cmd: LaunchCommand;
    try {
      cmd = this.options.launcher.command(kept);
    } catch (err) {
      this.configs.release(kept);
      return (err as Error).message;
    }
    const node = new SupervisedNode(kept, this.options);
    this.nodes.set(cfg.name, node);
    this.spawn(node, cmd);
    return '';
  }

  private outputFile(node: SupervisedNode, which: 'stdout' | 'stderr'): string | null {
    const name = (which === 'stdout' ? node.config.stdout_file : node.config.stderr_file) ?? (which === 'stdout' ? this.options.stdoutFile : this.options.stderrFile);
    if (!name) return null;
    return path.resolve(node.config.directory ?? '.', name);
  }

  private spawn(node: SupervisedNode, given?: LaunchCommand): void {
    if (node.removed || this.shuttingDown) return;
    let cmd: LaunchCommand;
    try {
      cmd = given ?? this.options.launcher.command(node.config);
    } catch (err) {
      node.stderr.line(`error: ${(err as Error).message}`);
      this.recordExit(node, null, null, 0);
      this.scheduleRestart(node);
      return;
    }
    node.stdout.open(this.outputFile(node, 'stdout'));
    node.stderr.open(this.outputFile(node, 'stderr'));
    let child: ChildProcess;
    try {
      child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      node.stderr.line(`error: cannot start ${cmd.file}: ${(err as Error).message}`);
      this.recordExit(node, null, null, 0);
      this.scheduleRestart(node);
      return;
    }
    node.child = child;
    node.spawnedAt = Date.now();
    child.stdout!.on('data', (d: Buffer) => node.stdout.write(d));
    child.stderr!.on('data', (d: Buffer) => node.stderr.write(d));
    child.on('error', (err) => {
      // Spawn failures (ENOENT, EACCES) arrive here, followed by 'close'.
      node.stderr.line(`error: cannot start ${cmd.file}: ${err.message}`);
    });
    child.on('close', (code, signal) => this.exited(node, child, code, signal));
    if (child.pid === undefined) return;
    node.pid = child.pid;
    this.log('info', `node ${node.config.name} started, pid ${child.pid}`);
    if (node.config.cpu_affinity !== null) this.pin(node, child.pid, node.config.cpu_affinity);
    this.emit('node-status', node.config.name, child.pid);
  }

  /** Applies cpu_affinity with taskset; a failure is reported in the node's stderr, as Zeek's nodes report theirs. */
  private pin(node: SupervisedNode, pid: number, cpu: number): void {
    const report = (why: string): void => {
      node.stderr.line(`warning: node '${node.config.name}' failed to set CPU affinity to ${cpu}: ${why}`);
      this.log('warning', `node ${node.config.name}: failed to set CPU affinity to ${cpu}: ${why}`);
    };
    if (!hasTaskset()) return report('taskset is not available on this system');
    execFile('taskset', ['-pc', String(cpu), String(pid)], (err, _out, stderr) => {
      if (err && node.child?.pid === pid) report((stderr || err.message).trim());
    });
  }

  private exited(node: SupervisedNode, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (node.child !== child) return;
    node.child = null;
    node.stdout.flush();
    node.stderr.flush();
    if (node.stopping || node.removed || this.shuttingDown) {
      node.stdout.close();
      node.stderr.close();
      return;
    }
    this.log('warning', `node ${node.config.name} (pid ${node.pid}) exited ${signal ? `on signal ${signal}` : `with code ${code}`}`);
    this.recordExit(node, code, signal, Date.now() - node.spawnedAt);
    this.emit('node-exit', node.config.name, { stdout: node.stdout.text(), stderr: node.stderr.text() }, code, signal);
    node.stdout.close();
    node.stderr.close();
    const healthy = this.options.healthyAfterMs ?? 30000;
    if (Date.now() - node.spawnedAt >= healthy) node.restartDelay = this.options.restartDelayMs ?? 1000;
    this.scheduleRestart(node);
  }

  private scheduleRestart(node: SupervisedNode): void {
    if (node.removed || this.shuttingDown) return;
    const delay = node.restartDelay;
    node.restartDelay = Math.min(delay * 2, this.options.maxRestartDelayMs ?? 60000);
    this.log('info', `restarting node ${node.config.name} in ${delay / 1000} s`);
    node.nextStartAt = Date.now() + delay;
    node.restartTimer = setTimeout(() => {
      node.restartTimer = null;
      node.nextStartAt = null;
      node.restarts++;
      this.spawn(node);
    }, delay);
  }

  /** Keeps how the process ended (code and signal null: it did not start) and its last lines, for diagnostics(). */
  private recordExit(node: SupervisedNode, code: number | null, signal: string | null, ranMs: number): void {
    node.lastExit = {
      time: Date.now() / 1000, code, signal, ran: Math.max(0, ranMs) / 1000,
      stdout: node.stdout.recent(), stderr: node.stderr.recent(),
    };
  }

  /** Terminates a node's current process (SIGTERM, then SIGKILL), without removing it. */
  private stopProcess(node: SupervisedNode): Promise<void> {
    if (node.restartTimer) {
      clearTimeout(node.restartTimer);
      node.restartTimer = null;
    }
    const child = node.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    if (node.stopping) return node.stopping;
    node.stopping = new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), this.options.stopTimeoutMs ?? 5000);
      child.once('close', () => {
        clearTimeout(kill);
        node.stopping = null;
        resolve();
      });
      child.kill('SIGTERM');
    });
    return node.stopping;
  }

  /** Supervisor::destroy: stops and forgets a node ('' = all); false when there was none. */
  async destroy(name: string): Promise<boolean> {
    const targets = name === '' ? [...this.nodes.values()] : this.nodes.has(name) ? [this.nodes.get(name)!] : [];
    if (targets.length === 0) return name === '';
    for (const n of targets) {
      n.removed = true;
      this.nodes.delete(n.config.name);
      this.configs.release(n.config);
    }
    await Promise.all(targets.map((n) => this.stopProcess(n)));
    for (const n of targets) this.log('info', `node ${n.config.name} destroyed`);
    return true;
  }

  /** Supervisor::restart: stops a node ('' = all) and starts it again right away. */
  async restart(name: string): Promise<boolean> {
    const targets = name === '' ? [...this.nodes.values()] : this.nodes.has(name) ? [this.nodes.get(name)!] : [];
    if (targets.length === 0) return name === '';
    await Promise.all(targets.map(async (n) => {
      await this.stopProcess(n);
      n.restartDelay = this.options.restartDelayMs ?? 1000;
      if (!n.removed) this.spawn(n);
    }));
    return true;
  }

  /** Supervisor::status for one node or all (''). */
  status(name = ''): SupervisorStatus {
    const nodes: Record<string, SupervisedNodeStatus> = {};
    for (const n of this.nodes.values()) {
      if (name !== '' && n.config.name !== name) continue;
      nodes[n.config.name] = { node: n.config, pid: n.pid };
    }
    return { nodes };
  }

  /**
   * What `zeek-mgmt diag` shows of one node or all (''), ours: whether a process runs
   * (pid, since when, its last lines) or a restart is pending, how often the node was
   * started again after its process ended, and how it last ended.
   */
  diagnostics(name = ''): NodeDiagnostics[] {
    return fitDiagnostics(this.allDiagnostics(name), DIAGNOSTICS_BUDGET_BYTES);
  }

  private allDiagnostics(name: string): NodeDiagnostics[] {
    const out: NodeDiagnostics[] = [];
    for (const n of this.nodes.values()) {
      if (name !== '' && n.config.name !== name) continue;
      const running = n.child !== null && n.child.exitCode === null && n.child.signalCode === null && n.pid !== null;
      const mgmt = n.config.env.ZEEK_MANAGEMENT_NODE;
      out.push({
        node: n.config.name, instance: '',
        cluster_role: n.config.cluster[n.config.name]?.role ?? 'NONE',
        mgmt_role: mgmt === 'AGENT' || mgmt === 'CONTROLLER' ? mgmt : 'NONE',
        state: running ? 'RUNNING' : 'CRASHED',
        pid: running ? n.pid : null, started: running ? n.spawnedAt / 1000 : null,
        next_start: running || n.nextStartAt === null ? null : n.nextStartAt / 1000,
        restarts: n.restarts,
        directory: n.config.directory !== null ? path.resolve(n.config.directory) : null,
        stdout_file: this.outputFile(n, 'stdout'), stderr_file: this.outputFile(n, 'stderr'),
        stdout: running ? n.stdout.recent() : [], stderr: running ? n.stderr.recent() : [],
        last_exit: n.lastExit,
      });
    }
    return out;
  }

  /**
   * Supervisor::status in Broker form: statusToData(status(name)), each node's NodeConfig
   * built once around its shared cluster layout. `known`: the encoded text of each shared
   * layout subtree, for the encoder (see stored-node-configs.ts).
   */
  statusData(name = ''): { data: BrokerData; known: Map<BrokerData, string> } {
    return { data: statusToData(this.status(name), (cfg) => this.configs.toData(cfg)), known: this.configs.knownTexts() };
  }

  /**
   * statusData for our own agent (ZeekMgmt::SupervisorControl::status_request): each
   * NodeConfig's cluster table holds only the node's own endpoint, O(nodes) in all.
   */
  ownEndpointStatusData(name = ''): BrokerData {
    return statusToData(this.status(name), (cfg) => {
      const own = cfg.cluster[cfg.name];
      return nodeConfigToData(cfg, clusterToData(own ? { [cfg.name]: own } : {}));
    });
  }

  /** A cluster layout as compact() keeps it (see StoredNodeConfigs.compactLayout). */
  compactLayout(cluster: Record<string, ClusterEndpoint>): Record<string, ClusterEndpoint> {
    return this.configs.compactLayout(cluster);
  }

  /** How many distinct cluster layouts the Supervisor holds (for tests and diagnostics). */
  get layouts(): number {
    return this.configs.layouts;
  }

  /** Pids of every live process, for tests and shutdown checks. */
  pids(): number[] {
    return [...this.nodes.values()].flatMap((n) => (n.child?.pid !== undefined && n.child.exitCode === null ? [n.child.pid] : []));
  }

  /** Stops every node and refuses new ones. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const all = [...this.nodes.values()];
    this.nodes.clear();
    for (const n of all) {
      n.removed = true;
      this.configs.release(n.config);
    }
    await Promise.all(all.map((n) => this.stopProcess(n)));
  }
}
