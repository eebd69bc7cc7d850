// CLI start-up bench: cold starts of the built CLI as a user runs it, one new node
// process per run, wall time from spawn to exit.
//
//   zeek-mgmt --version          target: median under 80 ms
//   zeek-mgmt get-instances      against a running controller (zeek-mgmt run: Supervisor,
//                                controller and agent), target: median under 150 ms
//
// For scale it also times a node process that runs an empty file (the floor no CLI on
// this machine can go below) and reports what each command adds on top of it. It checks
// that --version loads none of ws, zod and lossless-json and that get-instances prints
// the agent, so a fast but broken CLI cannot pass.
//
// Usage: npm run bench:cli [-- --runs N] [--warmup N] [--json]

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts } from '../provider/free-ports';
import { readOptions } from './options';

const CLI = path.resolve(__dirname, '../sdk/cli/main.js');
const TARGETS = { version: 80, getInstances: 150 };
const HEAVY = ['ws', 'zod', 'lossless-json'];

interface Options { runs: number; warmup: number; json: boolean }

function options(): Options {
  return readOptions({ runs: 'count', warmup: 'count', json: 'flag' }, { runs: 20, warmup: 3 });
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete e.ZEEK_CLIENT_CONFIG_FILE;
  delete e.ZEEK_CLIENT_CONFIG_SETTINGS;
  return e;
}

interface Timing { median: number; p90: number; min: number; max: number; runs: number }

function stats(xs: number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, p90: at(0.9), min: s[0], max: s[s.length - 1], runs: s.length };
}

/** Runs `node args` `runs` times after `warmup` runs; checks each run with `check`. */
function time(args: string[], o: Options, check: (stdout: string, stderr: string, code: number | null) => void): Timing {
  const walls: number[] = [];
  for (let i = 0; i < o.warmup + o.runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env: env(), encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    check(r.stdout, r.stderr, r.status);
    if (i >= o.warmup) walls.push(ms);
  }
  return stats(walls);
}

