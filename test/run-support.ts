// Helpers for tests that start real `zeek-mgmt run` processes: free ports, temp state
// directories, process-tree bookkeeping (every pid a test caused is found and verified
// gone afterwards) and polling.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..');
export const RUN_JS = path.join(REPO, 'dist/framework/run.js');
export const REFERENCE = path.resolve(REPO, '../shared/reference');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

import { freePorts } from '../provider/free-ports';

export { freePorts };

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat); // zombies count as gone
  } catch {
    return false;
  }
}

/** All descendants of pid (children, grandchildren, ...), from /proc. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) if (pp === p) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

export interface RunPorts {
  supervisor: number;
  agent: number;
  controller: number;
  websocket: number;
  brokerStart: number;
  metricsStart: number;
}

export interface RunHandle {
  proc: ChildProcess;
  pid: number;
  stateDir: string;
  ports: RunPorts;
  agentName: string;
  stdout: () => string;
  stderr: () => string;
  /** Pids of every process ever seen below this run (collected on each call and at stop). */
  seen: Set<number>;
  snapshot(): number[];
  /** SIGTERM, wait for exit; then SIGKILL anything left. Resolves with the pids that outlived the run's exit. */
  stop(signal?: NodeJS.Signals): Promise<number[]>;
}

export async function allocatePorts(): Promise<RunPorts> {
  const base = await freePorts(4);
  const nodes = await freePorts(40);
  return { supervisor: base, agent: base + 1, controller: base + 2, websocket: base + 3, brokerStart: nodes, metricsStart: nodes + 20 };
}

/** Starts `node dist/framework/run.js [roles] <settings for free ports and a temp state dir> [extra]`. */
export async function startRun(opts: { roles?: string[]; extra?: string[]; env?: NodeJS.ProcessEnv; ports?: RunPorts; stateDir?: string; agentName?: string } = {}): Promise<RunHandle> {
  if (!fs.existsSync(RUN_JS)) throw new Error(`${RUN_JS} missing: build first (npm run build)`);
  const ports = opts.ports ?? (await allocatePorts());
  const stateDir = opts.stateDir ?? tempDir('zeek-mgmt-run-');
  const agentName = opts.agentName ?? `agent-${os.hostname()}`;
  const args = [
    RUN_JS, ...(opts.roles ?? []),
    `Management::state_dir=${stateDir}`,
    `Management::spool_dir=${path.join(stateDir, 'spool')}`,
    `Broker::default_port=${ports.supervisor}/tcp`,
    `Management::Agent::default_port=${ports.agent}/tcp`,
    `Management::Controller::default_port=${ports.controller}/tcp`,
    `Management::Controller::default_port_websocket=${ports.websocket}/tcp`,
    `Management::Controller::auto_assign_broker_start_port=${ports.brokerStart}/tcp`,
    `Management::Controller::auto_assign_metrics_start_port=${ports.metricsStart}/tcp`,
    `Management::Agent::name=${agentName}`,
    'Management::Agent::node_runtime=EMULATED',
    ...(opts.extra ?? []),
  ];
  const env = { ...process.env, ...(opts.env ?? {}) };
  for (const k of ['ZEEK_AGENT_NAME', 'ZEEK_AGENT_PORT', 'ZEEK_AGENT_ADDR', 'ZEEK_CONTROLLER_PORT', 'ZEEK_CONTROLLER_WEBSOCKET_PORT', 'ZEEK_MANAGEMENT_STATE_DIR']) {
    if (!opts.env || !(k in opts.env)) delete env[k];
  }
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const seen = new Set<number>();
  const snapshot = (): number[] => {
    const d = proc.pid !== undefined ? descendants(proc.pid) : [];
    for (const p of d) seen.add(p);
    return d;
  };
  const handle: RunHandle = {
    proc, pid: proc.pid!, stateDir, ports, agentName, seen, snapshot,
    stdout: () => out,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      snapshot();
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill(signal);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
      }
      await new Promise((r) => setTimeout(r, 300));
      const left = [...seen].filter(alive);
      for (const p of left) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      return left;
    },
  };
  return handle;
}

/** What a run printed, and every file of under 1 MiB below its state directory (logs, node output), as one text. */
export function runText(run: RunHandle): string {
  let text = run.stdout() + run.stderr();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.statSync(p).size < 1 << 20) text += fs.readFileSync(p, 'utf8');
    }
  };
  if (fs.existsSync(run.stateDir)) walk(run.stateDir);
  return text;
}

/** Stops the runs (last started first) and removes the directories; fails if a process outlived its run. */
export async function stopRuns(runs: RunHandle[], dirs: string[] = []): Promise<void> {
  const left = (await Promise.all(runs.splice(0).reverse().map((r) => r.stop()))).flat();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  if (left.length > 0) throw new Error(`processes outlived their run: ${left.join(', ')}`);
}
