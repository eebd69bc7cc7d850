// Zeek's own Management Framework and ours, side by side, driven by the same client code
// (ControllerClient) over the same WebSocket API, rounds alternating in one run:
//
//   controllers alone: `zeek -j policy/frameworks/management/controller` against
//   `zeek-mgmt run controller` (each a Supervisor with its controller below it, no agent):
//     - stage_configuration of 1,000 and 10,000 generated nodes (validation, port
//       assignment, persistence, answer), median per round;
//     - get_configuration of the staged 10,000-node configuration;
//     - get_instances from 16 concurrent clients, each sending its next request when its
//       answer arrived: requests/s and p99;
//     - the controller process's RSS idle and after the 10,000-node stage.
//   with an agent and real zeek nodes: `zeek -j .../controller .../agent` against
//   `zeek-mgmt run Management::Agent::node_runtime=Management::Agent::ZEEK`:
//     - stage + deploy of the documentation's mini configuration (workers on lo), timed to
//       the deploy response and until get_nodes shows every cluster node RUNNING.
//   200 nodes over 8 agents: ours (`bench/deploy.ts --only 200x8`, emulated nodes).
//
//   node dist/bench/vs-zeek.js [--rounds N] [--json] [--only stage,get-config,get-instances,deploy,deploy200]
//
// Without a zeek binary ($ZEEK, PATH or /opt/zeek/bin/zeek) only our column is measured.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { configurationOf, nodeStatusesOf } from '../sdk/client/result-data';
import { readConfigurationFile } from '../sdk/config';
import { Configuration } from '../sdk/model/schemas';
import { freePorts } from '../provider/free-ports';
import { startLocalCluster } from '../provider/local-cluster';
import { findZeek, startRealZeek, RealZeekManagement } from '../test/helpers/real-zeek';
import { bigConfig } from './big-config';
import { statusKB } from './proc-status';
import { getInstancesLoad } from './get-instances-load';
import { readOptions } from './options';
import { cpuWithReapedMs, ownCpuMs, selfCpuMs } from './proc-cpu';

const ROOT = path.resolve(__dirname, '..', '..');
const RUN = path.join(ROOT, 'dist/framework/run.js');
/** The documentation's mini configuration, from the shared reference next to the checkout (or next to the worktrees' parent). */
const MINI = ['..', '../..'].map((up) => path.resolve(ROOT, up, 'shared/reference/zeek-docs/frameworks/management/mini-config.ini')).find((f) => fs.existsSync(f))
  ?? path.resolve(ROOT, '../shared/reference/zeek-docs/frameworks/management/mini-config.ini');
const TIMEOUT_SECS = 300;
/** Where both controllers start assigning ports for the generated configurations (nothing binds them). */
const BROKER_START = 20000;
const METRICS_START = 30000;

type Side = 'zeek' | 'ours';
const SIDES: Side[] = ['zeek', 'ours'];

/** Median of the finite values (a failed round's NaN left out). */
const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Child pids of `pid` (Linux /proc). */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

/** CPU time used so far by a process tree: every live process's own and its reaped children's (an exited node counts in its reaper). */
function treeCpuMs(root: number): number {
  return [root, ...descendants(root)].reduce((sum, p) => sum + cpuWithReapedMs(p), 0);
}