/** The node_modules packages a CLI invocation loads. */
function packagesLoaded(args: string[]): string[] {
  const probe = path.join(os.tmpdir(), `zeek-mgmt-bench-probe-${process.pid}.js`);
  fs.writeFileSync(probe, "process.on('exit', () => { const m = new Set(); for (const k of Object.keys(require.cache)) { const i = k.lastIndexOf('node_modules/'); if (i >= 0) m.add(k.slice(i + 13).split('/')[0]); } process.stderr.write('PACKAGES ' + [...m].sort().join(',') + '\\n'); });\n");
  try {
    const r = spawnSync(process.execPath, ['-r', probe, CLI, ...args], { env: env(), encoding: 'utf8' });
    const line = /^PACKAGES (.*)$/m.exec(r.stderr);
    if (!line) throw new Error(`no package list from ${args.join(' ')}: ${r.stderr}`);
    return line[1] ? line[1].split(',') : [];
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

interface Cluster { proc: ChildProcess; dir: string; controller: string; agent: string }

async function startCluster(): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-bench-cli-'));
  const [ws, ctl, agent, sup] = [await freePorts(), await freePorts(), await freePorts(), await freePorts()];
  const proc = spawn(process.execPath, [CLI, 'run', `Broker::default_port=${sup}/tcp`], {
    cwd: dir,
    env: env({
      ZEEK_MANAGEMENT_STATE_DIR: dir,
      ZEEK_CONTROLLER_WEBSOCKET_PORT: String(ws),
      ZEEK_CONTROLLER_PORT: String(ctl),
      ZEEK_AGENT_PORT: String(agent),
      ZEEK_CONTROLLER_ADDR: '127.0.0.1',
      ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.1',
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const controller = `127.0.0.1:${ws}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`zeek-mgmt run exited with ${proc.exitCode}: ${err}`);
    const r = spawnSync(process.execPath, [CLI, '--controller', controller, '--set', 'client.peering_attempts=1', '-q', 'get-instances'], { env: env(), encoding: 'utf8' });
    if (r.status === 0) {
      const names = Object.keys(JSON.parse(r.stdout) as object);
      if (names.length > 0) return { proc, dir, controller, agent: names[0] };
    }
    if (Date.now() > deadline) {
      proc.kill('SIGTERM');
      throw new Error(`zeek-mgmt run did not get ready within 20 s: ${err}`);
    }
    await new Promise((r2) => setTimeout(r2, 200));
  }
}

async function stopCluster(c: Cluster): Promise<void> {
  if (c.proc.exitCode === null && c.proc.signalCode === null) {
    const exited = new Promise<void>((resolve) => c.proc.once('exit', () => resolve()));
    process.kill(c.proc.pid as number, 'SIGTERM');
    await exited;
  }
  fs.rmSync(c.dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const o = options();
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  const version = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')).version as string;

  const versionPackages = packagesLoaded(['--version']);
  const heavyAtVersion = versionPackages.filter((p) => HEAVY.includes(p));
  if (heavyAtVersion.length > 0) throw new Error(`--version loads ${heavyAtVersion.join(', ')}`);

  const empty = path.join(os.tmpdir(), `zeek-mgmt-bench-empty-${process.pid}.js`);
  fs.writeFileSync(empty, '');
  let floor: Timing;
  try {
    floor = time([empty], o, () => undefined);
  } finally {
    fs.rmSync(empty, { force: true });
  }
  const versionTiming = time([CLI, '--version'], o, (stdout, stderr, code) => {
    if (code !== 0 || stdout !== `${version}\n`) throw new Error(`--version printed ${JSON.stringify(stdout)} ${stderr} (exit ${code})`);
  });

  const cluster = await startCluster();
  let getInstances: Timing;
  let getInstancesPackages: string[];
  try {
    getInstancesPackages = packagesLoaded(['--controller', cluster.controller, 'get-instances']);
    getInstances = time([CLI, '--controller', cluster.controller, 'get-instances'], o, (stdout, stderr, code) => {
      if (code !== 0 || !(cluster.agent in (JSON.parse(stdout) as object))) throw new Error(`get-instances failed (exit ${code}): ${stdout} ${stderr}`);
    });
  } finally {
    await stopCluster(cluster);
  }

  const result = {
    runs: o.runs,
    node_empty_ms: floor,
    version_ms: versionTiming,
    get_instances_ms: getInstances,
    version_overhead_ms: versionTiming.median - floor.median,
    get_instances_overhead_ms: getInstances.median - floor.median,
    version_packages: versionPackages,
    get_instances_packages: getInstancesPackages,
    targets_ms: TARGETS,
    version_within_target: versionTiming.median < TARGETS.version,
    get_instances_within_target: getInstances.median < TARGETS.getInstances,
    load_average: os.loadavg().map((x) => Number(x.toFixed(2))),
    cpus: os.cpus().length,
    node: process.version,
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const row = (name: string, t: Timing, target?: number): string =>
    `${name.padEnd(28)} median ${t.median.toFixed(1).padStart(6)} ms  p90 ${t.p90.toFixed(1).padStart(6)} ms  min ${t.min.toFixed(1).padStart(6)} ms${target ? `  target < ${target} ms: ${t.median < target ? 'met' : 'MISSED'}` : ''}`;
  process.stdout.write([
    `zeek-mgmt CLI cold start, ${o.runs} runs each after ${o.warmup} warm-up runs (node ${process.version}, ${os.cpus().length} CPUs, load ${result.load_average.join(' ')})`,
    row('node <empty file>', floor),
    row('zeek-mgmt --version', versionTiming, TARGETS.version),
    row('zeek-mgmt get-instances', getInstances, TARGETS.getInstances),
    `over an empty node process: --version +${result.version_overhead_ms.toFixed(1)} ms, get-instances +${result.get_instances_overhead_ms.toFixed(1)} ms`,
    `packages loaded: --version: ${versionPackages.join(', ') || 'none'}; get-instances: ${getInstancesPackages.join(', ') || 'none'}`,
    '',
  ].join('\n'));
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.message}\n`);
  process.exit(1);
});
