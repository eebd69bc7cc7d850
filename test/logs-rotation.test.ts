// Log rotation of nodes: a real log writer rotating on a short interval into a queue
// directory under zeek-archiver's names, leftovers of a killed process, a clean
// shutdown's final rotation, and emulated node processes doing all of it.

import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LogWriter } from '../framework/node/log-writer';
import { LAUNCH_ENV, NodeLaunchSpec, writeLaunchSpec } from '../framework/node/launch-spec';
import { NodeLogRotation, nodeQueueDir } from '../framework/logs/node-rotation';
import { parseRotatedName, RotatedLog, formatStamp } from '../framework/logs/names';
import { Settings } from '../framework/settings/settings';
import { waitFor as waitUntil } from './run-support';

const REPO = path.resolve(__dirname, '..');
const NODE_MAIN = path.join(REPO, 'dist/framework/node/emulated/main.js');

const dirs: string[] = [];
const procs: ChildProcess[] = [];

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-rotation-'));
  dirs.push(d);
  return d;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waitFor = (what: string, fn: () => boolean, timeoutMs = 10000): Promise<boolean> => waitUntil(what, fn, timeoutMs, 20);

function parsed(name: string): RotatedLog {
  const p = parseRotatedName(name);
  assert.ok(p.ok, `${name}: ${p.ok ? '' : p.reason}`);
  return p.log;
}

const FIELDS = [{ name: 'ts', type: 'time' as const }, { name: 'n', type: 'count' as const }];

