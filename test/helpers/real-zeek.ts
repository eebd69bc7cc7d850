// The real Zeek as a reference: finds a `zeek` binary and zeek-client, and starts Zeek's own
// Management Framework (`zeek -j policy/frameworks/management/controller
// policy/frameworks/management/agent`) on free ports in a temporary directory, stopping it
// again by pid. Suites that need these skip with a one-line reason where they are absent,
// as CI has neither.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts } from '../../provider/free-ports';
import { alive } from '../run-support';

/**
 * The zeek binary: $ZEEK, `zeek` on the PATH, or /opt/zeek/bin/zeek (where build-zeek.sh
 * installs it). Under CI (CI set) only an explicit $ZEEK counts: CI is meant to run without
 * Zeek, and a development machine's own build left on the CI machine would otherwise make
 * the real-Zeek suites (minutes of real node start-ups) part of every CI run.
 */
export function findZeek(): string | null {
  if (process.env.CI && !process.env.ZEEK?.trim()) return null;
  const candidates = [process.env.ZEEK?.trim(), 'zeek', '/opt/zeek/bin/zeek'].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 10000 });
    if (r.status === 0 && /zeek version/.test(r.stdout)) return c;
  }
  return null;
}

/** zeek-client as a command line: $ZEEK_CLIENT, or `zeek-client` on the PATH (also Zeek's own install). */
export function findZeekClient(zeek?: string | null): string[] | null {
  const fromEnv = process.env.ZEEK_CLIENT?.trim();
  if (fromEnv) return fromEnv.split(/\s+/);
  const scripts = ['zeek-client'];
  if (zeek) scripts.push(path.join(path.dirname(zeek), 'zeek-client'));
  // The script's `env python3` may find a Python without the websocket module (a pyenv
  // shim, say) where the system's Python has Debian's python3-websocket.
  const candidates: string[][] = scripts.flatMap((s) => [[s], ['/usr/bin/python3', s]]);
  for (const c of candidates) {
    const r = spawnSync(c[0], [...c.slice(1), '--version'], { encoding: 'utf8', timeout: 10000 });
    if (r.status === 0) return c;
  }
  return null;
}

export interface RealZeekManagement {
  proc: ChildProcess;
  pid: number;
  dir: string;
  /** The controller's WebSocket port (zeek-client's --controller). */
  wsPort: number;
  /** The controller's Broker port (agents connect here). */
  controllerPort: number;
  agentPort: number;
  supervisorPort: number;
  /** First port of the controller's Broker and metrics port auto-assignment. */
  brokerStartPort: number;
  metricsStartPort: number;
  agentName: string;
  stop(): Promise<void>;
}

export interface RealZeekOptions {
  /** Which of Zeek's components to run (default both). */
  components?: Array<'controller' | 'agent'>;
  agentName?: string;
  /** More `NAME=VALUE` redefs on the command line. */
  redefs?: string[];
  env?: Record<string, string>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}


/** Starts Zeek's Management Framework, waiting until the controller's WebSocket port answers. */
export async function startRealZeek(zeek: string, opts: RealZeekOptions = {}): Promise<RealZeekManagement> {
  const components = opts.components ?? ['controller', 'agent'];
  const base = await freePorts(4);
  const [wsPort, controllerPort, agentPort, supervisorPort] = [base, base + 1, base + 2, base + 3];
  const brokerStartPort = await freePorts(8);
  const metricsStartPort = await freePorts(8);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-real-zeek-'));
  const agentName = opts.agentName ?? `agent-${os.hostname()}`;
  const args = [
    '-j',
    ...components.map((c) => `policy/frameworks/management/${c}`),
    `Broker::default_port=${supervisorPort}/tcp`,
    `Management::Controller::auto_assign_broker_start_port=${brokerStartPort}/tcp`,
    `Management::Controller::auto_assign_metrics_start_port=${metricsStartPort}/tcp`,
    ...(opts.redefs ?? []),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ZEEK_CONTROLLER_PORT: `${controllerPort}/tcp`,
    ZEEK_CONTROLLER_WEBSOCKET_PORT: `${wsPort}/tcp`,
    ZEEK_CONTROLLER_ADDR: '127.0.0.1',
    ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.1',
    ZEEK_AGENT_PORT: `${agentPort}/tcp`,
    ZEEK_AGENT_ADDR: '127.0.0.1',
    ZEEK_AGENT_NAME: agentName,
    ZEEK_MANAGEMENT_STATE_DIR: path.join(dir, 'state'),
    ZEEK_MANAGEMENT_SPOOL_DIR: path.join(dir, 'spool'),
    ...opts.env,
  };
  for (const d of ['state', 'spool']) fs.mkdirSync(path.join(dir, d));
  const out = fs.openSync(path.join(dir, 'zeek.out'), 'a');
  const proc = spawn(zeek, args, { cwd: dir, env, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  const pid = proc.pid!;
  const stop = async (): Promise<void> => {
    // The Supervisor stops its nodes on SIGTERM; the process group catches any it leaves.
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      if (!alive(pid)) break;
      try {
        process.kill(-pid, sig);
      } catch {
        // gone already
      }
      const until = Date.now() + 10000;
      while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    }
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group is gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const waitPort = components.includes('controller') ? wsPort : agentPort;
  const until = Date.now() + 60000;
  while (!(await portOpen(waitPort))) {
    if (!alive(pid) || proc.exitCode !== null) {
      const log = fs.readFileSync(path.join(dir, 'zeek.out'), 'utf8');
      await stop();
      throw new Error(`zeek ${args.join(' ')} exited before listening on ${waitPort}: ${log}`);
    }
    if (Date.now() > until) {
      await stop();
      throw new Error(`zeek did not listen on ${waitPort} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { proc, pid, dir, wsPort, controllerPort, agentPort, supervisorPort, brokerStartPort, metricsStartPort, agentName, stop };
}
