// Deploy time over a slow link (issue 24 point 2): a controller host and eight sensor hosts
// in network namespaces (test/helpers/netns-mgmt.ts), emulated nodes, native Broker over
// TLS with certificates. Sensor-6 is the slow one: its agent reaches the controller through
// a TCP relay in its namespace that holds every chunk 200 ms each way, and its veth has a
// tbf cap of 1 Mbit/s both ways. Rounds alternate between that and the same cluster with
// sensor-6's agent connecting directly, uncapped; each round deploys a configuration that
// differs from the one before (every agent restarts its nodes), timed as the user sees it
// (`zeek-mgmt deploy-config` run on the controller's host, spawn to exit), with the CPU
// time the controller and sensor-6's agent used meanwhile (/proc/PID/stat). Both
// directions of peering: agents connecting to the controller, then the controller
// connecting to the agents (see phase()).
//
//   npm run bench:netns [-- --rounds N] [--json]
//
// Needs root and `ip` (network namespaces); elsewhere it prints why and exits 0.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { netnsSkipReason, Relay } from '../test/helpers/netns';
import { AGENT_PORT, CLI_JS, clusterIni, CONTROLLER_PORT, NetnsCluster, RUN_JS } from '../test/helpers/netns-mgmt';

const SENSORS = 8;
const SLOW = 5; // sensor-6
const RELAY_PORT = 2160;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

/** utime + stime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** The pids of the children of `pid` whose command line contains `text` (the controller and agent below `run`). */
function childWith(pid: number, text: string): number | null {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text)) return Number(d);
    } catch {
      // gone
    }
  }
  return null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

type Figure = { wallMs: number; controllerCpuMs: number; agentCpuMs: number };

/**
 * One direction of peering. Agents connecting: sensor-6's agent is restarted to dial the
 * relay (slow) or the controller (direct). Controller connecting: the configuration names
 * sensor-6 at its relay's port (slow) or at its agent's port (direct), so the controller
 * peers anew with sensor-6 in every round of either kind.
 */
