// Deploy bench: `zeek-mgmt run controller` plus N `zeek-mgmt run agent` instances (each
// its own Supervisor) on this machine, emulated nodes; for each scenario the wall time of
// stage_configuration + deploy until the deploy response, and the peak RSS (VmHWM) of the
// controller, an agent and one emulated node (plus the node's private memory, since most
// of a Node.js process's RSS is the shared node binary).
//
// Scenarios: the documentation's mini config (1 agent), and 50, 100, 200 nodes over 1, 4
// and 8 agents. Every process is started fresh per scenario and stopped afterwards.
//
// It also reports the CPU time spent during the deploy by the emulated nodes, the
// Supervisors and the agents, how many nodes started from the start-up snapshot
// (framework/supervisor/node-snapshot.ts), and how much CPU time the rest of the machine
// used meanwhile ("others": on a machine shared with other work, what competed with the
// deploy for the same CPUs; from /proc/stat less this scenario's processes).
//
// Usage: node dist/bench/deploy.js [--json] [--only mini,50x1,200x8] [--repeat N] [--no-snapshot] [--redeploy]
//   --no-snapshot  runs with ZEEK_MGMT_NODE_SNAPSHOT=0: every node starts from main.js
//   --redeploy     afterwards deploys the same nodes again under a new configuration id (every
//                  node torn down and started again) and reports how long that took and the
//                  agent's peak RSS after it
// Targets: mini < 1 s; 200 nodes over 8 agents < 10 s; an emulated node < 40 MB RSS.

import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { instancesOf, nodeStatusesOf } from '../sdk/client/result-data';
import { parseConfigurationIni } from '../sdk/config/configuration-from-ini';
import { Configuration, Node } from '../sdk/model/schemas';
import { freePorts } from '../provider/free-ports';
import { cpuMs, cmdline, descendants, machineBusyMs } from './proc-cpu';
import { statusKB } from './proc-status';
import { readOptions } from './options';

const ROOT = path.resolve(__dirname, '..', '..');
const RUN = path.join(ROOT, 'dist/framework/run.js');
const MINI = path.resolve(ROOT, '../shared/reference/zeek-docs/frameworks/management/mini-config.ini');

interface Scenario { name: string; nodes: number; agents: number; mini?: boolean }
interface Figures {
  scenario: string; nodes: number; agents: number; deployMs: number; ok: boolean;
  controllerPeakMB: number;
  /** The first agent's Supervisor (its `zeek-mgmt run agent` process): peak RSS after the get_nodes that follows the deploy. */
  supervisorPeakMB: number;
  /** The first agent's peak RSS: when the deploy response arrived, and after the get_nodes that follows it. */
  agentDeployPeakMB: number; agentPeakMB: number; nodePeakMB: number; nodePrivateMB: number; nodeCpuMs: number;
  /** CPU time used while the deploy ran, in ms: all emulated nodes, all Supervisors (`zeek-mgmt run`), all agents, the controller. */
  deployCpuMs: { nodes: number; supervisors: number; agents: number; controller: number };
  /**
   * CPU time the whole machine was busy while the deploy ran, in ms, and of it what went to
   * processes that are not this scenario's (this bench's own process included): on a shared
   * machine, other users' work competing for the same CPUs.
   */
  machineCpuMs: number; othersCpuMs: number;
  /** Nodes started from the start-up snapshot. */
  fromSnapshot: number;
  /** With --redeploy: stage + deploy of the same nodes under a new id, until the response. */
  redeployMs?: number;
  /** With --redeploy: the first agent's peak RSS after it (its Supervisor status reply then lists every old node). */
  agentRedeployPeakMB?: number;
  loadAverage: number;
  failure?: string;
}

const TIMEOUT_SECS = 120;

const SCENARIOS: Scenario[] = [
  { name: 'mini', nodes: 4, agents: 1, mini: true },
  ...[50, 100, 200].flatMap((n) => [1, 4, 8].map((a) => ({ name: `${n}x${a}`, nodes: n, agents: a }))),
];

const stderrOf = new Map<ChildProcess, string>();
let runEnv: NodeJS.ProcessEnv = process.env;
let redeploy = false;

