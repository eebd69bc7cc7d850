// One emulated node's start-up cost: the CPU time a node process has used by the moment
// its notify_node_hello reaches the agent, started alone (no other node starting beside
// it), next to the floor of any Node.js process with the node's flags.
//
// Variants, run alternately round by round (so that a change of machine load hits them
// all alike):
//   snapshot   the node as the Supervisor starts it: node FLAGS --snapshot-blob BLOB
//              (the blob is built here with the dist's own snapshot-entry.js and flags)
//   main       the node from main.js: node FLAGS -r parent-watch.js main.js
//   empty      a Node.js process with the same flags running a script that only opens a
//              TCP connection to this bench (the check-in of a process that does nothing)
//   bare       the same script without the flags
//   shared     a prototype of another process model, not what the Supervisor does: one
//              process with the node's flags runs --parallel K emulated nodes (EmulatedNode
//              of the dist's node.js, each with its own launch description, ports and agent
//              link); its CPU until the last check-in, divided by K, is the row's figure.
//              Not a node as management knows one (no pid, signals or exit of its own).
// Every variant runs without NODE_EXTRA_CA_CERTS, as the Supervisor starts emulated nodes;
// --with-ca-certs keeps this process's value for all of them.
//
// CPU time is read from /proc at the check-in: the sum over the process's threads of
// /proc/PID/task/TID/schedstat (time on a CPU, in ns), and utime+stime of /proc/PID/stat
// (10 ms ticks) as a cross-check; the child is then killed (SIGKILL, by pid).
//
// --dist DIR measures another build (an older commit's dist/, say): its main.js, its
// snapshot-entry.js (when it has one), its launcher's EMULATED_NODE_FLAGS and its
// launch-description writer. The agent side is this tree's.
//
// Usage: node dist/bench/node-start.js [--dist DIR] [--rounds N] [--only snapshot,main,empty,bare,shared]
//                                      [--cluster N] [--parallel K] [--idle S] [--flags "--jitless ..."] [--with-ca-certs] [--json]
//   --parallel K  K processes of a variant start at once in each round (default 1: one
//              alone), to see what starting many side by side does to each one's CPU time
//   --idle S   also reads how much CPU each process uses in the S seconds after its check-in
//              (a node that has checked in should be idle; V8's own housekeeping is not)
//   --flags    the node's V8 flags instead of the dist's EMULATED_NODE_FLAGS ("" for none), for
//              snapshot, main and empty alike (the snapshot is built with them)

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { B } from '../sdk/broker/data';
import { NodeApi } from '../sdk/model/events';
import { EndpointServer } from '../sdk/transport/endpoint-server';
import { freePorts } from '../provider/free-ports';
import { readOptions } from './options';

const THIS_DIST = path.resolve(__dirname, '..');
const VARIANTS = ['snapshot', 'main', 'empty', 'bare', 'shared'] as const;
type Variant = (typeof VARIANTS)[number];

export interface StartFigures {
  /** CPU time on the process's threads at check-in (schedstat), ms. */
  cpuMs: number;
  /** utime + stime at check-in (10 ms ticks), ms. */
  tickMs: number;
  /** Spawn to check-in, ms. */
  wallMs: number;
  /** Minor page faults at check-in. */
  minflt: number;
  /** With --idle S: CPU time (schedstat) used in the S seconds after the check-in, ms. */
  idleCpuMs?: number;
}