async function phase(dial: boolean, rounds: number): Promise<Record<'slow' | 'direct', Figure[]>> {
  const cluster = await NetnsCluster.create(SENSORS);
  const { hosts } = cluster;
  const slow = hosts.sensors[SLOW];
  let relay: Relay | null = null;
  const stopAgent = async (): Promise<void> => {
    const a = cluster.agents.get(slow.name);
    if (!a) return;
    const gone = new Promise<void>((r) => (a.child.exitCode !== null ? r() : a.child.once('exit', () => r())));
    a.child.kill('SIGTERM');
    await gone;
    cluster.agents.delete(slow.name);
  };
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    for (let i = 0; i < 120; i++) {
      try {
        if (ok()) return;
      } catch {
        // not up yet (the controller's port refuses, say)
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${what}:\n${cluster.outputs()}`);
  };
  let mode: boolean | null = null;
  /** Sensor-6 slow (relay and cap) or direct. */
  const setSlow = async (on: boolean): Promise<void> => {
    if (mode === on) return;
    mode = on;
    if (!dial) await stopAgent();
    if (relay) await relay.close();
    relay = null;
    if (on) {
      relay = dial
        ? await hosts.relay(slow, { host: slow.addr, port: RELAY_PORT }, { host: '127.0.0.1', port: AGENT_PORT }, 200)
        : await hosts.relay(slow, { host: '127.0.0.1', port: RELAY_PORT }, { host: hosts.controller.addr, port: CONTROLLER_PORT }, 200);
      hosts.cap(slow, '1mbit');
    } else {
      try { hosts.uncap(slow); } catch { /* not capped */ }
    }
    if (!dial) {
      cluster.startAgent(slow, on ? { dial: false, address: '127.0.0.1', port: RELAY_PORT } : undefined);
      await until('not every agent connected', () => cluster.connected().length === SENSORS);
    }
  };
  const figures: Record<'slow' | 'direct', Figure[]> = { slow: [], direct: [] };
  try {
    cluster.startController();
    for (const s of hosts.sensors) if (s !== slow || dial) cluster.startAgent(s, dial ? { dial: true } : undefined);
    if (dial) await until('not every agent listening', () => hosts.sensors.every((s) => hosts.execSync(s, ['ss', '-Htln', 'sport', `= :${AGENT_PORT}`]).trim() !== ''));
    // The untimed first deployment runs direct, so that every timed round changes the mode
    // (agents connecting: sensor-6's agent restarted before it; the controller connecting:
    // a new peering with sensor-6 within it).
    await setSlow(false);
    let n = 0;
    const deploy = (): Figure => {
      n++;
      const dialPorts = dial ? new Map(hosts.sensors.map((s) => [s.name, { host: s.addr, port: s === slow && mode ? RELAY_PORT : AGENT_PORT }])) : undefined;
      const ini = clusterIni(hosts, { dialPorts }).replace('[worker-6]\n', `[worker-6]\nenv = BENCH_ROUND=${n}\n`);
      const ctl = childWith(cluster.controller!.child.pid!, 'framework/controller/main.js');
      const agent = childWith(cluster.agents.get(slow.name)!.child.pid!, 'framework/agent/main.js');
      const c0 = ctl ? cpuMs(ctl) : 0;
      const a0 = agent ? cpuMs(agent) : 0;
      // An agent that has just checked in again gets DEPLOYED re-sent (Zeek's
      // notify_agents_ready); a deploy arriving meanwhile is refused as in Zeek ("earlier
      // deployment ... still pending"). Such attempts are retried and not timed.
      let t0 = process.hrtime.bigint();
      let r = cluster.cli(['deploy-config', '-'], ini);
      for (let tries = 0; tries < 50 && r.status === 1 && /earlier deployment \S+ still pending/.test(r.stdout); tries++) {
        spawnSync('sleep', ['0.2']);
        t0 = process.hrtime.bigint();
        r = cluster.cli(['deploy-config', '-'], ini);
      }
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`deploy-config failed (${r.status}): ${r.stdout}${r.stderr}`);
      const out = JSON.parse(r.stdout);
      if (out.errors.length > 0 || Object.keys(out.results.nodes ?? {}).length !== 3 + SENSORS) throw new Error(`deploy incomplete: ${r.stdout}`);
      return { wallMs, controllerCpuMs: ctl ? cpuMs(ctl) - c0 : NaN, agentCpuMs: agent ? cpuMs(agent) - a0 : NaN };
    };
    // A first deployment, untimed, so that every round replaces running nodes.
    deploy();
    // Strictly alternating, so that every timed round changes the mode.
    for (let i = 0; i < rounds; i++) {
      for (const m of ['slow', 'direct'] as const) {
        await setSlow(m === 'slow');
        figures[m].push(deploy());
      }
    }
  } finally {
    await cluster.stop();
  }
  return figures;
}

async function main(): Promise<void> {
  const rounds = arg('--rounds', 5);
  const json = process.argv.includes('--json');
  const skip = netnsSkipReason() ?? (fs.existsSync(RUN_JS) && fs.existsSync(CLI_JS) ? null : 'build first (npm run build)');
  if (skip) {
    console.log(`bench:netns skipped: ${skip}`);
    return;
  }
  const load0 = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  const results: Record<string, ReturnType<typeof summarize>> = {};
  const raw: Record<string, Record<'slow' | 'direct', Figure[]>> = {};
  for (const [name, dial] of [['agents connect', false], ['controller connects', true]] as const) {
    raw[name] = await phase(dial, rounds);
    results[name] = summarize(raw[name]);
  }
  const load = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  if (json) {
    console.log(JSON.stringify({ date: new Date().toISOString(), load_average_before: load0, load_average_after: load, rounds, results, figures: raw }, null, 2));
    return;
  }
  console.log(`bench:netns ${new Date().toISOString()}, load average before ${load0}, after ${load}; ${rounds} rounds of each kind, alternating; with the controller connecting, each deploy includes a new peering with sensor-6`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name}:`);
    for (const m of ['slow', 'direct'] as const) {
      const s = r[m];
      console.log(`  ${m === 'slow' ? 'sensor-6 slow (relay 200 ms each way, tbf 1 Mbit/s)' : 'sensor-6 direct, uncapped                          '}: deploy-config median ${s.wall_ms.median.toFixed(0)} ms (min ${s.wall_ms.min.toFixed(0)}, max ${s.wall_ms.max.toFixed(0)}); CPU medians: controller ${s.controller_cpu_ms_median} ms, sensor-6 agent ${s.slow_sensor_agent_cpu_ms_median} ms`);
    }
  }
}

function summarize(figures: Record<'slow' | 'direct', Figure[]>) {
  const one = (fs: Figure[]) => ({
    wall_ms: { median: median(fs.map((f) => f.wallMs)), min: Math.min(...fs.map((f) => f.wallMs)), max: Math.max(...fs.map((f) => f.wallMs)) },
    controller_cpu_ms_median: median(fs.map((f) => f.controllerCpuMs)),
    slow_sensor_agent_cpu_ms_median: median(fs.map((f) => f.agentCpuMs)),
    rounds: fs.length,
  });
  return { slow: one(figures.slow), direct: one(figures.direct) };
}

main().catch((err) => {
  console.error(`bench:netns failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
