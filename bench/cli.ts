// CLI start-up bench: cold starts of the built CLI as a user runs it, one new node
// process per run, wall time from spawn to exit.
//
//   zeek-mgmt --version          target: median under 80 ms
//   zeek-mgmt get-instances      against a running controller (zeek-mgmt run: Supervisor,
//                                controller and agent), target: median under 150 ms
//
//   zeek-mgmt get-instances vs. zeek-client get-instances, against the same controller,
//                                run alternately: target: zeek-mgmt's median at most 0.35x
//                                zeek-client's. zeek-client is what findZeekClient() finds
//                                (test/helpers/real-zeek.ts): env ZEEK_CLIENT (e.g.
//                                "/usr/bin/python3 /path/to/zeek-client/zeek-client"), the PATH,
//                                or next to Zeek's zeek; without one the ratio is skipped.
//
// zeek-mgmt is the package's bin (the bundled CLI) run as a program, as a user runs it
// (its sh launcher starts node without NODE_EXTRA_CA_CERTS); the same bin run by node
// (`node dist/cli/zeek-mgmt.js`, no launcher) and the unbundled tsc output
// (dist/cli/main.js) are timed alongside for comparison. Where the environment sets
// NODE_EXTRA_CA_CERTS, which Node 20 loads at every start, everything is timed both with
// it and without it. For scale it also times a node process that runs an empty file (the
// floor no CLI on this machine can go below). It checks that --version loads none of ws,
// zod and lossless-json and that every get-instances run prints the agent, so a fast but
// broken CLI cannot pass.
//
// Every contender's CPU time is measured next to its wall time (user + system, of the
// process and what it waited for, from this process's /proc/self/stat cutime and cstime
// before and after each run): less disturbed than wall time by other work on the machine.
// `--also 'NAME=COMMAND;...'` adds get-instances contenders for comparing levers in one
// run: COMMAND is split at spaces, may start with VAR=VALUE assignments (VAR= unsets it),
// and gets the controller's arguments appended, e.g.
//   --also 'flagged=XDG_CACHE_HOME=/tmp/c2 node --some-flag dist/cli/zeek-mgmt.js'
//
// Usage: npm run bench:cli [-- --runs N] [--warmup N] [--also 'NAME=COMMAND;...'] [--json]

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findZeek, findZeekClient } from '../test/helpers/real-zeek';
import { startCluster, stopCluster } from './cli-cluster';
import { readOptions } from './options';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['zeek-mgmt']);
const UNBUNDLED = path.resolve(__dirname, '../cli/main.js');
/** A bare node client of the same conversation (bench/cli-floor-client.ts): the floor for any node CLI. */
const FLOOR = path.resolve(__dirname, 'cli-floor-client.js');
const TARGETS = { version: 80, getInstances: 150, ratioToZeekClient: 0.35 };
const HEAVY = ['ws', 'zod', 'lossless-json'];

interface Options { runs: number; warmup: number; json: boolean; also: string | undefined }

function options(): Options {
  return readOptions({ runs: 'count', warmup: 'count', json: 'flag', also: 'text' }, { runs: 20, warmup: 3 });
}

interface ExtraContender { name: string; argv: string[]; env: Record<string, string | undefined> }

/** `--also`'s contenders: `NAME=[VAR=VALUE ...] COMMAND ARGS...`, separated by `;`. */
function extraContenders(spec: string | undefined): ExtraContender[] {
  if (spec === undefined) return [];
  return spec.split(';').map((s) => s.trim()).filter((s) => s !== '').map((entry) => {
    const eq = entry.indexOf('=');
    const name = eq > 0 ? entry.slice(0, eq).trim() : '';
    if (!/^[\w.+-]+$/.test(name)) throw new Error(`--also: ${JSON.stringify(entry)} is not NAME=COMMAND (NAME of letters, digits, . + - _)`);
    const words = entry.slice(eq + 1).trim().split(/\s+/).filter((w) => w !== '');
    const env: Record<string, string | undefined> = {};
    while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
      const w = words.shift()!;
      const i = w.indexOf('=');
      env[w.slice(0, i)] = w.slice(i + 1) === '' ? undefined : w.slice(i + 1);
    }
    if (words.length === 0) throw new Error(`--also: ${name} has no command`);
    return { name, argv: words, env };
  });
}

/** CPU time (ms) of this process's children that have been waited for: /proc/self/stat's cutime + cstime. */
function childrenCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces): cutime and cstime are fields 16 and 17.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * (1000 / CLOCK_TICKS);
}

