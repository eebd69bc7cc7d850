// Where a cold `zeek-mgmt get-instances` spends its time, phase by phase, next to an
// empty node process: the measured breakdown behind bench:cli's figures
// (bench/README.md, "CLI start-up").
//
// Each run is a new process, as in bench:cli, with a small probe loaded by node before
// the program (NODE_OPTIONS=--require): it notes node's own milestones
// (performance.nodeTiming), the files read through fs.readFileSync (the bin, by node's
// loader; the bundle and its code cache, by the bin; the settings file), the client
// socket (node's `net.client.socket` diagnostics channel: created, connected, each read
// and what it held, closed) and the `exit` event, and reports them on stderr as one
// line. The parent adds the time from spawn to node's time origin (fork, exec, the
// bin's sh launcher, the dynamic linker) and from `exit` until it has reaped the process
// (node's teardown). Each phase is the median over the runs of that phase's length in
// each run. The probe itself costs the same in both columns (it loads nothing that an
// empty process does not already have, apart from reading the clock).
//
// Usage: node dist/bench/cli-phases.js [--runs N] [--warmup N] [--json]
//   (after npm run build; starts and stops its own `zeek-mgmt run`)

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, stopCluster } from './cli-cluster';
import { readOptions } from './options';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['zeek-mgmt']);
const FLOOR = path.resolve(__dirname, 'cli-floor-client.js');

/** The probe, loaded before the program; writes `PHASES {...}` to stderr at exit. */
const PROBE = String.raw`
const marks = [];
const now = () => performance.now();
const mark = (what) => marks.push([now(), what]);
mark('main');
const fs = require('fs');
const read = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  mark('read ' + require('path').basename(String(file)));
  return read.call(this, file, ...rest);
};
require('diagnostics_channel').subscribe('net.client.socket', ({ socket }) => {
  mark('connect called');
  socket.once('connect', () => mark('connected'));
  socket.on('data', (d) => {
    const s = d.toString('latin1');
    const held = [];
    if (s.startsWith('HTTP/1.1 101')) held.push('101');
    if (s.includes('"type":"ack"')) held.push('ack');
    if (s.includes('"type":"data-message"')) held.push('response');
    if (d[0] === 0x88 || s.includes('\x88\x00')) held.push('close frame');
    mark('got ' + (held.join('+') || 'data'));
  });
  socket.once('close', () => mark('socket closed'));
});
process.on('exit', () => {
  mark('exit');
  const t = performance.nodeTiming;
  fs.writeSync(2, 'PHASES ' + JSON.stringify({ origin: performance.timeOrigin, v8Start: t.v8Start, environment: t.environment, bootstrap: t.bootstrapComplete, marks }) + '\n');
});
`;

interface ProbeReport { origin: number; v8Start: number; environment: number; bootstrap: number; marks: Array<[number, string]> }

/** One run: the phases' ends in ms since spawn, in order, by name. */
type Run = Array<[string, number]>;

/** The phases of the probe's marks, named for what ends there. */
function phasesOf(spawnedAt: number, reapedAt: number, r: ProbeReport, file: string): Run {
  // node's milestones and the probe's marks, in the order they happened (node marks its
  // bootstrap complete after the --require'd probe has run).
  const milestones: Array<[number, string]> = [[r.v8Start, 'v8 started'], [r.environment, 'environment'], [r.bootstrap, 'bootstrap complete']];
  const marks = [...milestones, ...r.marks].sort((a, b) => a[0] - b[0]);
  const empty = r.marks.length === 2;
  const name: Record<string, string> = {
    'v8 started': 'node\'s per-process set-up, until V8 has started',
    environment: 'V8\'s isolate and context from node\'s start-up snapshot',
    main: 'node\'s bootstrap and pre-execution, until the --require\'d probe',
    'bootstrap complete': 'the probe; node marks its bootstrap complete',
    [`read ${path.basename(file)}`]: 'node resolves the program, checks its package scope, reads it',
    'read cli-floor-client.js': 'node resolves the program, checks its package scope, reads it',
    'read bundle-get-instances.js': 'the bin: --version check, NODE_EXTRA_CA_CERTS hand-back, picks the bundle',
    'read bundle.js': 'the bin: --version check, NODE_EXTRA_CA_CERTS hand-back, picks the bundle',
    'read zeek-client.cfg': 'the code cache read, the bundle compiled from it, the CLI until its settings file',
    'connect called': file === FLOOR ? 'the floor client\'s code until net.connect (loading node:net)' : 'settings, the command\'s and the client\'s modules, until net.connect',
    connected: 'the code after net.connect, the event loop\'s first turn, until the TCP connection',
    'got 101': 'the upgrade request and the controller\'s 101',
    'got ack': 'the subscriptions and the controller\'s ack',
    'got response': 'the request and the controller\'s response',
    'got ack+response': 'the subscriptions and request, the ack and response',
    'got close frame': 'printing, the close frame and the controller\'s',
    'socket closed': 'closing the TCP connection',
    exit: empty ? 'the (empty) program, until the exit event' : 'until the exit event',
  };
  const out: Run = [['exec, the bin\'s sh launcher, the dynamic linker: until node\'s time origin', r.origin - spawnedAt]];
  for (const [t, what] of marks) {
    const label = name[what] ?? (what.endsWith('.v8cache') ? 'reading the bundle' : what);
    out.push([label, r.origin + t - spawnedAt]);
  }
  out.push(['node\'s teardown, until the process is reaped', reapedAt - spawnedAt]);
  return out;
}

