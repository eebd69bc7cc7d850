// The Supervisor the agent drives: real child processes (small node -e programs), their
// output files and line windows, restarts with growing delays, notify_node_exit,
// cpu_affinity, env without a shell, destroy/restart/status, and the SupervisorControl
// wire protocol (records and response topics) as the agent's SupervisorLink uses it.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SupervisorLink } from '../framework/agent/supervisor-link';
import { generateSecret } from '../framework/supervisor/control-secret';
import { SupervisorControlServer } from '../framework/supervisor/control-server';
import { clusterToData, nodeConfig, NodeConfig, nodeConfigFromData, nodeConfigToData } from '../framework/supervisor/records';
import { LaunchCommand, Launcher, Supervisor } from '../framework/supervisor/supervisor';
import { alive, tempDir, waitFor } from './run-support';

/** Runs the JavaScript in env SCRIPT of each node. */
class ScriptLauncher implements Launcher {
  command(cfg: NodeConfig): LaunchCommand {
    return { file: process.execPath, args: ['-e', cfg.env.SCRIPT ?? ''], env: { PATH: process.env.PATH ?? '', ...cfg.env }, cwd: cfg.directory ?? os.tmpdir() };
  }
}

const SECRET = generateSecret();
const LONG = 'setInterval(() => {}, 1000); process.on("SIGTERM", () => process.exit(0));';

