// Scale bench (issue 24, "Scale"): 1,000 emulated nodes over 50 sensor hosts, each a Linux
// network namespace (test/helpers/netns.ts) with its own `zeek-mgmt run agent` connecting
// to a controller on a host of its own (native Broker, Zeek's default anonymous TLS). The
// bench drives the controller from its own namespace through a forward into the
// controller's host, stages and deploys one configuration (a manager, some loggers and
// proxies, the rest workers, the same number of nodes on every sensor), and reports:
//
//   - the deploy time: stage_configuration + deploy until the deploy response;
//   - the time until get_nodes shows every node RUNNING;
//   - the controller's peak RSS (VmHWM);
//   - CPU time by kind of process during the deploy (nodes, Supervisors, agents, the
//     controller) and what the rest of the machine used meanwhile (others);
//   - when the Supervisors spawned their nodes (first and last node's start time);
//   - memory: MemAvailable before the deploy less MemAvailable with every node running,
//     and the nodes' and management processes' private memory (RssAnon).
//
// It needs root and `ip` (it skips with the reason otherwise), and memory: about 12 MB per
// node plus 60 MB per host (measured: 11.5 MB private per node, ~35 MB per host's agent and
// Supervisor); it refuses to start when MemAvailable is below its estimate.
// Every process it starts is stopped by pid (SIGTERM to each `run`, which stops its
// nodes), then everything left in the namespaces is killed and the namespaces deleted, also
// on failure and on SIGINT/SIGTERM.
//
// Usage: node dist/bench/netns-scale.js [--hosts 50] [--per-host 20] [--repeat 1] [--cpu-prof DIR] [--json]
//   --cpu-prof DIR  the controller, every Supervisor and agent (not the nodes) write a V8 CPU
//                   profile into DIR/<host>/ when they exit (bench/cpu-profile-preload.ts,
//                   through NODE_OPTIONS), and DIR/window.json the span measured (from the
//                   stage request until all RUNNING) for bench/cpu-profile-top.ts; sampling
//                   costs CPU: take figures from runs without it
// Goal (issue 24): deploy and all RUNNING under 10 s on this 2-CPU machine.

import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { instancesOf, nodeStatusesOf } from '../sdk/client/result-data';
import { Configuration, Node } from '../sdk/model/schemas';
import { createHosts, Hosts, NetnsHost, netnsSkipReason } from '../test/helpers/netns';
import { cmdline, cpuMs, machineBusyMs } from './proc-cpu';
import { statusKB } from './proc-status';
import { readOptions } from './options';

const ROOT = path.resolve(__dirname, '..', '..');
const RUN = path.join(ROOT, 'dist/framework/run.js');
const CONTROLLER_PORT = 2150;
const WS_PORT = 2149;
const AGENT_PORT = 2151;
const TIMEOUT_SECS = 300;
/** Estimated memory per emulated node and per host (agent + Supervisor), MB. */
const NODE_MB = 12;
const HOST_MB = 60;

type Kind = 'nodes' | 'supervisors' | 'agents' | 'controller';

export interface ScaleFigures {
  hosts: number; nodes: number; ok: boolean; failure?: string;
  deployMs: number;
  allRunningMs: number | null;
  /** get_nodes calls it took until every node showed RUNNING. */
  getNodesCalls: number;
  controllerPeakMB: number;
  /** CPU time used by each kind of process from the stage request until all RUNNING, ms. */
  cpuMs: Record<Kind, number>;
  /** Busy CPU time of the whole machine in the same span, and what of it was not ours. */
  machineCpuMs: number; othersCpuMs: number;
  /** When the first and the last node process started, ms after the stage request (10 ms resolution). */
  firstSpawnMs: number; lastSpawnMs: number;
  fromSnapshot: number;
  /** MemAvailable before the deploy less MemAvailable with every node running, MB. */
  memoryUsedMB: number;
  /** Private memory (RssAnon) of all nodes, and of all Supervisors, agents and the controller, MB. */
  nodesPrivateMB: number; managementPrivateMB: number;
  loadAverage: number;
}

function memAvailableMB(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Start time of a process, in ms since boot (clock ticks of 10 ms). */
function startedAtMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) * 10;
  } catch {
    return NaN;
  }
}