describe('logs: node rotation', function () {
  this.timeout(30000);

  afterEach(() => {
    for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });

  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('closes, moves and reopens every log each interval, aligned to the interval, and once more at shutdown', async () => {
    const root = tempDir();
    const nodeDir = path.join(root, 'node');
    const queue = path.join(root, 'spool/log-queue');
    fs.mkdirSync(nodeDir);
    const writer = new LogWriter(nodeDir);
    const test = writer.stream('test', FIELDS);
    const rot = new NodeLogRotation({ writer, queueDir: queue, intervalSec: 1, suffix: 'worker-1' });
    rot.start();
    let n = 0;
    const writes = setInterval(() => test.write({ ts: Date.now() / 1000, n: n++ }), 50);
    try {
      await waitFor('two rotations', () => fs.existsSync(queue) && fs.readdirSync(queue).length >= 2, 5000);
    } finally {
      clearInterval(writes);
    }
    rot.finish();
    const names = fs.readdirSync(queue).sort();
    assert.ok(names.length >= 3, names.join(' '));
    const logs = names.map(parsed);
    for (const [i, l] of logs.entries()) {
      assert.equal(l.stream, 'test');
      assert.equal(l.suffix, 'worker-1');
      assert.equal(l.ext, '.log');
      assert.match(names[i], /^test__\d{4}(-\d\d){5}__\d{4}(-\d\d){5}__log_suffix=worker-1__\.log$/);
      if (i > 0) assert.equal(formatStamp(l.open), formatStamp(logs[i - 1].close), 'each file opens when the previous one closed');
    }
    let lines = 0;
    for (const name of names) {
      const text = fs.readFileSync(path.join(queue, name), 'utf8').split('\n');
      assert.equal(text[0], '#separator \\x09');
      assert.match(text[text.length - 2], /^#close\t\d{4}(-\d\d){5}$/);
      lines += text.filter((t) => t !== '' && !t.startsWith('#')).length;
    }
    assert.equal(lines, n, 'every record is in exactly one rotated file');
    assert.deepEqual(fs.readdirSync(nodeDir), [], 'nothing left in the node\'s directory after the final rotation');
  });

  it('rotates logs a killed predecessor left behind, with the #open of their header', () => {
    const root = tempDir();
    const nodeDir = path.join(root, 'node');
    const queue = path.join(root, 'q');
    fs.mkdirSync(nodeDir);
    fs.writeFileSync(path.join(nodeDir, 'conn.log'), '#separator \\x09\n#path\tconn\n#open\t2022-06-20-10-17-03\n#fields\tts\n1.0\n');
    const mtime = new Date(2022, 5, 20, 10, 45, 12);
    fs.utimesSync(path.join(nodeDir, 'conn.log'), mtime, mtime);
    fs.writeFileSync(path.join(nodeDir, 'stdout'), 'not a log\n');
    const rot = new NodeLogRotation({ writer: new LogWriter(nodeDir), queueDir: queue, intervalSec: 3600, suffix: null });
    assert.deepEqual(rot.rotateLeftovers(), ['conn__2022-06-20-10-17-03__2022-06-20-10-45-12__.log']);
    assert.deepEqual(fs.readdirSync(nodeDir), ['stdout']);
    assert.equal(fs.readFileSync(path.join(queue, 'conn__2022-06-20-10-17-03__2022-06-20-10-45-12__.log'), 'utf8').split('\n')[4], '1.0');
  });

  it('never overwrites a queued log: a second rotation within the same second gets the next close stamp', () => {
    const root = tempDir();
    const queue = path.join(root, 'q');
    const writer = new LogWriter(path.join(root, 'n'));
    fs.mkdirSync(writer.dir);
    const s = writer.stream('x', FIELDS);
    const fixed = new Date(2022, 5, 20, 10, 0, 0, 100).getTime();
    const rot = new NodeLogRotation({ writer, queueDir: queue, intervalSec: 1, suffix: null, now: () => fixed });
    s.write({ ts: 1, n: 1 });
    const a = rot.rotateNow();
    s.write({ ts: 2, n: 2 });
    const b = rot.rotateNow();
    assert.equal(a.length, 1);
    assert.equal(b.length, 1);
    assert.notEqual(a[0], b[0]);
    assert.equal(fs.readdirSync(queue).length, 2);
    rot.finish();
  });

  describe('emulated node processes', () => {
    function launch(root: string, name: string, cluster: string[], args: string[]): { proc: ChildProcess; spec: NodeLaunchSpec; exit: Promise<number | null>; err: () => string } {
      const settings = Settings.resolve({ env: {}, args: [`Management::spool_dir=${path.join(root, 'spool')}`, ...args], baseDir: root });
      const dir = path.join(root, 'nodes', name);
      fs.mkdirSync(dir, { recursive: true });
      const spec: NodeLaunchSpec = {
        name, directory: dir, interface: null, pcap_file: null, scripts: ['policy/frameworks/management/node'],
        cluster: Object.fromEntries(cluster.map((n) => [n, { role: 'WORKER' as const, host: '127.0.0.1', p: 0, interface: null, pcap_file: null, metrics_port: null }])),
        globals: settings.nodeGlobals(), explicitGlobals: settings.explicitNodeGlobals(),
        // Nobody listens here; the node keeps retrying, which does not matter for its logs.
        agent: { host: '127.0.0.1', port: 9 },
      };
      const proc = spawn(process.execPath, [NODE_MAIN], { cwd: dir, env: { ...process.env, [LAUNCH_ENV]: writeLaunchSpec(spec) }, stdio: ['ignore', 'ignore', 'pipe'] });
      procs.push(proc);
      let err = '';
      proc.stderr!.on('data', (d) => (err += d));
      return { proc, spec, exit: new Promise((r) => proc.once('exit', (code) => r(code))), err: () => err };
    }

    before(() => {
      if (!fs.existsSync(NODE_MAIN)) throw new Error(`${NODE_MAIN} missing: build first (npm run build)`);
    });

    it('rotate into <spool>/log-queue every Log::default_rotation_interval with a log_suffix per node, and at SIGTERM', async () => {
      const root = tempDir();
      const a = launch(root, 'worker-1', ['worker-1', 'worker-2'], ['Log::default_rotation_interval=1 sec']);
      const b = launch(root, 'worker-2', ['worker-1', 'worker-2'], ['Log::default_rotation_interval=1 sec']);
      const queue = nodeQueueDir(a.spec);
      assert.equal(queue, path.join(root, 'spool/log-queue'));
      const named = (node: string) => (fs.existsSync(queue) ? fs.readdirSync(queue) : []).filter((f) => f.includes(`__log_suffix=${node}__`));
      await waitFor('rotated loaded_scripts logs of both nodes', () => ['worker-1', 'worker-2'].every((n) => named(n).some((f) => f.startsWith('loaded_scripts__'))), 8000);
      a.proc.kill('SIGTERM');
      b.proc.kill('SIGTERM');
      assert.equal(await a.exit, 0, a.err());
      assert.equal(await b.exit, 0, b.err());
      for (const node of ['worker-1', 'worker-2']) {
        const files = named(node).sort();
        for (const f of files) assert.equal(parsed(f).suffix, node);
        const scripts = files.filter((f) => f.startsWith('loaded_scripts__'));
        assert.ok(scripts.length >= 2, `interval and shutdown rotations of ${node}: ${files.join(' ')}`);
        const records = scripts.flatMap((f) => fs.readFileSync(path.join(queue, f), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')));
        assert.deepEqual(records, ['policy/frameworks/management/node'], 'the record is in exactly one rotated file');
        assert.deepEqual(fs.readdirSync(path.join(root, 'nodes', node)).filter((f) => f.endsWith('.log')), [], 'no open logs left behind');
      }
    });

    it('rotate what a SIGKILLed predecessor left when started again', async () => {
      const root = tempDir();
      const first = launch(root, 'logger', ['logger'], []);
      const log = path.join(root, 'nodes/logger/loaded_scripts.log');
      await waitFor('the first process\'s log', () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('management/node'));
      first.proc.kill('SIGKILL');
      await first.exit;
      const queue = path.join(root, 'spool/log-queue');
      assert.equal(fs.existsSync(queue), false, 'an hour has not passed, nothing rotated yet');
      const second = launch(root, 'logger', ['logger'], []);
      await waitFor('the leftover rotated', () => fs.existsSync(queue) && fs.readdirSync(queue).some((f) => f.startsWith('loaded_scripts__')));
      // Started (and its SIGTERM handler in place) once it writes its new log.
      await waitFor('the second process\'s log', () => fs.existsSync(log));
      await sleep(300);
      const [left] = fs.readdirSync(queue).filter((f) => f.startsWith('loaded_scripts__'));
      assert.equal(parsed(left).suffix, null, 'a one-node cluster has plain names');
      assert.match(fs.readFileSync(path.join(queue, left), 'utf8'), /\npolicy\/frameworks\/management\/node\n/);
      second.proc.kill('SIGTERM');
      assert.equal(await second.exit, 0);
    });

    it('leave logs where they are with Log::default_rotation_interval=0', async () => {
      const root = tempDir();
      const n = launch(root, 'w', ['w'], ['Log::default_rotation_interval=0 secs']);
      const log = path.join(root, 'nodes/w/loaded_scripts.log');
      await waitFor('its log', () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('management/node'));
      n.proc.kill('SIGTERM');
      assert.equal(await n.exit, 0);
      assert.equal(fs.existsSync(path.join(root, 'spool/log-queue')), false);
      assert.match(fs.readFileSync(log, 'utf8'), /\n#close\t/);
    });
  });
});