describe('supervisor', function () {
  this.timeout(20000);
  let dir: string;
  let sup: Supervisor;

  beforeEach(() => {
    dir = tempDir('zeek-mgmt-sup-');
    sup = new Supervisor({ launcher: new ScriptLauncher(), outputMaxLines: 3, stdoutFile: 'stdout', stderrFile: 'stderr', restartDelayMs: 100, maxRestartDelayMs: 1000 });
  });

  afterEach(async () => {
    const pids = sup.pids();
    await sup.shutdown();
    for (const p of pids) assert.equal(alive(p), false, `pid ${p} survived shutdown`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cfg = (name: string, script: string, extra: Partial<NodeConfig> = {}): NodeConfig =>
    nodeConfig(name, { directory: path.join(dir, name), env: { SCRIPT: script }, ...extra });

  it('creates nodes in their directories and reports them in status', async () => {
    assert.equal(sup.create(cfg('a', LONG)), '');
    assert.equal(sup.create(cfg('a', LONG)), "node with name 'a' already exists");
    assert.equal(sup.create(cfg('', LONG)), 'node names must not be an empty string');
    const st = sup.status();
    assert.deepEqual(Object.keys(st.nodes), ['a']);
    assert.ok(st.nodes.a.pid !== null && alive(st.nodes.a.pid));
    assert.ok(fs.existsSync(path.join(dir, 'a')));
    assert.deepEqual(sup.status('nope').nodes, {});
  });

  it('captures stdout/stderr into files and keeps the last lines for notify_node_exit', async () => {
    const exits: Array<{ name: string; stdout: string; stderr: string }> = [];
    sup.on('node-exit', (name, o) => exits.push({ name, ...o }));
    sup.create(cfg('out', 'for (let i = 1; i <= 5; i++) console.log("line " + i); console.error("bad thing"); process.exit(3);'));
    await waitFor('the exit report', () => exits.length > 0);
    assert.deepEqual(exits[0], { name: 'out', stdout: 'line 3\nline 4\nline 5', stderr: 'bad thing' });
    assert.equal(fs.readFileSync(path.join(dir, 'out/stdout'), 'utf8'), 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.equal(fs.readFileSync(path.join(dir, 'out/stderr'), 'utf8'), 'bad thing\n');
  });

  it('restarts a dying node with growing delays', async () => {
    const starts: number[] = [];
    const exits: number[] = [];
    sup.on('node-status', () => starts.push(Date.now()));
    sup.on('node-exit', () => exits.push(Date.now()));
    sup.create(cfg('crash', 'process.exit(1)'));
    await waitFor('four starts', () => starts.length >= 4, 15000, 10);
    // From each exit to the next start: 100, 200, 400 ms.
    const delays = exits.slice(0, 3).map((t, i) => starts[i + 1] - t);
    assert.ok(delays[0] >= 90 && delays[1] >= 190 && delays[2] >= 390, `delays too short: ${delays.join(', ')} ms`);
    assert.ok(delays[1] > delays[0] && delays[2] > delays[1], `delays do not grow: ${delays.join(', ')} ms`);
  });

  it('passes env without a shell', async () => {
    sup.create(cfg('env', 'console.log(process.env.WEIRD); process.exit(0)', { env: { SCRIPT: 'console.log(process.env.WEIRD); setInterval(() => {}, 1000)', WEIRD: '$HOME; echo `id` "x"' } }));
    await waitFor('the output', () => fs.existsSync(path.join(dir, 'env/stdout')) && fs.readFileSync(path.join(dir, 'env/stdout'), 'utf8').length > 0);
    assert.equal(fs.readFileSync(path.join(dir, 'env/stdout'), 'utf8'), '$HOME; echo `id` "x"\n');
  });

  it('applies cpu_affinity', async function () {
    if (!fs.existsSync('/usr/bin/taskset') && !fs.existsSync('/bin/taskset')) this.skip();
    sup.create(cfg('pinned', LONG, { cpu_affinity: 0 }));
    const pid = sup.status('pinned').nodes.pinned.pid!;
    await waitFor('the affinity', () => /Cpus_allowed_list:\s*0\n/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), 5000);
  });

  it('reports a cpu_affinity it cannot apply in the node\'s stderr', async () => {
    sup.create(cfg('badcpu', LONG, { cpu_affinity: 4096 }));
    await waitFor('the warning', () => fs.existsSync(path.join(dir, 'badcpu/stderr')) && /failed to set CPU affinity to 4096/.test(fs.readFileSync(path.join(dir, 'badcpu/stderr'), 'utf8')), 5000);
  });

  it('restarts on request (new pid) and destroys (process gone, node forgotten)', async () => {
    sup.create(cfg('r', LONG));
    const p1 = sup.status('r').nodes.r.pid!;
    assert.equal(await sup.restart('r'), true);
    const p2 = sup.status('r').nodes.r.pid!;
    assert.notEqual(p1, p2);
    assert.equal(alive(p1), false);
    assert.equal(await sup.restart('nope'), false);
    assert.equal(await sup.destroy('r'), true);
    assert.equal(alive(p2), false);
    assert.deepEqual(sup.status().nodes, {});
    assert.equal(await sup.destroy('r'), false);
  });

  it('serves SupervisorControl requests over the wire, with Zeek\'s record layout', async () => {
    const control = new SupervisorControlServer(sup, { host: '127.0.0.1', port: 0, topicPrefix: 'zeek/supervisor', managementTopic: 'zeek/management/supervisor', secret: SECRET });
    const addr = await control.listen();
    const link = await SupervisorLink.connect({ host: '127.0.0.1', port: addr.port, topics: ['zeek/supervisor', 'zeek/management/supervisor'], topicPrefix: 'zeek/supervisor', retryMs: 100, secret: SECRET });
    const notes: string[] = [];
    link.on('event', (ev) => notes.push(ev.name));
    try {
      const c = cfg('w', LONG, {
        interface: 'lo', cpu_affinity: null, addl_user_scripts: ['a.zeek'], runtime: 'emulated',
        cluster: { w: { role: 'WORKER', host: '127.0.0.1', p: 0, interface: 'lo', pcap_file: null, metrics_port: 9000 } },
      });
      assert.deepEqual(nodeConfigFromData(nodeConfigToData(c)), c);
      assert.equal(await link.create(c), '');
      assert.equal(await link.create(c), "node with name 'w' already exists");
      // The agent encodes a deployment's layout once and hands it to every create_request.
      const c2 = cfg('w2', LONG, { runtime: 'emulated', cluster: { ...c.cluster, w2: { role: 'WORKER', host: '127.0.0.1', p: 0, interface: null, pcap_file: null, metrics_port: null } } });
      assert.equal(await link.create(c2, clusterToData(c2.cluster)), '');
      assert.deepEqual(sup.status('w2').nodes.w2.node, c2);
      // The agent reads status replies with each node's cluster table reduced to its own entry (agent/supervisor-reader.ts).
      assert.deepEqual((await link.status('w2')).nodes.w2.node, { ...c2, cluster: { w2: c2.cluster.w2 } });
      const st = await link.status('');
      assert.deepEqual(st.nodes.w.node, c);
      assert.ok(st.nodes.w.pid !== null && alive(st.nodes.w.pid));
      assert.equal(await link.restart('w'), true);
      await waitFor('node_status events', () => notes.filter((n) => n === 'SupervisorControl::node_status').length >= 2);
      assert.equal(await link.destroy('w'), true);
      assert.equal(await link.destroy('w'), false);
      sup.create(cfg('dies', 'console.error("boom"); process.exit(1)'));
      await waitFor('notify_node_exit', () => notes.includes('Management::Supervisor::API::notify_node_exit'));
    } finally {
      await link.close();
      await control.close();
    }
  });

  it('stops destroyed nodes side by side, and starts a node created after them only once they are gone', async () => {
    const control = new SupervisorControlServer(sup, { host: '127.0.0.1', port: 0, topicPrefix: 'zeek/supervisor', managementTopic: 'zeek/management/supervisor', secret: SECRET });
    const addr = await control.listen();
    const link = await SupervisorLink.connect({ host: '127.0.0.1', port: addr.port, topics: ['zeek/supervisor'], topicPrefix: 'zeek/supervisor', retryMs: 100, secret: SECRET });
    const marks = path.join(dir, 'marks');
    fs.mkdirSync(marks, { recursive: true });
    // Each old node notes when it got SIGTERM and when it exits, 400 ms later; the new one notes its start.
    const mark = (what: string): string => `require("fs").writeFileSync(${JSON.stringify(marks)} + "/" + process.env.NAME + "-${what}", String(Date.now()));`;
    const slow = `setInterval(() => {}, 1000); process.on("SIGTERM", () => { ${mark('term')} setTimeout(() => { ${mark('exit')} process.exit(0); }, 400); }); ${mark('ready')}`;
    const read = (f: string): number => Number(fs.readFileSync(path.join(marks, f), 'utf8'));
    try {
      const old = ['o1', 'o2', 'o3'];
      for (const n of old) assert.equal(await link.create(cfg(n, slow, { env: { SCRIPT: slow, NAME: n } })), '');
      await waitFor('the old nodes running', () => old.every((n) => fs.existsSync(path.join(marks, `${n}-ready`))), 5000, 20);
      const destroys = old.map((n) => link.destroy(n));
      const created = link.create(cfg('new', `${mark('start')} ${LONG}`, { env: { SCRIPT: `${mark('start')} ${LONG}`, NAME: 'new' } }));
      assert.deepEqual(await Promise.all(destroys), [true, true, true]);
      assert.equal(await created, '');
      await waitFor('the new node started', () => fs.existsSync(path.join(marks, 'new-start')), 5000, 20);
      const firstExit = Math.min(...old.map((n) => read(`${n}-exit`)));
      const lastExit = Math.max(...old.map((n) => read(`${n}-exit`)));
      for (const n of old) assert.ok(read(`${n}-term`) < firstExit, `${n} was asked to stop before any old node had exited: the stops overlap`);
      assert.ok(read('new-start') >= lastExit, 'the new node started after every old one had exited');
      assert.deepEqual(Object.keys(sup.status().nodes), ['new']);
    } finally {
      await link.close();
      await control.close();
    }
  });
});