/** The kernel's USER_HZ, in which /proc reports CPU times (100 on Linux, whatever the kernel's tick). */
const CLOCK_TICKS = 100;

function env(extra: Record<string, string> = {}, withExtraCaCerts = true): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete e.ZEEK_CLIENT_CONFIG_FILE;
  delete e.ZEEK_CLIENT_CONFIG_SETTINGS;
  if (!withExtraCaCerts) delete e.NODE_EXTRA_CA_CERTS;
  return e;
}

/** The zeek-client command line (findZeekClient: env ZEEK_CLIENT, the PATH, next to Zeek's zeek), or why there is none. */
function zeekClient(): { argv: string[] } | { skipped: string } {
  const argv = findZeekClient(findZeek());
  if (argv === null) return { skipped: 'no zeek-client found (set ZEEK_CLIENT, e.g. ZEEK_CLIENT="/usr/bin/python3 /path/to/zeek-client/zeek-client")' };
  return { argv };
}

interface Contender {
  name: string;
  argv: string[];
  withExtraCaCerts: boolean;
  check: (stdout: string, stderr: string, code: number | null) => void;
  /** Environment changes of this contender (undefined: unset). */
  env?: Record<string, string | undefined>;
}

/** Runs the contenders in turn, `warmup` rounds and then `runs` timed rounds, so that a
 * change in the machine's load falls on all of them alike. */
function alternate(contenders: Contender[], o: Options): Map<string, Timing> {
  const walls = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpu = new Map<string, number>(contenders.map((c) => [c.name, 0]));
  for (let i = 0; i < o.warmup + o.runs; i++) {
    for (const c of contenders) {
      const e = env({}, c.withExtraCaCerts);
      for (const [k, v] of Object.entries(c.env ?? {})) {
        if (v === undefined) delete e[k];
        else e[k] = v;
      }
      const cpu0 = childrenCpuMs();
      const t0 = process.hrtime.bigint();
      const r = spawnSync(c.argv[0], c.argv.slice(1), { env: e, encoding: 'utf8' });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpuMs = childrenCpuMs() - cpu0;
      c.check(r.stdout, r.stderr, r.status);
      if (i >= o.warmup) {
        walls.get(c.name)!.push(ms);
        cpu.set(c.name, cpu.get(c.name)! + cpuMs);
      }
    }
  }
  return new Map([...walls].map(([name, xs]) => [name, { ...stats(xs), cpuMean: cpu.get(name)! / xs.length }]));
}

interface Timing {
  median: number;
  p90: number;
  min: number;
  max: number;
  runs: number;
  /** Mean CPU time per run (user + system; /proc counts it in 10 ms ticks, so only the mean over many runs is exact to a fraction of a millisecond). */
  cpuMean: number;
}

function stats(xs: number[]): Omit<Timing, 'cpuMean'> {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, p90: at(0.9), min: s[0], max: s[s.length - 1], runs: s.length };
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

interface VariantResult {
  node_extra_ca_certs: string | null;
  node_empty_ms: Timing;
  version_ms: Timing;
  get_instances_ms: Timing;
  get_instances_through_node_ms: Timing;
  get_instances_unbundled_ms: Timing;
  zeek_client_get_instances_ms: Timing | null;
  /** The bare node client (bench/cli-floor-client.ts), without NODE_EXTRA_CA_CERTS, and with its request sent behind the subscription. */
  floor_ms: Timing;
  floor_pipelined_ms: Timing;
  /** --also's contenders, by name. */
  also: Record<string, Timing>;
  ratio_to_zeek_client: number | null;
  ratio_within_target: boolean | null;
  version_within_target: boolean;
  get_instances_within_target: boolean;
}

