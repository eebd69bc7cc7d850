// A management cluster on network-namespace hosts (test/helpers/netns.ts): `zeek-mgmt run
// controller` on the controller host, `zeek-mgmt run agent` with emulated nodes on each
// sensor host, native Broker over TLS with test certificates, and the CLI run inside the
// controller host. Shared by test/netns-links.test.ts and bench/netns-links.ts.

import * as assert from 'node:assert/strict';
import { ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTestCerts, TestCerts } from './certs';
import { createHosts, Hosts, NetnsHost } from './netns';
import { tempDir } from '../run-support';

/** The checkout: two levels up from test/helpers, three from dist/test/helpers (a bench's build). */
const ROOT = [path.resolve(__dirname, '../..'), path.resolve(__dirname, '../../..')].find((d) => fs.existsSync(path.join(d, 'package.json')))!;
export const RUN_JS = path.join(ROOT, 'dist/framework/run.js');
export const CLI_JS = path.join(ROOT, 'dist/cli/zeek-mgmt.js');
export const CONTROLLER_PORT = 2150;
export const WS_PORT = 2149;
export const AGENT_PORT = 2151;

export interface Proc {
  child: ChildProcess;
  out: () => string;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** How an agent reaches its controller: it dials `address:port`, or the controller dials it (`dial`). */
export type AgentLink = { dial: true } | { dial: false; address: string; port: number };

export class NetnsCluster {
  controller?: Proc;
  readonly agents = new Map<string, Proc>();
  readonly ctlDir: string;
  readonly agentsDir: string;

  private constructor(readonly hosts: Hosts, readonly certs: TestCerts, readonly settings: string[]) {
    this.ctlDir = tempDir('zeek-mgmt-netns-ctl-');
    this.agentsDir = tempDir('zeek-mgmt-netns-agents-');
  }

  /** `sensors` sensor hosts and a controller host; `settings` go to the controller and every agent. */
  static async create(sensors: number, settings: string[] = []): Promise<NetnsCluster> {
    const hosts = await createHosts(sensors);
    let certs: TestCerts;
    try {
      certs = makeTestCerts(hosts.all().map((h) => h.addr));
    } catch (err) {
      await hosts.teardown();
      throw err;
    }
    return new NetnsCluster(hosts, certs, settings);
  }

  private tls(): string[] {
    return [`Broker::ssl_cafile=${this.certs.caCert}`, `Broker::ssl_certificate=${this.certs.serverCert}`, `Broker::ssl_keyfile=${this.certs.serverKey}`];
  }