/** CPU figures of a live process: schedstat over its threads (ns → ms), ticks, minor faults. */
export function processCpu(pid: number): { cpuMs: number; tickMs: number; minflt: number } {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread gone
    }
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpuMs: ns / 1e6, tickMs: (Number(f[11]) + Number(f[12])) * 10, minflt: Number(f[7]) };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function quantile(xs: number[], q: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

interface Dist {
  root: string;
  flags: string[];
  main: string;
  parentWatch: string;
  snapshotEntry: string | null;
  writeSpec: (spec: unknown) => string;
  globals: () => { globals: Record<string, unknown>; explicit: string[] };
}

function loadDist(root: string): Dist {
  const req = (rel: string): any => require(path.join(root, rel));
  const main = path.join(root, 'framework/node/emulated/main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} missing: --dist must name a built dist/ directory`);
  const launcher = req('framework/supervisor/launcher.js');
  const flags: string[] = Array.isArray(launcher.EMULATED_NODE_FLAGS) ? launcher.EMULATED_NODE_FLAGS : [];
  const entry = path.join(root, 'framework/node/emulated/snapshot-entry.js');
  const { Settings } = req('framework/settings/settings.js');
  const { writeLaunchSpec } = req('framework/node/launch-spec.js');
  return {
    root, flags, main,
    parentWatch: path.join(root, 'framework/supervisor/parent-watch.js'),
    snapshotEntry: fs.existsSync(entry) ? entry : null,
    writeSpec: writeLaunchSpec,
    globals: () => {
      const s = Settings.resolve({ env: {}, args: [], baseDir: os.tmpdir() });
      return { globals: s.nodeGlobals(), explicit: s.explicitNodeGlobals() };
    },
  };
}

function buildSnapshot(d: Dist, dir: string, env: NodeJS.ProcessEnv): string {
  const blob = path.join(dir, 'node.blob');
  const r = spawnSync(process.execPath, [...d.flags, '--no-warnings', '--snapshot-blob', blob, '--build-snapshot', d.snapshotEntry!], { env, encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`building the snapshot failed (${r.status ?? r.signal}): ${(r.stderr || '').trim().slice(-800)}`);
  return blob;
}

/** Starts one child and resolves at its check-in with the CPU it has used; the child is killed then. */
function measure(child: ChildProcess, t0: bigint, checkedIn: Promise<void>, idleMs: number, timeoutMs = 30000): Promise<StartFigures> {
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  child.stdout?.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no check-in within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    const onExit = (code: number | null, sig: string | null): void => done(new Error(`exited (${code ?? sig}) before checking in; stderr: ${stderr}`));
    child.once('exit', onExit);
    const done = (err: Error | null, fig?: StartFigures): void => {
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (err) reject(err);
      else resolve(fig!);
    };
    checkedIn.then(() => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      try {
        const fig: StartFigures = { ...processCpu(child.pid!), wallMs };
        if (idleMs <= 0) return done(null, fig);
        clearTimeout(timer);
        setTimeout(() => {
          try {
            done(null, { ...fig, idleCpuMs: processCpu(child.pid!).cpuMs - fig.cpuMs });
          } catch (err) {
            done(err as Error);
          }
        }, idleMs);
      } catch (err) {
        done(err as Error);
      }
    }, (err) => done(err as Error));
  });
}