async function main(): Promise<void> {
  const o = options();
  const loadAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
  const zc = zeekClient();
  const extras = extraContenders(o.also);

  const versionPackages = packagesLoaded(['--version']);
  const heavyAtVersion = versionPackages.filter((p) => HEAVY.includes(p));
  if (heavyAtVersion.length > 0) throw new Error(`--version loads ${heavyAtVersion.join(', ')}`);

  // With the environment's NODE_EXTRA_CA_CERTS (if any) and, where it is set, without it.
  const variants = process.env.NODE_EXTRA_CA_CERTS ? [true, false] : [true];
  const label = (withCa: boolean): string => (withCa && process.env.NODE_EXTRA_CA_CERTS ? 'ca' : 'noca');
  const empty = path.join(os.tmpdir(), `zeek-mgmt-bench-empty-${process.pid}.js`);
  fs.writeFileSync(empty, '');
  let offline: Map<string, Timing>;
  try {
    const checkVersion = (stdout: string, stderr: string, code: number | null): void => {
      if (code !== 0 || stdout !== `${version}\n`) throw new Error(`--version printed ${JSON.stringify(stdout)} ${stderr} (exit ${code})`);
    };
    offline = alternate(variants.map((withCa) => (
      { name: `version ${label(withCa)}`, argv: [CLI, '--version'], withExtraCaCerts: withCa, check: checkVersion }
    )), o);
  } catch (err) {
    fs.rmSync(empty, { force: true });
    throw err;
  }

  const cluster = await startCluster(CLI, env);
  let online: Map<string, Timing>;
  let getInstancesPackages: string[];
  try {
    getInstancesPackages = packagesLoaded(['--controller', cluster.controller, 'get-instances']);
    const checkInstances = (who: string) => (stdout: string, stderr: string, code: number | null): void => {
      let ok = false;
      try {
        ok = code === 0 && cluster.agent in (JSON.parse(stdout) as object);
      } catch {
        // not JSON
      }
      if (!ok) throw new Error(`${who} get-instances failed (exit ${code}): ${stdout} ${stderr}`);
    };
    const args = ['--controller', cluster.controller, 'get-instances'];
    const checkFloor = (stdout: string, stderr: string, code: number | null): void => {
      if (code !== 0 || !stdout.includes(`"${cluster.agent}"`)) throw new Error(`the floor client failed (exit ${code}): ${stdout} ${stderr}`);
    };
    // The empty node process runs in the same rounds as get-instances, so that the two see the same load.
    online = alternate(variants.flatMap((withCa) => [
      { name: `empty ${label(withCa)}`, argv: [process.execPath, empty], withExtraCaCerts: withCa, check: () => undefined },
      { name: `bin ${label(withCa)}`, argv: [CLI, ...args], withExtraCaCerts: withCa, check: checkInstances('zeek-mgmt') },
      ...('argv' in zc ? [{ name: `zeek-client ${label(withCa)}`, argv: [...zc.argv, ...args], withExtraCaCerts: withCa, check: checkInstances('zeek-client') }] : []),
      { name: `node bin ${label(withCa)}`, argv: [process.execPath, CLI, ...args], withExtraCaCerts: withCa, check: checkInstances('node dist/cli/zeek-mgmt.js') },
      { name: `unbundled ${label(withCa)}`, argv: [process.execPath, UNBUNDLED, ...args], withExtraCaCerts: withCa, check: checkInstances('zeek-mgmt (unbundled)') },
      { name: `floor ${label(withCa)}`, argv: [process.execPath, FLOOR, ...args], withExtraCaCerts: false, check: checkFloor },
      { name: `floor pipelined ${label(withCa)}`, argv: [process.execPath, FLOOR, '--pipelined', ...args], withExtraCaCerts: false, check: checkFloor },
      ...extras.map((x) => ({ name: `${x.name} ${label(withCa)}`, argv: [...x.argv, ...args], env: x.env, withExtraCaCerts: withCa, check: checkInstances(x.name) })),
    ]), o);
  } finally {
    fs.rmSync(empty, { force: true });
    await stopCluster(cluster);
  }

  const results: VariantResult[] = variants.map((withCa) => {
    const l = label(withCa);
    const gi = online.get(`bin ${l}`)!;
    const zcT = online.get(`zeek-client ${l}`) ?? null;
    const ratio = zcT ? gi.median / zcT.median : null;
    const v = offline.get(`version ${l}`)!;
    return {
      node_extra_ca_certs: withCa ? process.env.NODE_EXTRA_CA_CERTS ?? null : null,
      node_empty_ms: online.get(`empty ${l}`)!,
      version_ms: v,
      get_instances_ms: gi,
      get_instances_through_node_ms: online.get(`node bin ${l}`)!,
      get_instances_unbundled_ms: online.get(`unbundled ${l}`)!,
      zeek_client_get_instances_ms: zcT,
      floor_ms: online.get(`floor ${l}`)!,
      floor_pipelined_ms: online.get(`floor pipelined ${l}`)!,
      also: Object.fromEntries(extras.map((x) => [x.name, online.get(`${x.name} ${l}`)!])),
      ratio_to_zeek_client: ratio,
      ratio_within_target: ratio === null ? null : ratio <= TARGETS.ratioToZeekClient,
      version_within_target: v.median < TARGETS.version,
      get_instances_within_target: gi.median < TARGETS.getInstances,
    };
  });
  const result = {
    runs: o.runs,
    cli: path.relative(ROOT, CLI),
    zeek_client: 'argv' in zc ? zc.argv.join(' ') : null,
    zeek_client_skipped: 'skipped' in zc ? zc.skipped : null,
    variants: results,
    version_packages: versionPackages,
    get_instances_packages: getInstancesPackages,
    targets: TARGETS,
    load_average_at_start: loadAtStart,
    load_average: os.loadavg().map((x) => Number(x.toFixed(2))),
    cpus: os.cpus().length,
    node: process.version,
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const row = (name: string, t: Timing, target?: number): string =>
    `  ${name.padEnd(34)} median ${t.median.toFixed(1).padStart(6)} ms  p90 ${t.p90.toFixed(1).padStart(6)} ms  min ${t.min.toFixed(1).padStart(6)} ms  cpu ${t.cpuMean.toFixed(1).padStart(6)} ms${target ? `  target < ${target} ms: ${t.median < target ? 'met' : 'MISSED'}` : ''}`;
  const lines = [
    `zeek-mgmt CLI cold start, ${o.runs} runs each after ${o.warmup} warm-up runs, alternating (node ${process.version}, ${os.cpus().length} CPUs, load ${loadAtStart.join(' ')} at the start, ${result.load_average.join(' ')} at the end)`,
    'median, p90 and min of wall time; cpu: mean CPU time per run (user + system)',
    `zeek-mgmt: ${result.cli}; zeek-client: ${result.zeek_client ?? `skipped: ${result.zeek_client_skipped}`}`,
  ];
  for (const r of results) {
    lines.push(r.node_extra_ca_certs ? `with NODE_EXTRA_CA_CERTS=${r.node_extra_ca_certs}:` : 'without NODE_EXTRA_CA_CERTS:');
    lines.push(row('node <empty file>', r.node_empty_ms));
    lines.push(row('zeek-mgmt --version', r.version_ms, TARGETS.version));
    lines.push(row('zeek-mgmt get-instances', r.get_instances_ms, TARGETS.getInstances));
    lines.push(row('zeek-mgmt get-instances, via node', r.get_instances_through_node_ms));
    lines.push(row('zeek-mgmt get-instances, unbundled', r.get_instances_unbundled_ms));
    lines.push(row('floor: bare node client', r.floor_ms));
    lines.push(row('floor, request behind subscription', r.floor_pipelined_ms));
    for (const [name, t] of Object.entries(r.also)) lines.push(row(`${name} get-instances`, t));
    if (r.zeek_client_get_instances_ms) lines.push(row('zeek-client get-instances', r.zeek_client_get_instances_ms));
    lines.push(r.ratio_to_zeek_client === null
      ? `  ratio to zeek-client: skipped (${result.zeek_client_skipped})`
      : `  ratio to zeek-client (medians): ${r.ratio_to_zeek_client.toFixed(2)}  target <= ${TARGETS.ratioToZeekClient}: ${r.ratio_within_target ? 'met' : 'MISSED'}; CPU time: ${(r.get_instances_ms.cpuMean / r.zeek_client_get_instances_ms!.cpuMean).toFixed(2)}`);
    // The bin's launcher starts node without NODE_EXTRA_CA_CERTS: its floor is an empty node process without it.
    const floor = (r.node_extra_ca_certs ? results.find((x) => !x.node_extra_ca_certs)?.node_empty_ms : undefined) ?? r.node_empty_ms;
    const floorName = floor === r.node_empty_ms ? 'an empty node process' : 'an empty node process without NODE_EXTRA_CA_CERTS (the launcher starts node without it)';
    lines.push(`  over ${floorName}: --version +${(r.version_ms.median - floor.median).toFixed(1)} ms, get-instances +${(r.get_instances_ms.median - floor.median).toFixed(1)} ms`);
  }
  lines.push(`packages loaded: --version: ${versionPackages.join(', ') || 'none'}; get-instances: ${getInstancesPackages.join(', ') || 'none'}`, '');
  process.stdout.write(lines.join('\n'));
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.message}\n`);
  process.exit(1);
});
