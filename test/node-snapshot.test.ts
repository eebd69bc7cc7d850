// Start-up snapshots of emulated nodes (framework/supervisor/node-snapshot.ts,
// framework/node/emulated/snapshot-entry.ts): built and self-tested, reused while the
// sources are unchanged and rebuilt when they change, one build per cache directory at a
// time, a fallback to main.js when none can be built; and a node started from one behaves
// like a node started from main.js (check-in, get_id_value, lazily loaded modules, metrics,
// logs, clean exit, parent watch).

import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { B } from '../sdk/broker/data';
import { ZeekEvent } from '../sdk/broker/event';
import { NodeApi } from '../sdk/model/events';
import { resultFromData } from '../sdk/model/records';
import { EndpointServer } from '../sdk/transport/endpoint-server';
import { LAUNCH_ENV, NodeLaunchSpec, writeLaunchSpec } from '../framework/node/launch-spec';
import { Settings } from '../framework/settings/settings';
import { EMULATED_NODE_FLAGS } from '../framework/supervisor/launcher';
import { EmulatedNodeSnapshot, SnapshotManifest } from '../framework/supervisor/node-snapshot';
import { alive, freePorts, REPO, tempDir, waitFor } from './run-support';

const DIST = path.join(REPO, 'dist');

describe('emulated node start-up snapshots', function () {
  this.timeout(30000);
  let root: string;
  let cache: string;
  let snap: EmulatedNodeSnapshot;
  const logs: string[] = [];
  const started: ChildProcess[] = [];
  const others: EmulatedNodeSnapshot[] = [];

  const make = (dir: string, flags = EMULATED_NODE_FLAGS): EmulatedNodeSnapshot => {
    const s = new EmulatedNodeSnapshot({ distRoot: DIST, cacheDirs: [dir], flags, log: (level, msg) => logs.push(`${level} ${msg}`) });
    others.push(s);
    return s;
  };
  const manifestOf = (s: EmulatedNodeSnapshot, dir: string): SnapshotManifest =>
    JSON.parse(fs.readFileSync(path.join(dir, `emulated-node-${s.key}.json`), 'utf8')) as SnapshotManifest;

  before(async () => {
    root = tempDir('zeek-mgmt-snapshot-');
    cache = path.join(root, 'cache');
    snap = make(cache);
    snap.prepare();
    assert.equal(snap.status, 'building');
    assert.equal(snap.launchArgs(), null, 'nodes start from main.js while it builds');
    assert.equal(await snap.whenSettled(), true, logs.join('\n'));
  });

  after(async () => {
    for (const s of others) s.close();
    for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    for (const p of started) assert.equal(alive(p.pid!), false, `pid ${p.pid} still alive`);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('holds main.js and the modules it loads, self-tested, and is found again without a rebuild', () => {
    const m = manifestOf(snap, cache);
    assert.equal(m.node, process.version);
    assert.deepEqual(m.flags, EMULATED_NODE_FLAGS);
    for (const f of ['framework/node/emulated/main.js', 'framework/node/emulated/node.js', 'sdk/transport/websocket-socket.js', 'sdk/broker/json-codec.js']) {
      assert.match(m.files[f] ?? '', /^[0-9a-f]{64}$/, `${f} is compiled in`);
    }
    // Loaded lazily, at run time only: the parent watch, http, the redef parser.
    for (const f of ['framework/supervisor/parent-watch.js', 'framework/node/emulated/script-redefs.js']) assert.equal(m.files[f], undefined, f);
    assert.equal(fs.statSync(snap.blob!).size, m.blobSize);
    assert.deepEqual(snap.launchArgs(), ['--snapshot-blob', snap.blob]);
    assert.ok(logs.some((l) => l.startsWith('info emulated node start-up snapshot ready')), logs.join('\n'));

    const again = make(cache);
    again.prepare();
    assert.equal(again.status, 'ready', 'a valid manifest is used as it is');
    assert.equal(again.blob, snap.blob);
    assert.equal(fs.existsSync(path.join(cache, `emulated-node-${snap.key}.lock`)), false, 'no lock left behind');
  });

  describe('a node started from it', () => {
    let server: EndpointServer;
    const events: ZeekEvent[] = [];
    let proc: ChildProcess;
    let stderr = '';
    let dir: string;
    let metricsPort: number;

    before(async () => {
      server = new EndpointServer({ host: '127.0.0.1', port: 0, relay: false });
      server.on('event', (ev) => events.push(ev));
      const agentPort = (await server.listen()).port;
      metricsPort = await freePorts(1);
      dir = path.join(root, 'manager');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'site-tweaks.zeek'), 'redef LogAscii::use_json = T;\n');
      const s = Settings.resolve({ env: {}, args: [], baseDir: dir });
      const spec: NodeLaunchSpec = {
        name: 'manager', directory: dir, interface: null, pcap_file: null, scripts: ['site-tweaks', 'policy/frameworks/management/node'],
        cluster: { manager: { role: 'MANAGER', host: '127.0.0.1', p: 0, interface: null, pcap_file: null, metrics_port: metricsPort } },
        globals: s.nodeGlobals(), explicitGlobals: s.explicitNodeGlobals(), agent: { host: '127.0.0.1', port: agentPort },
      };
      const file = writeLaunchSpec(spec);
      proc = spawn(process.execPath, [...EMULATED_NODE_FLAGS, ...snap.launchArgs()!], { cwd: dir, env: { ...process.env, [LAUNCH_ENV]: file }, stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(proc);
      proc.stdout!.resume();
      proc.stderr!.on('data', (d) => (stderr += d));
      await waitFor('its hello', () => events.some((e) => e.name === NodeApi.notify_node_hello), 10000, 20);
    });

    after(async () => {
      await server.close();
    });

    it('checks in and answers get_id_value, with the redefs of a script it loaded at run time', async () => {
      for (const [id, want] of [['Cluster::node', '"manager"'], ['LogAscii::use_json', 'true']]) {
        const reqid = `r-${id}`;
        server.publishEvent('zeek/management/node', { name: NodeApi.node_dispatch_request, args: [B.str(reqid), B.vec([B.str('get_id_value'), B.str(id)]), B.set([])] });
        const ev = await waitFor(`the answer for ${id}`, () => events.find((e) => e.name === NodeApi.node_dispatch_response && e.args[0].type === 'string' && e.args[0].value === reqid), 5000, 20);
        assert.deepEqual(resultFromData(ev.args[1]).data, B.str(want));
      }
    });

    it('serves metrics (node:http loaded at run time) and writes its logs', async () => {
      const body = await new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: metricsPort, path: '/services.json', agent: false }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(b));
        }).on('error', reject);
      });
      assert.deepEqual(JSON.parse(body), [{ targets: [`127.0.0.1:${metricsPort}`], labels: {} }]);
      const line = JSON.parse(fs.readFileSync(path.join(dir, 'loaded_scripts.log'), 'utf8').split('\n')[0]) as { name: string };
      assert.deepEqual(line, { name: 'site-tweaks' });
      assert.equal(stderr, '', 'nothing on stderr: no V8 or Node.js warnings');
      assert.ok(!fs.readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').includes('main.js'), 'started from the snapshot, not main.js');
    });

    it('rotates its logs and exits 0 on SIGTERM', async () => {
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      proc.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(fs.existsSync(path.join(dir, 'loaded_scripts.log')), false, 'moved into the log queue');
    });
  });

  it('starts the parent watch: a node whose Supervisor vanished exits', async () => {
    // A parent that starts the node and exits at once, as a killed Supervisor would.
    const dir = path.join(root, 'orphan');
    fs.mkdirSync(dir, { recursive: true });
    const s = Settings.resolve({ env: {}, args: [], baseDir: dir });
    const file = writeLaunchSpec({
      name: 'w', directory: dir, interface: null, pcap_file: null, scripts: [], cluster: { w: { role: 'WORKER', host: '127.0.0.1', p: 0, interface: null, pcap_file: null, metrics_port: null } },
      globals: s.nodeGlobals(), explicitGlobals: [], agent: { host: '127.0.0.1', port: await freePorts(1) },
    });
    const script = `const c = require('child_process').spawn(process.execPath, ${JSON.stringify([...EMULATED_NODE_FLAGS, ...snap.launchArgs()!])}, { stdio: 'ignore', env: { ...process.env, ${LAUNCH_ENV}: ${JSON.stringify(file)} } }); console.log(c.pid); setTimeout(() => process.exit(0), 300);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout!.on('data', (d) => (out += d));
    await new Promise((r) => parent.once('exit', r));
    const pid = Number(out.trim());
    assert.ok(pid > 0, out);
    assert.ok(alive(pid), 'the node was running when its parent went');
    await waitFor('the orphaned node to exit', () => !alive(pid), 8000, 100);
  });

  it('is not used once a source compiled into it changes: another one is built', async () => {
    const dir = path.join(root, 'changed');
    fs.cpSync(cache, dir, { recursive: true });
    const file = path.join(dir, `emulated-node-${snap.key}.json`);
    const m = manifestOf(snap, dir);
    m.files['framework/node/emulated/node.js'] = '0'.repeat(64); // as if node.js had been rebuilt since
    fs.writeFileSync(file, JSON.stringify(m));
    const s = make(dir);
    s.prepare();
    assert.equal(s.status, 'building');
    assert.equal(await s.whenSettled(), true);
    assert.notEqual(path.basename(s.blob!), m.blob);
    assert.notEqual(manifestOf(s, dir).files['framework/node/emulated/node.js'], '0'.repeat(64));
    assert.ok(fs.existsSync(path.join(dir, m.blob)), 'the replaced blob stays a while for nodes being spawned with it');
  });

  it('is not used with another node binary version or a blob of the wrong size', () => {
    for (const [what, tamper] of [['version', (m: SnapshotManifest) => { m.node = 'v1.0.0'; }], ['size', (m: SnapshotManifest) => { m.blobSize += 1; }]] as const) {
      const dir = path.join(root, `tampered-${what}`);
      fs.cpSync(cache, dir, { recursive: true });
      const m = manifestOf(snap, dir);
      tamper(m);
      fs.writeFileSync(path.join(dir, `emulated-node-${snap.key}.json`), JSON.stringify(m));
      const s = make(dir);
      s.prepare();
      assert.equal(s.status, 'building', what);
      s.close();
    }
  });

  it('has a key of its own per set of flags', () => {
    const other = make(cache, [...EMULATED_NODE_FLAGS, '--stack-size=900']);
    assert.notEqual(other.key, snap.key);
  });

  it('waits for a build another Supervisor is running, then uses its snapshot; takes over a stale lock', async () => {
    const dir = path.join(root, 'locked');
    fs.mkdirSync(dir);
    const lock = path.join(dir, `emulated-node-${snap.key}.lock`);
    fs.writeFileSync(lock, `${process.pid}\n`); // held by a live process: this one
    const waiting = make(dir);
    waiting.prepare();
    assert.equal(waiting.status, 'waiting');
    assert.equal(waiting.launchArgs(), null);
    // The other Supervisor publishes its snapshot.
    const m = manifestOf(snap, cache);
    fs.copyFileSync(path.join(cache, m.blob), path.join(dir, m.blob));
    fs.writeFileSync(path.join(dir, `emulated-node-${snap.key}.json`), JSON.stringify(m));
    assert.equal(await waiting.whenSettled(), true);
    assert.equal(waiting.blob, path.join(dir, m.blob));

    const dir2 = path.join(root, 'stale');
    fs.mkdirSync(dir2);
    fs.writeFileSync(path.join(dir2, `emulated-node-${snap.key}.lock`), '999999999\n'); // no such process
    const taker = make(dir2);
    taker.prepare();
    assert.equal(taker.status, 'building');
    assert.equal(await taker.whenSettled(), true);
  });

  it('falls back to main.js, with a warning, when no snapshot can be built', async () => {
    const s = make(path.join(root, 'broken'), [...EMULATED_NODE_FLAGS, '--no-such-flag-for-node']);
    s.prepare();
    assert.equal(await s.whenSettled(), false);
    assert.equal(s.status, 'off');
    assert.equal(s.launchArgs(), null);
    assert.ok(logs.some((l) => /^warning cannot build the emulated node start-up snapshot, nodes start from main\.js: .*--build-snapshot exited 9/.test(l)), logs.join('\n'));
    assert.deepEqual(fs.readdirSync(path.join(root, 'broken')), [], 'no blob or lock left behind');
  });

  it('stops a build in progress when closed, leaving no process, lock or blob', async () => {
    const dir = path.join(root, 'closed');
    const s = make(dir);
    s.prepare();
    assert.equal(s.status, 'building');
    s.close();
    assert.equal(await s.whenSettled(), false);
    await waitFor('the lock to go', () => !fs.existsSync(path.join(dir, `emulated-node-${snap.key}.lock`)), 5000, 20);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => !f.endsWith('.tmp')), []);
  });
});