function uptimeMs(): number {
  return Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
}

function kindOf(pid: number): Kind | null {
  const c = cmdline(pid);
  if (c.includes('controller/main.js')) return 'controller';
  if (c.includes('agent/main.js')) return 'agents';
  if (c.includes('--snapshot-blob') || c.includes('node/emulated/main.js')) return 'nodes';
  if (c.includes('framework/run.js')) return 'supervisors';
  return null;
}

/** The configuration: nodes spread evenly over the sensors (node i on sensor i mod hosts). */
export function scaleConfiguration(sensors: string[], perHost: number): Configuration {
  const total = sensors.length * perHost;
  const loggers = Math.max(1, Math.floor(total / 250));
  const proxies = Math.max(1, Math.floor(total / 100));
  const roles: Array<[string, Node['role']]> = [['manager', 'MANAGER']];
  for (let i = 1; i <= loggers; i++) roles.push([`logger-${i}`, 'LOGGER']);
  for (let i = 1; i <= proxies; i++) roles.push([`proxy-${i}`, 'PROXY']);
  for (let i = 1; roles.length < total; i++) roles.push([`worker-${String(i).padStart(4, '0')}`, 'WORKER']);
  const nodes: Node[] = roles.map(([name, role], i) => ({
    name, instance: sensors[i % sensors.length], role, state: 'RUNNING', port: null, scripts: null, options: null,
    interface: role === 'WORKER' ? 'lo' : null, cpu_affinity: null, env: {}, metrics_port: null,
  }));
  return { id: `scale-${total}-${Date.now()}`, instances: sensors.map((name) => ({ name, host: '0.0.0.0', listen_port: null })), nodes };
}

interface Started { host: NetnsHost; child: ChildProcess; out: () => string }