  private start(host: NetnsHost, args: string[]): Proc {
    const child = this.hosts.exec(host, [process.execPath, RUN_JS, ...args]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    return { child, out: () => out };
  }

  startController(extra: string[] = []): void {
    this.controller = this.start(this.hosts.controller, [
      'controller', `Management::state_dir=${this.ctlDir}`, `Management::spool_dir=${this.ctlDir}/spool`,
      `Management::Controller::default_port=${CONTROLLER_PORT}/tcp`, `Management::Controller::default_port_websocket=${WS_PORT}/tcp`,
      'Management::connect_retry=0.2 secs', ...this.tls(), ...this.settings, ...extra,
    ]);
  }

  /** The agent of `host`; by default it dials the controller's address directly. */
  startAgent(host: NetnsHost, link: AgentLink = { dial: false, address: this.hosts.controller.addr, port: CONTROLLER_PORT }, extra: string[] = []): void {
    const dir = path.join(this.agentsDir, host.name);
    fs.mkdirSync(dir, { recursive: true });
    this.agents.set(host.name, this.start(host, [
      'agent', `Management::state_dir=${dir}`, `Management::spool_dir=${dir}/spool`,
      'Broker::default_port=9999/tcp', `Management::Agent::default_port=${AGENT_PORT}/tcp`,
      `Management::Agent::name=${host.name}`, 'Management::Agent::node_runtime=EMULATED', 'Management::connect_retry=0.2 secs',
      link.dial ? 'Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]' : `Management::Agent::controller=[$address="${link.address}", $bound_port=${link.port}/tcp]`,
      ...this.tls(), ...this.settings, ...extra,
    ]));
  }

  private cliArgv(args: string[]): string[] {
    return ['ip', 'netns', 'exec', this.hosts.controller.ns, process.execPath, CLI_JS, '--controller', `127.0.0.1:${WS_PORT}`, ...args];
  }

  /** `zeek-mgmt ARGS` on the controller's host, to completion (the test's event loop waits). */
  cli(args: string[], input?: string): CliResult {
    const [cmd, ...rest] = this.cliArgv(args);
    const r = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 90000, input });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** `zeek-mgmt ARGS` on the controller's host, running while the test goes on. */
  cliAsync(args: string[], input?: string): Promise<CliResult> {
    const child = this.hosts.exec(this.hosts.controller, this.cliArgv(args).slice(4), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdin!.end(input ?? '');
    return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr })));
  }

  cliJson(args: string[], input?: string): any {
    const r = this.cli(args, input);
    assert.equal(r.status, 0, `zeek-mgmt ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout);
  }

  /** The instances get-instances lists. */
  connected(): string[] {
    return Object.keys(this.cliJson(['get-instances'])).sort();
  }

  /** get-nodes' per-instance node → pid ("sensor-1/manager" → 1234), whatever its exit status. */
  pids(): Map<string, number> {
    const r = this.cli(['get-nodes']);
    const out = JSON.parse(r.stdout);
    const m = new Map<string, number>();
    for (const [inst, nodes] of Object.entries<any>(out.results ?? {})) {
      for (const [name, st] of Object.entries<any>(nodes)) if (name !== inst && st.pid) m.set(`${inst}/${name}`, st.pid);
    }
    return m;
  }

  /**
   * Every cluster node process running in a sensor's namespace, found from /proc (the
   * Supervisor gives each node CLUSTER_NODE=<name>), whether or not get-nodes knows it:
   * "sensor-3/worker-3" → its pids.
   */
  nodeProcesses(): Map<string, number[]> {
    const m = new Map<string, number[]>();
    for (const host of this.hosts.sensors) {
      for (const pid of this.hosts.pids(host)) {
        let env: string;
        try {
          env = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
          if (/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
        } catch {
          continue; // exited meanwhile
        }
        const node = env.split('\0').find((e) => e.startsWith('CLUSTER_NODE='))?.slice('CLUSTER_NODE='.length);
        if (node === undefined) continue;
        const key = `${host.name}/${node}`;
        m.set(key, [...(m.get(key) ?? []), pid]);
      }
    }
    return m;
  }

  /** The controller's management.log (JSON lines), as text. */
  controllerLog(): string {
    let text = '';
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'management.log') text += fs.readFileSync(p, 'utf8');
      }
    };
    if (fs.existsSync(this.ctlDir)) walk(this.ctlDir);
    return text;
  }

  /** The last `n` characters of every process's output, for a failed test. */
  outputs(n = 2000): string {
    let s = this.controller ? `--- controller:\n${this.controller.out().slice(-n)}\n` : '';
    for (const [name, a] of this.agents) s += `--- ${name}:\n${a.out().slice(-n)}\n`;
    return s;
  }

  async stop(): Promise<void> {
    await this.hosts.teardown();
    for (const d of [this.ctlDir, this.agentsDir, this.certs.dir]) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** A cluster: manager and proxy on sensor-1, a logger on sensor-2, worker-i on sensor-i. */
export function clusterIni(hosts: Hosts, opts: { dialPorts?: Map<string, { host: string; port: number }>; extra?: string; move?: Record<string, string> } = {}): string {
  const lines = ['[instances]'];
  for (const s of hosts.sensors) {
    const d = opts.dialPorts?.get(s.name);
    lines.push(d ? `${s.name} = ${d.host}:${d.port}` : s.name);
  }
  lines.push('', '[manager]', 'instance = sensor-1', 'role = manager', '', '[proxy-1]', 'instance = sensor-1', 'role = proxy', '', '[logger-1]', 'instance = sensor-2', 'role = logger');
  hosts.sensors.forEach((s, i) => lines.push('', `[worker-${i + 1}]`, `instance = ${opts.move?.[`worker-${i + 1}`] ?? s.name}`, 'role = worker', 'interface = lo'));
  return `${lines.join('\n')}\n${opts.extra ?? ''}`;
}