function descendants(pid: number): number[] {
  const kids = children(pid);
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

interface Controllers {
  wsPort: number;
  /** The controller process (not its Supervisor). */
  controllerPid: number;
  stop(): Promise<void>;
}

/** Zeek's controller under Zeek's Supervisor; the controller is the stem's child. */
async function startZeekController(zeek: string): Promise<Controllers> {
  const z = await startRealZeek(zeek, {
    components: ['controller'],
    redefs: [`Management::Controller::auto_assign_broker_start_port=${BROKER_START}/tcp`, `Management::Controller::auto_assign_metrics_start_port=${METRICS_START}/tcp`],
  });
  // Supervisor -> stem -> controller: the controller is the deepest process.
  let pid = 0;
  for (let i = 0; i < 100 && pid === 0; i++) {
    const d = descendants(z.pid);
    const leaves = d.filter((p) => children(p).length === 0 && children(z.pid).indexOf(p) < 0);
    if (leaves.length === 1) pid = leaves[0];
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (pid === 0) throw new Error(`cannot find Zeek's controller process below ${z.pid}`);
  return { wsPort: z.wsPort, controllerPid: pid, stop: () => z.stop() };
}

/** `zeek-mgmt run controller`: our Supervisor with the controller as its child. */
async function startOurController(): Promise<Controllers> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-vs-zeek-'));
  const ws = await freePorts(3);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ZEEK_')) env[k] = v;
  Object.assign(env, {
    ZEEK_CONTROLLER_ADDR: '127.0.0.1', ZEEK_CONTROLLER_PORT: `${ws + 1}/tcp`,
    ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.1', ZEEK_CONTROLLER_WEBSOCKET_PORT: `${ws}/tcp`,
    ZEEK_MANAGEMENT_STATE_DIR: dir,
  });
  const proc: ChildProcess = spawn(process.execPath, [
    RUN, 'controller', `Broker::default_port=${ws + 2}/tcp`,
    `Management::Controller::auto_assign_broker_start_port=${BROKER_START}/tcp`,
    `Management::Controller::auto_assign_metrics_start_port=${METRICS_START}/tcp`,
  ], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 30000;
  while (!(await portOpen(ws))) {
    if (proc.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error('zeek-mgmt run controller did not listen');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = children(proc.pid!).find((p) => /framework\/controller\/main\.js/.test(cmdline(p)));
  if (pid === undefined) {
    await stop();
    throw new Error('cannot find our controller process');
  }
  return { wsPort: ws, controllerPid: pid, stop };
}

const connect = (port: number): Promise<ControllerClient> =>
  ControllerClient.connect({ host: '127.0.0.1', port, peeringAttempts: 20, peeringRetryDelaySecs: 0.5, requestTimeoutSecs: TIMEOUT_SECS });

/** Median of `n` stage_configuration round trips of a generated configuration (a new id each time), or the refusal. */
interface Timed { ms: number[]; error?: string; controllerCpuMs?: number; clientCpuMs?: number }

/** Runs `op` and records the controller's and this process's CPU time per completed call. */
async function withCpu(pid: number, run: () => Promise<Timed>): Promise<Timed> {
  const [c0, k0] = [ownCpuMs(pid), selfCpuMs()];
  const r = await run();
  const n = Math.max(1, r.ms.length);
  return { ...r, controllerCpuMs: (ownCpuMs(pid) - c0) / n, clientCpuMs: (selfCpuMs() - k0) / n };
}

async function stageMany(c: ControllerClient, nodes: number, n: number, tag: string): Promise<Timed> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const config = bigConfig(nodes, Math.max(1, Math.floor(nodes / 100)), `${tag}-${nodes}-${i}`);
    const t0 = process.hrtime.bigint();
    let res;
    try {
      res = await c.stageConfiguration(config);
    } catch (err) {
      return { ms: times, error: (err as Error).message };
    }
    times.push(ms(t0));
    const bad = res.filter((r) => !r.success);
    if (bad.length) return { ms: times, error: bad.map((r) => r.error).join('; ').slice(0, 300) };
  }
  return { ms: times };
}

async function getConfigMany(c: ControllerClient, n: number, expectNodes: number): Promise<Timed> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    let r;
    try {
      r = await c.getConfiguration(false);
    } catch (err) {
      return { ms: times, error: (err as Error).message };
    }
    times.push(ms(t0));
    const cfg: Configuration | null = r.success ? configurationOf(r) : null;
    if (!cfg || cfg.nodes.length !== expectNodes) return { ms: times, error: r.error ?? `got ${cfg?.nodes.length ?? 'no'} nodes` };
  }
  return { ms: times };
}