async function runOnce(hostCount: number, perHost: number, profileDir: string | undefined): Promise<ScaleFigures> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-scale-'));
  let hosts: Hosts | null = null;
  const started: Started[] = [];
  let client: ControllerClient | null = null;
  let forward: { port: number; close(): Promise<void> } | null = null;
  try {
    hosts = await createHosts(hostCount);
    const h = hosts;
    const start = (host: NetnsHost, args: string[]): Started => {
      let env: NodeJS.ProcessEnv | undefined;
      if (profileDir) {
        const dir = path.join(path.resolve(profileDir), host.name);
        fs.mkdirSync(dir, { recursive: true });
        const preload = path.join(__dirname, 'cpu-profile-preload.js');
        env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`.trim(), ZEEK_MGMT_BENCH_PROFILE_DIR: dir };
      }
      const child = h.exec(host, [process.execPath, RUN, ...args], env ? { env } : {});
      let out = '';
      const keep = (d: Buffer): void => void (out = (out + d).slice(-4000));
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      const s = { host, child, out: () => out };
      started.push(s);
      return s;
    };
    const common = (dir: string): string[] => [`Management::state_dir=${dir}`, `Management::spool_dir=${dir}/spool`, `Management::Request::timeout_interval=${TIMEOUT_SECS} secs`];
    const ctlDir = path.join(work, 'controller');
    fs.mkdirSync(ctlDir);
    const controller = start(h.controller, ['controller', ...common(ctlDir),
      `Management::Controller::default_port=${CONTROLLER_PORT}/tcp`, `Management::Controller::default_port_websocket=${WS_PORT}/tcp`]);
    for (const s of h.sensors) {
      const dir = path.join(work, s.name);
      fs.mkdirSync(dir);
      start(s, ['agent', ...common(dir), 'Broker::default_port=9999/tcp', `Management::Agent::default_port=${AGENT_PORT}/tcp`,
        `Management::Agent::name=${s.name}`, 'Management::Agent::node_runtime=EMULATED', 'Management::connect_retry=0.5 secs',
        `Management::Agent::controller=[$address="${h.controller.addr}", $bound_port=${CONTROLLER_PORT}/tcp]`]);
    }
    forward = await h.forward(h.controller, WS_PORT);
    client = await ControllerClient.connect({ port: forward.port, peeringAttempts: 300, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: TIMEOUT_SECS + 30 })
      .catch((err) => { throw new Error(`${(err as Error).message}; controller output: ${controller.out()}`); });
    const deadline = Date.now() + 180_000;
    for (;;) {
      const n = instancesOf(await client.getInstances()).length;
      if (n === hostCount) break;
      if (Date.now() > deadline) throw new Error(`${n}/${hostCount} agents checked in within 180 s; sensor-1 output: ${started[1]?.out()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // Let the agents' start-up settle (the snapshot, if a Supervisor builds one, is built once per cache directory).
    await new Promise((r) => setTimeout(r, 3000));

    const config = scaleConfiguration(h.sensors.map((s) => s.name), perHost);
    const management = new Map<number, Kind>();
    for (const host of h.all()) for (const pid of h.pids(host)) {
      const k = kindOf(pid);
      if (k && k !== 'nodes') management.set(pid, k);
    }
    const cpuByKind = (pids: Iterable<[number, Kind]>): Record<Kind, number> => {
      const out: Record<Kind, number> = { nodes: 0, supervisors: 0, agents: 0, controller: 0 };
      for (const [pid, k] of pids) out[k] += cpuMs(pid);
      return out;
    };
    const cpu0 = cpuByKind(management);
    const mem0 = memAvailableMB();
    const loadAverage = os.loadavg()[0];
    const busy0 = machineBusyMs();
    const up0 = uptimeMs();
    const t0 = process.hrtime.bigint();
    const since = (): number => Number(process.hrtime.bigint() - t0) / 1e6;

    const staged = await client.stageConfiguration(config);
    if (!staged[0]?.success) throw new Error(`staging failed: ${JSON.stringify(staged).slice(0, 2000)}`);
    const results = await client.deploy();
    const deployMs = since();
    const perNode = results.filter((r) => r.node !== null);
    const bad = results.filter((r) => !r.success);
    let failure = perNode.length === config.nodes.length && bad.length === 0 ? undefined
      : `${perNode.length}/${config.nodes.length} node results, ${bad.length} failed; first: ${bad[0] ? `${bad[0].node ?? bad[0].instance}: ${bad[0].error}` : '-'}`;

    let allRunningMs: number | null = null;
    let getNodesCalls = 0;
    let nodePids: number[] = [];
    const runningDeadline = Date.now() + TIMEOUT_SECS * 1000;
    while (Date.now() < runningDeadline) {
      getNodesCalls++;
      const statuses = (await client.getNodes()).flatMap((r) => nodeStatusesOf(r)).filter((x) => x.cluster_role !== 'NONE');
      const running = statuses.filter((x) => x.state === 'RUNNING' && x.pid !== null);
      if (running.length === config.nodes.length) {
        allRunningMs = since();
        nodePids = running.map((x) => x.pid!);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const busy1 = machineBusyMs();
    const cpu1 = cpuByKind(management);
    // The span measured, on the clock V8's profiles use (CLOCK_MONOTONIC, µs), for bench/cpu-profile-top.ts --window.
    if (profileDir) fs.writeFileSync(path.join(path.resolve(profileDir), 'window.json'), JSON.stringify({ startUs: Number(t0 / 1000n), endUs: Number(process.hrtime.bigint() / 1000n) }));
    const mem1 = memAvailableMB();
    if (allRunningMs === null) failure = `${failure ? `${failure}; ` : ''}get_nodes never showed all ${config.nodes.length} nodes RUNNING`;
    const cpu: Record<Kind, number> = {
      nodes: nodePids.reduce((a, p) => a + cpuMs(p), 0),
      supervisors: cpu1.supervisors - cpu0.supervisors,
      agents: cpu1.agents - cpu0.agents,
      controller: cpu1.controller - cpu0.controller,
    };
    const ours = cpu.nodes + cpu.supervisors + cpu.agents + cpu.controller;
    const starts = nodePids.map(startedAtMs).filter((x) => Number.isFinite(x)).map((x) => x - up0);
    const controllerPid = [...management].find(([, k]) => k === 'controller')?.[0];
    const mb = (kb: number): number => Math.round(kb / 102.4) / 10;
    return {
      hosts: hostCount, nodes: config.nodes.length, ok: failure === undefined, failure,
      deployMs: Math.round(deployMs), allRunningMs: allRunningMs === null ? null : Math.round(allRunningMs), getNodesCalls,
      controllerPeakMB: mb(controllerPid ? statusKB(controllerPid, 'VmHWM') : 0),
      cpuMs: cpu, machineCpuMs: busy1 - busy0, othersCpuMs: Math.max(0, busy1 - busy0 - ours),
      firstSpawnMs: starts.length ? Math.round(Math.min(...starts)) : NaN, lastSpawnMs: starts.length ? Math.round(Math.max(...starts)) : NaN,
      fromSnapshot: nodePids.filter((p) => cmdline(p).includes('--snapshot-blob')).length,
      memoryUsedMB: Math.round(mem0 - mem1),
      nodesPrivateMB: mb(nodePids.reduce((a, p) => a + statusKB(p, 'RssAnon'), 0)),
      managementPrivateMB: mb([...management.keys()].reduce((a, p) => a + statusKB(p, 'RssAnon'), 0)),
      loadAverage,
    };
  } finally {
    await client?.close().catch(() => undefined);
    await forward?.close().catch(() => undefined);
    // Each `run` stops its own nodes on SIGTERM; whatever is left goes with the namespaces.
    const running = started.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    await Promise.all(running.map((s) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      s.child.once('exit', () => { clearTimeout(timer); resolve(); });
      s.child.kill('SIGTERM');
    })));
    await hosts?.teardown();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = readOptions({ hosts: 'count', 'per-host': 'count', repeat: 'count', 'cpu-prof': 'text', json: 'flag' }, { hosts: 50, 'per-host': 20, repeat: 1 });
  const skip = netnsSkipReason();
  if (skip) {
    console.log(`skipped: ${skip}`);
    return;
  }
  if (!fs.existsSync(RUN)) throw new Error(`${RUN} missing: run npm run build first`);
  const need = o.hosts * o['per-host'] * NODE_MB + o.hosts * HOST_MB + 1024;
  const have = memAvailableMB();
  if (have < need) throw new Error(`not enough memory: ${o.hosts} hosts x ${o['per-host']} nodes need about ${Math.round(need)} MB, MemAvailable is ${Math.round(have)} MB (fewer --hosts or --per-host)`);
  // A signal still runs the namespaces' teardown (test/helpers/netns.ts tears down at exit).
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const rows: ScaleFigures[] = [];
  if (!o.json) {
    console.log(`${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GB, MemAvailable ${Math.round(have)} MB, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  }
  for (let i = 0; i < o.repeat; i++) {
    const f = await runOnce(o.hosts, o['per-host'], o['cpu-prof']);
    rows.push(f);
    if (!o.json) {
      const s = (ms: number): string => (ms / 1000).toFixed(1);
      console.log(`${f.nodes} nodes over ${f.hosts} hosts: deploy ${f.deployMs} ms, all RUNNING ${f.allRunningMs ?? '-'} ms (${f.getNodesCalls} get_nodes), ${f.ok ? 'ok' : `FAILED: ${f.failure}`}; load ${f.loadAverage.toFixed(1)} at the start`);
      console.log(`  controller peak RSS ${f.controllerPeakMB} MB; memory used ${f.memoryUsedMB} MB (nodes private ${f.nodesPrivateMB} MB, management private ${f.managementPrivateMB} MB); ${f.fromSnapshot}/${f.nodes} from the snapshot`);
      console.log(`  nodes spawned ${f.firstSpawnMs}-${f.lastSpawnMs} ms after the stage request`);
      console.log(`  CPU s until all RUNNING: nodes ${s(f.cpuMs.nodes)} (${Math.round(f.cpuMs.nodes / Math.max(1, f.nodes))} ms each), supervisors ${s(f.cpuMs.supervisors)}, agents ${s(f.cpuMs.agents)}, controller ${s(f.cpuMs.controller)}; machine ${s(f.machineCpuMs)}, of it others ${s(f.othersCpuMs)}`);
    }
  }
  const goal = rows.every((r) => r.ok && r.allRunningMs !== null && r.allRunningMs < 10_000);
  if (o.json) console.log(JSON.stringify({ cpus: os.cpus().length, rows, goal }, null, 1));
  else console.log(`goal deploy and all RUNNING < 10 s: ${goal ? 'met' : 'NOT met'}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