function runOnce(argv: string[], probe: string, file: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${probe}` };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.ZEEK_CLIENT_CONFIG_FILE;
  delete env.ZEEK_CLIENT_CONFIG_SETTINGS;
  const spawnedAt = performance.timeOrigin + performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  const reapedAt = performance.timeOrigin + performance.now();
  const line = /^PHASES (.*)$/m.exec(r.stderr ?? '');
  if (r.status !== 0 || !line) throw new Error(`${argv.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  return phasesOf(spawnedAt, reapedAt, JSON.parse(line[1]) as ProbeReport, file);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Each phase's median length; phases named alike in every run (a run whose reads differ from the first's is refused). */
function summarise(runs: Run[]): Array<{ phase: string; ms: number; endsAt: number }> {
  const names = runs[0].map(([n]) => n);
  for (const r of runs) {
    if (r.map(([n]) => n).join('\n') !== names.join('\n')) throw new Error(`the runs went through different phases:\n${names.join(', ')}\n${r.map(([n]) => n).join(', ')}`);
  }
  return names.map((phase, i) => ({
    phase,
    ms: median(runs.map((r) => r[i][1] - (i === 0 ? 0 : r[i - 1][1]))),
    endsAt: median(runs.map((r) => r[i][1])),
  }));
}

async function main(): Promise<void> {
  const o = readOptions({ runs: 'count', warmup: 'count', json: 'flag' }, { runs: 30, warmup: 3 });
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-bench-phases-'));
  const probe = path.join(dir, 'probe.js');
  const empty = path.join(dir, 'empty.js');
  fs.writeFileSync(probe, PROBE);
  fs.writeFileSync(empty, '');
  const loadAtStart = os.loadavg()[0];
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
    delete e.ZEEK_CLIENT_CONFIG_FILE;
    delete e.ZEEK_CLIENT_CONFIG_SETTINGS;
    return e;
  };
  const cluster = await startCluster(CLI, env);
  const emptyRuns: Run[] = [];
  const floorRuns: Run[] = [];
  const cliRuns: Run[] = [];
  try {
    for (let i = 0; i < o.warmup + o.runs; i++) {
      const e = runOnce([process.execPath, empty], probe, empty);
      const f = runOnce([process.execPath, FLOOR, cluster.controller], probe, FLOOR);
      const c = runOnce([CLI, '--controller', cluster.controller, 'get-instances'], probe, CLI);
      if (i >= o.warmup) {
        emptyRuns.push(e);
        floorRuns.push(f);
        cliRuns.push(c);
      }
    }
  } finally {
    await stopCluster(cluster);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const report = {
    runs: o.runs,
    node: process.version,
    cpus: os.cpus().length,
    load_average: [loadAtStart, os.loadavg()[0]],
    empty: summarise(emptyRuns),
    floor: summarise(floorRuns),
    get_instances: summarise(cliRuns),
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const lines = [
    `cold get-instances, phase by phase: medians of ${o.runs} runs, alternating with an empty node process and the bare node client of bench/cli-floor-client.ts (node ${process.version}, ${report.cpus} CPUs, load ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end; without NODE_EXTRA_CA_CERTS, as the bin's launcher starts node)`,
    '',
    `${'phase'.padEnd(88)} ${'empty'.padStart(7)} ${'floor'.padStart(7)} ${'get-instances'.padStart(13)}`,
  ];
  const emptyByPhase = new Map(report.empty.map((p) => [p.phase, p.ms]));
  const floorByPhase = new Map(report.floor.map((p) => [p.phase, p.ms]));
  const cell = (v: number | undefined, w: number): string => (v === undefined ? '' : v.toFixed(2)).padStart(w);
  const shown = new Set<string>();
  for (const p of report.get_instances) {
    shown.add(p.phase);
    lines.push(`${p.phase.padEnd(88)} ${cell(emptyByPhase.get(p.phase), 7)} ${cell(floorByPhase.get(p.phase), 7)} ${cell(p.ms, 13)}`);
  }
  for (const p of report.floor) if (!shown.has(p.phase)) lines.push(`${p.phase.padEnd(88)} ${cell(emptyByPhase.get(p.phase), 7)} ${cell(p.ms, 7)}`);
  const total = (xs: Array<{ endsAt: number }>): number => xs[xs.length - 1].endsAt;
  lines.push(`${'from spawn until reaped (median)'.padEnd(88)} ${cell(total(report.empty), 7)} ${cell(total(report.floor), 7)} ${cell(total(report.get_instances), 13)}`, '');
  process.stdout.write(lines.join('\n'));
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.message}\n`);
  process.exit(1);
});