interface DeployFigures { responseMs: number; runningMs: number; ok: boolean; nodeMB: Record<string, number>; nodeCpuMs: number; treeCpuMs: number }

const MINI_NODES = ['logger', 'manager', 'worker-01', 'worker-02'];

/** Stage + deploy of the mini configuration, until the deploy response and until get_nodes shows every node RUNNING. */
async function deployMini(port: number, ini: string, root: number): Promise<DeployFigures> {
  const c = await connect(port);
  try {
    const config = await readConfigurationFile(ini);
    const cpu0 = treeCpuMs(root);
    const t0 = process.hrtime.bigint();
    await c.stageConfiguration(config);
    const res = await c.deploy();
    const responseMs = ms(t0);
    let runningMs = NaN;
    let statuses: ReturnType<typeof nodeStatusesOf> = [];
    for (const until = Date.now() + 60000; Date.now() < until;) {
      statuses = (await c.getNodes()).flatMap(nodeStatusesOf);
      if (MINI_NODES.every((n) => statuses.some((s) => s.node === n && s.state === 'RUNNING'))) {
        runningMs = ms(t0);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const tree = treeCpuMs(root) - cpu0;
    const nodeMB: Record<string, number> = {};
    let nodeCpu = 0;
    for (const n of MINI_NODES) {
      const pid = statuses.find((s) => s.node === n)?.pid;
      if (pid) {
        nodeMB[n] = statusKB(pid, 'VmHWM') / 1024;
        nodeCpu += cpuWithReapedMs(pid);
      }
    }
    return { responseMs, runningMs, ok: res.every((r) => r.success), nodeMB, nodeCpuMs: nodeCpu, treeCpuMs: tree };
  } finally {
    await c.close();
  }
}

interface Row { row: string; goal: string; zeek: string; ours: string; ratio: string; met: string; note?: string }

function ratioRow(row: string, goal: string, z: number | null, o: number, unit: string, goalRatio: number, higherIsBetter = false, note?: string): Row {
  const f = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  if (z === null || !Number.isFinite(z)) return { row, goal, zeek: '—', ours: `${f(o)} ${unit}`, ratio: '—', met: '—', note };
  const ratio = o / z;
  const met = higherIsBetter ? ratio >= goalRatio : ratio <= goalRatio;
  return { row, goal, zeek: `${f(z)} ${unit}`, ours: `${f(o)} ${unit}`, ratio: `${ratio.toFixed(2)}×`, met: met ? 'yes' : 'NO', note };
}

async function main(): Promise<void> {
  const o = readOptions({ rounds: 'count', json: 'flag', only: 'text', seconds: 'seconds' }, { rounds: 3, seconds: 3 });
  const only = new Set((o.only ?? 'stage,get-config,get-instances,deploy,deploy200').split(','));
  const zeek = findZeek();
  const version = zeek ? spawnSync(zeek, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^.*version /, '') : null;
  const sides: Side[] = zeek ? SIDES : ['ours'];
  const log = (s: string): void => { if (!o.json) console.log(s); };
  log(`vs-zeek bench: ${os.cpus().length} CPUs, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${zeek ? `Zeek ${version} (${zeek})` : 'no zeek binary (set ZEEK, put zeek on PATH or build it into /opt/zeek): our column only'}`);
  const rows: Row[] = [];
  const raw: Record<string, Record<Side, number[]>> = {};
  const put = (k: string, s: Side, v: number): void => { ((raw[k] ??= { zeek: [], ours: [] })[s]).push(v); };
  const errors: Record<string, Partial<Record<Side, string>>> = {};
  const loads: number[] = [os.loadavg()[0]];

  // ---- controllers alone ----
  if (['stage', 'get-config', 'get-instances'].some((x) => only.has(x))) {
    const ctl: Partial<Record<Side, Controllers>> = {};
    try {
      for (const s of sides) ctl[s] = s === 'zeek' ? await startZeekController(zeek!) : await startOurController();
      await new Promise((r) => setTimeout(r, 1000));
      for (const s of sides) put('rss-idle', s, statusKB(ctl[s]!.controllerPid, 'VmRSS') / 1024);
      for (let round = 1; round <= o.rounds; round++) {
        // Alternate who goes first.
        const order = round % 2 ? sides : [...sides].reverse();
        for (const s of order) {
          const c = await connect(ctl[s]!.wsPort);
          try {
            if (only.has('stage') || only.has('get-config')) {
              for (const [n, k] of [[1000, 5], [10000, 3]] as const) {
                if (errors[`stage${n}`]?.[s]) continue;
                const r = await withCpu(ctl[s]!.controllerPid, () => stageMany(c, n, k, `r${round}${s}`));
                for (const t of r.ms) put(`stage${n}`, s, t);
                put(`stage${n}-ctlcpu`, s, r.controllerCpuMs!);
                put(`stage${n}-clientcpu`, s, r.clientCpuMs!);
                if (r.error) (errors[`stage${n}`] ??= {})[s] = r.error;
                log(`round ${round} ${s.padEnd(4)} stage ${n} nodes: ${r.ms.map((t) => t.toFixed(1)).join(', ')} ms; CPU per stage: controller ${r.controllerCpuMs!.toFixed(0)} ms, client ${r.clientCpuMs!.toFixed(0)} ms${r.error ? ` (refused: ${r.error})` : ''}`);
              }
              put('rss-staged', s, statusKB(ctl[s]!.controllerPid, 'VmRSS') / 1024);
              put('hwm-staged', s, statusKB(ctl[s]!.controllerPid, 'VmHWM') / 1024);
            }
            if (only.has('get-config') && !errors.stage10000?.[s]) {
              const r = await withCpu(ctl[s]!.controllerPid, () => getConfigMany(c, 3, 10000));
              for (const t of r.ms) put('getconfig10000', s, t);
              put('getconfig10000-ctlcpu', s, r.controllerCpuMs!);
              put('getconfig10000-clientcpu', s, r.clientCpuMs!);
              if (r.error) (errors.getconfig10000 ??= {})[s] = r.error;
              log(`round ${round} ${s.padEnd(4)} get_configuration 10000 nodes: ${r.ms.map((t) => t.toFixed(1)).join(', ')} ms; CPU per request: controller ${r.controllerCpuMs!.toFixed(0)} ms, client ${r.clientCpuMs!.toFixed(0)} ms${r.error ? ` (${r.error})` : ''}`);
            }
          } finally {
            await c.close();
          }
          if (only.has('get-instances')) {
            const l = await getInstancesLoad(await Promise.all(Array.from({ length: 16 }, () => connect(ctl[s]!.wsPort))), ctl[s]!.controllerPid, o.seconds);
            put('gi-rps', s, l.reqPerSec);
            put('gi-ctlcpu', s, l.controllerCpuUs);
            put('gi-clientcpu', s, l.clientCpuUs);
            put('gi-p99', s, l.p99Ms);
            log(`round ${round} ${s.padEnd(4)} get_instances x16: ${l.reqPerSec.toFixed(0)} req/s, p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms (${l.requests} requests); CPU per request: controller ${l.controllerCpuUs.toFixed(0)} µs, client ${l.clientCpuUs.toFixed(0)} µs`);
          }
        }
        loads.push(os.loadavg()[0]);
      }
    } finally {
      for (const s of sides) await ctl[s]?.stop();
    }
  }

  // ---- mini deploy with real zeek nodes under each one's agent ----
  if (only.has('deploy')) {
    if (!zeek) {
      log('deploy of the mini config with real zeek nodes: no zeek binary, not measured');
    } else {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-vs-zeek-ini-'));
      const ini = path.join(tmp, 'mini-config.ini');
      fs.writeFileSync(ini, fs.readFileSync(MINI, 'utf8').replace(/eth0/g, 'lo'));
      let real: RealZeekManagement | null = null;
      let ours: Awaited<ReturnType<typeof startLocalCluster>> | null = null;
      try {
        real = await startRealZeek(zeek);
        ours = await startLocalCluster({ settings: ['Management::Agent::node_runtime=Management::Agent::ZEEK', `Management::Agent::zeek_binary=${zeek}`], timeoutMs: 60000 });
        // Zeek's agent checks in with its controller after start-up: wait until it has.
        const ports: Record<Side, number> = { zeek: real.wsPort, ours: ours.port };
        const roots: Record<Side, number> = { zeek: real.pid, ours: ours.pid };
        for (let round = 1; round <= o.rounds; round++) {
          const order = round % 2 ? sides : [...sides].reverse();
          for (const s of order) {
            const r = await deployMini(ports[s], ini, roots[s]);
            put('deploy-response', s, r.ok && Number.isFinite(r.runningMs) ? r.responseMs : NaN);
            if (!r.ok || !Number.isFinite(r.runningMs)) put('deploy-failed', s, 1);
            put('deploy-running', s, r.runningMs);
            put('deploy-node-cpu', s, r.nodeCpuMs);
            put('deploy-tree-cpu', s, r.treeCpuMs);
            log(`round ${round} ${s.padEnd(4)} mini deploy: response ${r.responseMs.toFixed(0)} ms, all RUNNING ${r.runningMs.toFixed(0)} ms${r.ok ? '' : ' (with failures)'}; CPU: new nodes ${r.nodeCpuMs.toFixed(0)} ms, whole tree ${r.treeCpuMs.toFixed(0)} ms; node peak RSS MB ${Object.entries(r.nodeMB).map(([n, m]) => `${n} ${m.toFixed(0)}`).join(', ')}`);
            for (const [n, m] of Object.entries(r.nodeMB)) put(`node-${n.startsWith('worker') ? 'worker' : n}-mb`, s, m);
          }
          loads.push(os.loadavg()[0]);
        }
      } finally {
        await real?.stop();
        await ours?.stop();
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    }
  }

  // ---- 200 nodes over 8 agents ----
  let deploy200: { deployMs: number; ok: boolean } | null = null;
  if (only.has('deploy200')) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/bench/deploy.js'), '--only', '200x8', '--json'], { encoding: 'utf8', timeout: 600000 });
    try {
      const row = JSON.parse(r.stdout).rows[0];
      deploy200 = { deployMs: row.deployMs, ok: row.ok };
      log(`ours 200 nodes over 8 agents (emulated): ${row.deployMs} ms${row.ok ? '' : ' (with failures)'}`);
    } catch {
      log(`200x8 deploy bench failed: ${r.stderr.slice(0, 500)}`);
    }
  }

  // ---- the table ----
  const m = (k: string, s: Side): number | null => (raw[k]?.[s]?.some(Number.isFinite) ? median(raw[k][s]) : null);
  const refused = (k: string): string | undefined => {
    const e = errors[k];
    return e ? Object.entries(e).map(([s, v]) => `${s === 'zeek' ? "Zeek's" : 'ours'} refused: ${v}`).join('; ') : undefined;
  };
  const cpuRows = (k: string, what: string, unit: string): void => {
    if (m(`${k}-ctlcpu`, 'ours') === null) return;
    rows.push(ratioRow(`${what}: controller CPU`, '(context)', m(`${k}-ctlcpu`, 'zeek'), m(`${k}-ctlcpu`, 'ours')!, unit, 0.1));
    rows.push(ratioRow(`${what}: client CPU (same code both sides)`, '(context)', m(`${k}-clientcpu`, 'zeek'), m(`${k}-clientcpu`, 'ours')!, unit, 0.1));
  };
  for (const n of [1000, 10000]) {
    if (m(`stage${n}`, 'ours') !== null) rows.push(ratioRow(`stage_configuration ${n.toLocaleString('en')} nodes, median`, '≤ 0.1×', m(`stage${n}`, 'zeek'), m(`stage${n}`, 'ours')!, 'ms', 0.1, false, refused(`stage${n}`)));
    cpuRows(`stage${n}`, `stage ${n.toLocaleString('en')}`, 'ms');
  }
  if (m('getconfig10000', 'ours') !== null) rows.push(ratioRow('get_configuration, 10,000 nodes staged, median', '≤ 0.1×', m('getconfig10000', 'zeek'), m('getconfig10000', 'ours')!, 'ms', 0.1, false, refused('getconfig10000')));
  cpuRows('getconfig10000', 'get_configuration 10,000', 'ms');
  if (m('gi-rps', 'ours') !== null) {
    rows.push(ratioRow('get_instances, 16 clients, requests/s (median of rounds)', '≥ 10×', m('gi-rps', 'zeek'), m('gi-rps', 'ours')!, 'req/s', 10, true));
    rows.push(ratioRow('get_instances, 16 clients, p99', '(≤ 0.1×)', m('gi-p99', 'zeek'), m('gi-p99', 'ours')!, 'ms', 0.1));
    cpuRows('gi', 'get_instances x16, per request', 'µs');
  }
  if (m('deploy-running', 'ours') !== null) {
    const failed = (s: Side): string => (raw['deploy-failed']?.[s]?.length ? `${raw['deploy-failed'][s].length} of ${raw['deploy-running'][s].length} ${s === 'zeek' ? "Zeek's" : 'our'} deploys failed or never showed all RUNNING, left out` : '');
    const note = [failed('zeek'), failed('ours')].filter(Boolean).join('; ') || undefined;
    rows.push(ratioRow('mini deploy, real zeek nodes, until get-nodes all RUNNING', '≤ 0.5×', m('deploy-running', 'zeek'), m('deploy-running', 'ours')!, 'ms', 0.5, false, note));
    rows.push(ratioRow('mini deploy, real zeek nodes, until the deploy response', '(≤ 0.5×)', m('deploy-response', 'zeek'), m('deploy-response', 'ours')!, 'ms', 0.5));
    rows.push(ratioRow('mini deploy: CPU of the 4 new zeek nodes until RUNNING', '(context)', m('deploy-node-cpu', 'zeek'), m('deploy-node-cpu', 'ours')!, 'ms', 0.5));
    rows.push(ratioRow('mini deploy: CPU of the whole process tree during it', '(context)', m('deploy-tree-cpu', 'zeek'), m('deploy-tree-cpu', 'ours')!, 'ms', 0.5));
  }
  if (deploy200) rows.push({ row: '200 nodes over 8 agents, deploy response', goal: 'report both', zeek: 'not run', ours: `${deploy200.deployMs} ms (emulated)`, ratio: '—', met: '—', note: '200 real Zeek nodes do not fit this machine (see bench/README.md)' });
  if (m('rss-idle', 'ours') !== null) {
    rows.push(ratioRow('controller RSS idle', '≤ 1×', m('rss-idle', 'zeek'), m('rss-idle', 'ours')!, 'MB', 1));
    if (m('rss-staged', 'ours') !== null) {
      rows.push(ratioRow('controller RSS after the 10,000-node stages', '≤ 1×', m('rss-staged', 'zeek'), m('rss-staged', 'ours')!, 'MB', 1));
      rows.push(ratioRow('controller peak RSS (VmHWM) after them', '(≤ 1×)', m('hwm-staged', 'zeek'), m('hwm-staged', 'ours')!, 'MB', 1));
    }
  }
  loads.push(os.loadavg()[0]);
  if (o.json) {
    console.log(JSON.stringify({ zeek: version, cpus: os.cpus().length, loads, rows, raw, errors, deploy200 }, null, 1));
    return;
  }
  console.log(`\n1-minute load average over the run: ${loads.map((x) => x.toFixed(1)).join(', ')}`);
  console.log(`| row | goal | Zeek ${version ?? '(none)'} | zeek-mgmt | ours / Zeek's | met |`);
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.row} | ${r.goal} | ${r.zeek} | ${r.ours} | ${r.ratio} | ${r.met}${r.note ? ` (${r.note})` : ''} |`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