function start(args: string[]): ChildProcess {
  const p = spawn(process.execPath, [RUN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: runEnv });
  stderrOf.set(p, '');
  p.stderr!.on('data', (d) => stderrOf.set(p, (stderrOf.get(p)! + d).slice(-2000)));
  return p;
}

async function stop(procs: ChildProcess[]): Promise<void> {
  const all = procs.flatMap((p) => (p.pid ? [p.pid, ...descendants(p.pid)] : []));
  await Promise.all(procs.map((p) => new Promise<void>((r) => {
    if (p.exitCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
  })));
  for (const pid of all) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
}

function nodesFor(s: Scenario, agents: string[]): Configuration {
  if (s.mini) {
    let text = fs.readFileSync(MINI, 'utf8');
    if (!fs.existsSync('/sys/class/net/eth0')) text = text.replace(/interface = eth0/g, 'interface = lo');
    return parseConfigurationIni(text, { hostname: agents[0].replace(/^agent-/, '') });
  }
  const node = (name: string, role: Node['role'], i: number): Node => ({
    name, instance: agents[i % agents.length], role, state: 'RUNNING', port: null, scripts: null, options: null,
    interface: role === 'WORKER' ? 'lo' : null, cpu_affinity: null, env: {}, metrics_port: null,
  });
  const nodes: Node[] = [node('manager', 'MANAGER', 0), node('logger', 'LOGGER', 0)];
  const proxies = Math.max(1, Math.floor(s.nodes / 25));
  for (let i = 0; i < proxies; i++) nodes.push(node(`proxy-${i + 1}`, 'PROXY', i));
  for (let i = 0; nodes.length < s.nodes; i++) nodes.push(node(`worker-${String(i + 1).padStart(3, '0')}`, 'WORKER', i));
  return { id: `bench-${s.name}-${Date.now()}`, instances: agents.map((name) => ({ name, host: '127.0.0.1', listen_port: null })), nodes };
}

async function runScenario(s: Scenario): Promise<Figures> {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), `zeek-mgmt-bench-${s.name}-`));
  const ctl = await freePorts(2);
  const brokerStart = await freePorts(s.nodes + 5);
  const metricsStart = await freePorts(s.nodes + 5);
  // Generous request timeouts, so the figures show how long a deploy takes rather than
  // where Zeek's 5 s (agent) / 10 s (controller) defaults would cut it off.
  const common = [`Management::Request::timeout_interval=${TIMEOUT_SECS} secs`, `Management::state_dir=${state}`, `Management::spool_dir=${state}/spool`, 'Management::Agent::node_runtime=EMULATED',
    `Management::Controller::default_port=${ctl}/tcp`, `Management::Controller::default_port_websocket=${ctl + 1}/tcp`];
  const procs: ChildProcess[] = [start(['controller', ...common,
    `Management::Controller::auto_assign_broker_start_port=${brokerStart}/tcp`, `Management::Controller::auto_assign_metrics_start_port=${metricsStart}/tcp`])];
  const agents = s.mini ? [`agent-${os.hostname()}`] : Array.from({ length: s.agents }, (_, i) => `agent-bench-${i + 1}`);
  for (const name of agents) {
    const p = await freePorts(2);
    procs.push(start(['agent', ...common, `Management::Agent::name=${name}`, `Management::Agent::default_port=${p}/tcp`, `Broker::default_port=${p + 1}/tcp`,
      `Management::Agent::controller=[$address="127.0.0.1", $bound_port=${ctl}/tcp]`]));
  }
  let client: ControllerClient | null = null;
  try {
    client = await ControllerClient.connect({ port: ctl + 1, peeringAttempts: 150, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: TIMEOUT_SECS + 30 })
      .catch((err) => { throw new Error(`${(err as Error).message}; controller stderr: ${stderrOf.get(procs[0])}`); });
    const deadline = Date.now() + 30000;
    while (instancesOf(await client.getInstances()).length < agents.length) {
      if (Date.now() > deadline) throw new Error('agents did not check in');
      await new Promise((r) => setTimeout(r, 100));
    }
    const config = nodesFor(s, agents);
    // CPU time by kind of process (the nodes, which do not exist yet, start from 0).
    const supervisorPids = procs.map((p) => p.pid!);
    const managementPids = supervisorPids.flatMap((p) => descendants(p));
    const cpuOf = (pids: number[]): number => pids.reduce((a, p) => a + cpuMs(p), 0);
    const agentPids = managementPids.filter((p) => cmdline(p).includes('agent/main.js'));
    const controllerPids = managementPids.filter((p) => cmdline(p).includes('controller/main.js'));
    const cpu0 = { supervisors: cpuOf(supervisorPids), agents: cpuOf(agentPids), controller: cpuOf(controllerPids) };
    const loadAverage = os.loadavg()[0];
    const busy0 = machineBusyMs();
    const t0 = process.hrtime.bigint();
    const staged = await client.stageConfiguration(config);
    if (!staged[0]?.success) throw new Error(`staging failed: ${JSON.stringify(staged)}`);
    const results = await client.deploy();
    const deployMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const busy1 = machineBusyMs();
    const agentPid = descendants(procs[1].pid!).find((p) => cmdline(p).includes('agent/main.js'));
    const agentDeployKB = agentPid ? statusKB(agentPid, 'VmHWM') : 0;
    const cpu1 = { supervisors: cpuOf(supervisorPids), agents: cpuOf(agentPids), controller: cpuOf(controllerPids) };
    const perNode = results.filter((r) => r.node !== null);
    const ok = perNode.length === config.nodes.length && perNode.every((r) => r.success);
    const bad = results.find((r) => !r.success);
    const failure = ok ? undefined : `${perNode.length}/${config.nodes.length} node results; ${bad ? `${bad.node ?? bad.instance}: ${bad.error}` : ''}`;
    // Let the processes settle, then read the peaks.
    await new Promise((r) => setTimeout(r, 500));
    const statuses = (await client.getNodes()).flatMap((r) => nodeStatusesOf(r));
    const worker = statuses.find((x) => x.cluster_role === 'WORKER' && x.pid !== null);
    const nodePids = statuses.filter((x) => x.cluster_role !== 'NONE' && x.pid !== null).map((x) => x.pid!);
    // The nodes' CPU is read after the get_nodes (they did not exist before the deploy and
    // do next to nothing after checking in); the others' share is of the deploy only.
    const nodesCpu = cpuOf(nodePids);
    const nodeCpuMs = nodePids.length ? Math.round(nodesCpu / nodePids.length) : 0;
    const fromSnapshot = nodePids.filter((p) => cmdline(p).includes('--snapshot-blob')).length;
    const controllerPid = descendants(procs[0].pid!).find((p) => cmdline(p).includes('controller/main.js'));
    const mb = (kb: number): number => Math.round(kb / 102.4) / 10;
    const fig: Figures = {
      scenario: s.name, nodes: config.nodes.length, agents: agents.length, deployMs: Math.round(deployMs), ok,
      controllerPeakMB: mb(controllerPid ? statusKB(controllerPid, 'VmHWM') : 0),
      supervisorPeakMB: mb(statusKB(procs[1].pid!, 'VmHWM')),
      agentDeployPeakMB: mb(agentDeployKB),
      agentPeakMB: mb(agentPid ? statusKB(agentPid, 'VmHWM') : 0),
      nodePeakMB: mb(worker?.pid ? statusKB(worker.pid, 'VmHWM') : 0),
      nodePrivateMB: mb(worker?.pid ? statusKB(worker.pid, 'RssAnon') : 0),
      nodeCpuMs,
      deployCpuMs: { nodes: nodesCpu, supervisors: cpu1.supervisors - cpu0.supervisors, agents: cpu1.agents - cpu0.agents, controller: cpu1.controller - cpu0.controller },
      machineCpuMs: busy1 - busy0,
      othersCpuMs: Math.max(0, busy1 - busy0 - nodesCpu - (cpu1.supervisors - cpu0.supervisors) - (cpu1.agents - cpu0.agents) - (cpu1.controller - cpu0.controller)),
      fromSnapshot,
      loadAverage,
      failure,
    };
    if (redeploy && ok) {
      const again = { ...config, id: `${config.id}-again` };
      const t1 = process.hrtime.bigint();
      if (!(await client.stageConfiguration(again))[0]?.success) throw new Error('staging the redeployment failed');
      const res = await client.deploy();
      fig.redeployMs = Math.round(Number(process.hrtime.bigint() - t1) / 1e6);
      fig.agentRedeployPeakMB = mb(agentPid ? statusKB(agentPid, 'VmHWM') : 0);
      const good = res.filter((r) => r.node !== null && r.success).length;
      if (good !== config.nodes.length) fig.failure = `the redeployment brought ${good}/${config.nodes.length} nodes up`;
    }
    return fig;
  } finally {
    await client?.close().catch(() => undefined);
    await stop(procs);
    fs.rmSync(state, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = readOptions({ json: 'flag', only: 'text', repeat: 'count', 'no-snapshot': 'flag', redeploy: 'flag' }, { repeat: 1 });
  const json = o.json;
  const only = o.only !== undefined ? new Set(o.only.split(',')) : null;
  const repeat = o.repeat;
  if (o['no-snapshot']) runEnv = { ...process.env, ZEEK_MGMT_NODE_SNAPSHOT: '0' };
  redeploy = o.redeploy;
  if (!fs.existsSync(RUN)) throw new Error(`${RUN} missing: run npm run build first`);
  const scenarios = SCENARIOS.filter((s) => !only || only.has(s.name));
  if (scenarios.length === 0) throw new Error(`--only matched no scenario; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const rows: Figures[] = [];
  if (!json) {
    console.log(`${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}; load = 1-minute load average when the deploy started; CPU s = CPU time during the deploy; others = the machine's busy CPU time during the deploy not spent by this scenario's processes (other users, this bench)`);
    console.log('scenario  nodes agents  deploy ms  ok   load  controller MB  supervisor MB  agent MB: deploy, get_nodes  node MB (private)  node CPU ms  snapshot  CPU s: nodes  supervisors  agents  others');
  }
  for (const s of scenarios) {
    for (let i = 0; i < repeat; i++) {
      const f = await runScenario(s);
      rows.push(f);
      if (!json) {
        const c = f.deployCpuMs;
        const secs = (ms: number): string => (ms / 1000).toFixed(1);
        console.log(`${f.scenario.padEnd(8)}  ${String(f.nodes).padStart(5)} ${String(f.agents).padStart(6)}  ${String(f.deployMs).padStart(9)}  ${f.ok ? 'yes' : 'NO '}  ${f.loadAverage.toFixed(1).padStart(4)}  ${String(f.controllerPeakMB).padStart(13)}  ${String(f.supervisorPeakMB).padStart(13)}  ${String(f.agentDeployPeakMB).padStart(14)}, ${String(f.agentPeakMB).padStart(9)}  ${String(f.nodePeakMB).padStart(7)} (${String(f.nodePrivateMB).padStart(4)})  ${String(f.nodeCpuMs).padStart(11)}  ${`${f.fromSnapshot}/${f.nodes}`.padStart(8)}  ${secs(c.nodes).padStart(12)}  ${secs(c.supervisors).padStart(11)}  ${secs(c.agents).padStart(6)}  ${secs(f.othersCpuMs).padStart(6)}${f.redeployMs !== undefined ? `  redeploy ${f.redeployMs} ms, agent ${f.agentRedeployPeakMB} MB` : ''}${f.failure ? `  ${f.failure}` : ''}`);
      }
    }
  }
  const mini = rows.filter((r) => r.scenario === 'mini').map((r) => r.deployMs);
  const big = rows.filter((r) => r.scenario === '200x8').map((r) => r.deployMs);
  const node = Math.max(...rows.map((r) => r.nodePeakMB));
  const targets = {
    'mini < 1000 ms': mini.length ? Math.max(...mini) < 1000 : null,
    '200 nodes over 8 agents < 10000 ms': big.length ? Math.max(...big) < 10000 : null,
    'emulated node peak RSS < 40 MB': rows.length ? node < 40 : null,
  };
  if (json) console.log(JSON.stringify({ cpus: os.cpus().length, rows, targets }, null, 1));
  else for (const [k, v] of Object.entries(targets)) if (v !== null) console.log(`target ${k}: ${v ? 'met' : 'NOT met'}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