async function main(): Promise<void> {
  const o = readOptions({ dist: 'text', rounds: 'count', only: 'text', cluster: 'count', parallel: 'count', idle: 'seconds', flags: 'text', 'with-ca-certs': 'flag', json: 'flag' }, { rounds: 20, cluster: 200, parallel: 1 });
  if (process.platform !== 'linux') throw new Error('this bench reads /proc: Linux only');
  const d = loadDist(path.resolve(o.dist ?? THIS_DIST));
  if (o.flags !== undefined) d.flags = o.flags.split(/\s+/).filter(Boolean);
  const only = o.only !== undefined ? o.only.split(',') : VARIANTS.filter((v) => v !== 'shared');
  for (const v of only) if (!(VARIANTS as readonly string[]).includes(v)) throw new Error(`--only: unknown variant '${v}'; variants: ${VARIANTS.join(', ')}`);
  const variants = only as Variant[];
  if (variants.includes('snapshot') && !d.snapshotEntry) throw new Error(`${d.root} has no snapshot-entry.js (a build before start-up snapshots): leave 'snapshot' out of --only`);

  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!o['with-ca-certs']) delete env.NODE_EXTRA_CA_CERTS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-node-start-'));
  const children = new Set<ChildProcess>();
  const agent = new EndpointServer({ host: '127.0.0.1', port: 0, relay: false });
  const probe = net.createServer();
  try {
    const agentPort = (await agent.listen()).port;
    const hellos = new Map<string, () => void>();
    agent.on('event', (ev) => {
      if (ev.name === NodeApi.notify_node_hello && ev.args[0]?.type === 'string') hellos.get(ev.args[0].value)?.();
    });
    const probes = new Map<string, () => void>();
    probe.on('connection', (sock) => {
      sock.on('data', (b) => probes.get(String(b).trim())?.());
      sock.on('error', () => undefined);
    });
    const probePort = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as net.AddressInfo).port)));
    const sharedScript = path.join(dir, 'shared.js');
    fs.writeFileSync(sharedScript, [
      `const { EmulatedNode } = require(${JSON.stringify(path.join(d.root, 'framework/node/emulated/node.js'))});`,
      `const { readLaunchSpec } = require(${JSON.stringify(path.join(d.root, 'framework/node/launch-spec.js'))});`,
      'for (const file of process.argv.slice(2)) { const n = new EmulatedNode(readLaunchSpec(file)); n.check(); void n.start(); }',
    ].join('\n'));
    const emptyScript = path.join(dir, 'empty.js');
    fs.writeFileSync(emptyScript, `require('net').connect(${probePort}, '127.0.0.1', function () { this.write(process.argv[2]); });\n`);

    const blob = variants.includes('snapshot') ? buildSnapshot(d, dir, env) : null;

    // A cluster layout of --cluster nodes, as the Supervisor gives each node; the measured node is a worker on lo.
    const base = await freePorts(2 * o.cluster + 4);
    const cluster: Record<string, unknown> = {};
    const endpoint = (role: string, p: number, metrics: number, iface: string | null): unknown => ({ role, host: '127.0.0.1', p, interface: iface, pcap_file: null, metrics_port: metrics });
    cluster.manager = endpoint('MANAGER', base, base + o.cluster + 1, null);
    cluster.logger = endpoint('LOGGER', base + 1, base + o.cluster + 2, null);
    for (let i = 2; i < o.cluster; i++) cluster[`worker-${i - 1}`] = endpoint('WORKER', base + i, base + o.cluster + 1 + i, 'lo');
    const node = 'worker-1';
    const g = d.globals();

    const rows: Record<Variant, StartFigures[]> = { snapshot: [], main: [], empty: [], bare: [], shared: [] };
    let seq = 0;
    for (let round = 0; round < o.rounds; round++) {
      // Alternate the order too: which variant goes first changes every round.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const v of order) {
        // --parallel K: K processes of this variant start at once (each its own node name).
        const one = async (k: number): Promise<StartFigures> => {
          const tag = `p${++seq}`;
          const name = k === 0 ? node : `worker-${k + 1}`;
          let child: ChildProcess;
          let checkedIn: Promise<void>;
          const t0 = process.hrtime.bigint();
          if (v === 'empty' || v === 'bare') {
            checkedIn = new Promise((r) => probes.set(tag, r));
            child = spawn(process.execPath, [...(v === 'empty' ? d.flags : []), emptyScript, tag], { env, stdio: ['ignore', 'pipe', 'pipe'] });
          } else {
            const ndir = path.join(dir, `${name}-${tag}`);
            fs.mkdirSync(ndir);
            const spec = { name, directory: ndir, interface: 'lo', pcap_file: null, scripts: [], cluster, globals: g.globals, explicitGlobals: g.explicit, agent: { host: '127.0.0.1', port: agentPort } };
            const file = d.writeSpec(spec);
            checkedIn = new Promise((r) => hellos.set(name, r));
            const args = v === 'snapshot' ? [...d.flags, '--snapshot-blob', blob!] : [...d.flags, '-r', d.parentWatch, d.main];
            child = spawn(process.execPath, args, { cwd: ndir, env: { ...env, CLUSTER_NODE: name, ZEEK_MGMT_NODE_LAUNCH: file }, stdio: ['ignore', 'pipe', 'pipe'] });
          }
          children.add(child);
          child.once('exit', () => children.delete(child));
          const fig = await measure(child, t0, checkedIn, (o.idle ?? 0) * 1000);
          // Let the killed child go before the next round starts, so rounds do not overlap.
          if (children.has(child)) await new Promise((r) => child.once('exit', r));
          return fig;
        };
        if (v === 'shared') {
          // One process, K nodes: each node's share of its CPU until the last check-in.
          const files: string[] = [];
          const ins: Array<Promise<void>> = [];
          for (let k = 0; k < o.parallel; k++) {
            const name = k === 0 ? node : `worker-${k + 1}`;
            const ndir = path.join(dir, `${name}-s${++seq}`);
            fs.mkdirSync(ndir);
            files.push(d.writeSpec({ name, directory: ndir, interface: 'lo', pcap_file: null, scripts: [], cluster, globals: g.globals, explicitGlobals: g.explicit, agent: { host: '127.0.0.1', port: agentPort } }));
            ins.push(new Promise((r) => hellos.set(name, r)));
          }
          const t0 = process.hrtime.bigint();
          const child = spawn(process.execPath, [...d.flags, sharedScript, ...files], { env, stdio: ['ignore', 'pipe', 'pipe'] });
          children.add(child);
          child.once('exit', () => children.delete(child));
          const fig = await measure(child, t0, Promise.all(ins).then(() => undefined), (o.idle ?? 0) * 1000);
          if (children.has(child)) await new Promise((r) => child.once('exit', r));
          const k = o.parallel;
          rows[v].push({ ...fig, cpuMs: fig.cpuMs / k, tickMs: fig.tickMs / k, minflt: fig.minflt / k, ...(fig.idleCpuMs !== undefined ? { idleCpuMs: fig.idleCpuMs / k } : {}) });
          continue;
        }
        rows[v].push(...await Promise.all(Array.from({ length: o.parallel }, (_, k) => one(k))));
      }
    }
    const summary = Object.fromEntries(variants.map((v) => {
      const xs = rows[v];
      return [v, {
        cpuMs: { median: +median(xs.map((x) => x.cpuMs)).toFixed(1), p10: +quantile(xs.map((x) => x.cpuMs), 0.1).toFixed(1), p90: +quantile(xs.map((x) => x.cpuMs), 0.9).toFixed(1) },
        tickMs: median(xs.map((x) => x.tickMs)),
        wallMs: +median(xs.map((x) => x.wallMs)).toFixed(1),
        minflt: median(xs.map((x) => x.minflt)),
        ...(o.idle !== undefined ? { idleCpuMs: +median(xs.map((x) => x.idleCpuMs ?? 0)).toFixed(1) } : {}),
      }];
    }));
    const head = { dist: d.root, parallel: o.parallel, node: process.version, flags: d.flags, cluster: o.cluster, rounds: o.rounds, caCerts: !!env.NODE_EXTRA_CA_CERTS, loadAverage: os.loadavg().map((x) => +x.toFixed(2)) };
    if (o.json) {
      console.log(JSON.stringify({ ...head, summary }, null, 1));
      return;
    }
    console.log(`${head.dist}: node ${head.node}, flags ${head.flags.join(' ') || '(none)'}, ${head.cluster}-node layout, ${head.rounds} rounds of ${head.parallel} at once, NODE_EXTRA_CA_CERTS ${head.caCerts ? 'kept' : 'dropped'}, load ${head.loadAverage.join(' ')}`);
    console.log(`variant    CPU ms median (p10-p90)   ticks ms   wall ms   minor faults${o.idle !== undefined ? `   CPU ms in the ${o.idle} s after` : ''}`);
    for (const [v, s] of Object.entries(summary)) {
      console.log(`${v.padEnd(9)}  ${String(s.cpuMs.median).padStart(6)} (${s.cpuMs.p10}-${s.cpuMs.p90})`.padEnd(37) + `${String(s.tickMs).padStart(6)}   ${String(s.wallMs).padStart(7)}   ${String(s.minflt).padStart(12)}${'idleCpuMs' in s ? String(s.idleCpuMs).padStart(20) : ''}`);
    }
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    probe.close();
    await agent.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
