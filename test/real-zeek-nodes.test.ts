// Real Zeek nodes under our agent (issue 11, section 3): `zeek-mgmt run` with
// Management::Agent::node_runtime=ZEEK deploys the documentation's mini configuration as
// real zeek processes (workers sniffing lo). Each loads Zeek's own
// policy/frameworks/management/node, unchanged, peers with our agent over native Broker
// (anonymous TLS, Zeek's default) on the agent's port 2151-equivalent, and checks in; it is
// RUNNING only after that. get-id-value is answered by the real nodes. Skipped without zeek.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import * as path from 'node:path';
import { cli, CliResult, LiveCluster, REFERENCE_DIR, startCluster, tempDir } from './cli-harness';
import { findZeek } from './helpers/real-zeek';

const zeek = findZeek();

const until = async (what: string, cond: () => Promise<boolean> | boolean, ms = 60000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

/** Everything the processes under a state dir wrote to their stdout/stderr files (the agent's log among them). */
function outputs(dir: string): string {
  let text = '';
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'stdout' || e.name === 'stderr' || e.name.endsWith('.log')) text += fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return text;
}

type NodeRow = { state: string; pid?: number; cluster_role?: string | null; mgmt_role?: string | null };

(zeek ? describe : describe.skip)(`real Zeek nodes under our agent${zeek ? '' : ' (skipped: no zeek binary; set ZEEK or put zeek on PATH)'}`, function () {
  this.timeout(180000);
  let c: LiveCluster;
  let dir: string;
  const z = (...args: string[]): Promise<CliResult> => cli(['--controller', c.controller, ...args], { timeoutMs: 60000 });
  const nodes = async (): Promise<Record<string, NodeRow>> => {
    const r = await z('get-nodes');
    const all = (JSON.parse(r.stdout) as { results: Record<string, Record<string, NodeRow>> }).results[c.agentName] ?? {};
    return Object.fromEntries(Object.entries(all).filter(([, v]) => v.cluster_role));
  };

  before(async () => {
    dir = tempDir('zeek-mgmt-real-nodes-');
    fs.writeFileSync(path.join(dir, 'mini.ini'), fs.readFileSync(path.join(REFERENCE_DIR, 'mini-config.ini'), 'utf8').replace('interface = eth0', 'interface = lo'));
    fs.writeFileSync(path.join(dir, 'error.ini'), fs.readFileSync(path.join(REFERENCE_DIR, 'mini-config-with-error.ini'), 'utf8').replace('interface = eth0', 'interface = lo'));
    c = await startCluster({ settings: ['Management::Agent::node_runtime=Management::Agent::ZEEK', `Management::Agent::zeek_binary=${zeek}`] });
  });

  after(async () => {
    if (c) {
      await cli(['--controller', c.controller, 'deploy-config', '/dev/null'], { timeoutMs: 30000 }).catch(() => undefined);
      await c.stop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploys the mini configuration as real zeek processes that check in natively', async () => {
    const r = await z('deploy-config', path.join(dir, 'mini.ini'));
    assert.equal(r.code, 0, r.stdout + r.stderr + c.output());
    const res = JSON.parse(r.stdout) as { errors: unknown[]; results: { nodes: Record<string, { success: boolean }> } };
    assert.deepEqual(res.errors, []);
    assert.deepEqual(Object.keys(res.results.nodes).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    for (const n of Object.values(res.results.nodes)) assert.equal(n.success, true);
    const ns = await nodes();
    assert.deepEqual(Object.keys(ns).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    for (const [name, n] of Object.entries(ns)) {
      assert.equal(n.state, 'RUNNING', name);
      // A real zeek process, not an emulated node.
      assert.match(fs.readFileSync(`/proc/${n.pid}/cmdline`, 'utf8'), /zeek\0/, name);
      assert.match(fs.readFileSync(`/proc/${n.pid}/cmdline`, 'utf8'), /policy\/frameworks\/management\/node/, name);
    }
    // They came in over native Broker, on the agent's port (the agent logs each peering).
    const log = outputs(c.dir);
    assert.equal((log.match(/native Broker peer \S+ over TLS/g) ?? []).length >= 4, true, log);
  });

  it('get-id-value is answered by the real nodes, rendered as Zeek renders it', async () => {
    const r = await z('get-id-value', 'Cluster::node');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { errors: [], results: { logger: 'logger', manager: 'manager', 'worker-01': 'worker-01', 'worker-02': 'worker-02' } });
    const ri = await z('get-id-value', 'Log::default_rotation_interval');
    assert.equal(ri.code, 0, ri.stdout + ri.stderr);
    assert.deepEqual(JSON.parse(ri.stdout), { errors: [], results: { logger: '1.0 hr', manager: '1.0 day', 'worker-01': '1.0 day', 'worker-02': '1.0 day' } });
    const bad = await z('get-id-value', 'No::such_id');
    assert.equal(bad.code, 1);
    const errs = (JSON.parse(bad.stdout) as { errors: { error: string; source: string }[] }).errors;
    assert.deepEqual(errs.map((e) => e.error), ['unknown id', 'unknown id', 'unknown id', 'unknown id']);
  });

  it('restart manager gives a new pid, RUNNING again once the new process checks in', async () => {
    const before = (await nodes()).manager.pid;
    const r = await z('restart', 'manager');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { errors: [], results: { manager: true } });
    await until('manager RUNNING with a new pid', async () => {
      const m = (await nodes()).manager;
      return m.state === 'RUNNING' && m.pid !== before;
    });
    const v = await z('get-id-value', 'Cluster::node', 'manager');
    assert.deepEqual(JSON.parse(v.stdout).results, { manager: 'manager' });
  });

  it('the agent\'s port survives hostile native input and keeps serving the nodes', async () => {
    const agentPort = Number(/agent \S+ is live, Broker ID \S+, listening on [^\s:]+:(\d+)/.exec(outputs(c.dir))?.[1]);
    assert.ok(agentPort > 0, 'agent port from its log');
    const send = (bytes: Buffer): Promise<void> => new Promise((resolve) => {
      const s = net.connect(agentPort, '127.0.0.1', () => s.write(bytes));
      s.resume();
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    await send(Buffer.from([0, 0, 0, 3, 0xff, 0xff, 0xff]));            // a frame that is no handshake message
    await send(Buffer.from([0x16, 3, 1, 0, 2, 0xde, 0xad, 0, 0, 0]));    // TLS record that is no ClientHello
    await send(Buffer.from([0x7f, 0xff, 0xff, 0xff]));                  // oversized frame length
    const r = await z('get-id-value', 'Cluster::node', 'worker-01');
    assert.deepEqual(JSON.parse(r.stdout).results, { 'worker-01': 'worker-01' });
  });

  it('kill -9 of the agent leaves the nodes up; the new agent finds them and they check in again', async () => {
    const all = async (): Promise<Record<string, NodeRow>> => {
      const r = await z('get-nodes');
      return (JSON.parse(r.stdout) as { results: Record<string, Record<string, NodeRow>> }).results[c.agentName] ?? {};
    };
    const before = await all();
    const agent = Object.values(before).find((n) => n.mgmt_role === 'AGENT')!;
    assert.ok(agent.pid);
    const pids = Object.fromEntries(Object.entries(before).filter(([, n]) => n.cluster_role).map(([k, n]) => [k, n.pid]));
    process.kill(agent.pid!, 'SIGKILL');
    await until('a new agent with every node RUNNING again', async () => {
      const now = await all().catch(() => ({} as Record<string, NodeRow>));
      const a = Object.values(now).find((n) => n.mgmt_role === 'AGENT');
      return a !== undefined && a.pid !== agent.pid && Object.keys(pids).every((k) => now[k]?.state === 'RUNNING');
    });
    const after = await nodes();
    // The same processes: nothing was restarted.
    assert.deepEqual(Object.fromEntries(Object.entries(after).map(([k, n]) => [k, n.pid])), pids);
    const r = await z('get-id-value', 'Cluster::node');
    assert.deepEqual(JSON.parse(r.stdout), { errors: [], results: { logger: 'logger', manager: 'manager', 'worker-01': 'worker-01', 'worker-02': 'worker-02' } });
  });

  it('a bad interface fails that node with Zeek\'s own stderr', async () => {
    const r = await z('deploy-config', path.join(dir, 'error.ini'));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const res = JSON.parse(r.stdout) as { results: { nodes: Record<string, { success: boolean; stderr?: string }> } };
    const w2 = res.results.nodes['worker-02'];
    assert.equal(w2.success, false);
    assert.match(w2.stderr ?? '', /problem with interface not-a-valid-interface/);
  });
});

(zeek ? describe : describe.skip)(`real Zeek nodes' logs${zeek ? '' : ' (skipped: no zeek binary)'}`, function () {
  this.timeout(180000);
  let c: LiveCluster;
  let dir: string;

  before(async () => {
    dir = tempDir('zeek-mgmt-real-logs-');
    fs.writeFileSync(path.join(dir, 'mini.ini'), fs.readFileSync(path.join(REFERENCE_DIR, 'mini-config.ini'), 'utf8').replace('interface = eth0', 'interface = lo'));
    c = await startCluster({ settings: ['Management::Agent::node_runtime=Management::Agent::ZEEK', `Management::Agent::zeek_binary=${zeek}`, 'Log::default_rotation_interval=3 secs', 'Management::Agent::archive_logs=F'] });
  });

  after(async () => {
    if (c) {
      await cli(['--controller', c.controller, 'deploy-config', '/dev/null'], { timeoutMs: 30000 }).catch(() => undefined);
      await c.stop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rotate into <spool>/log-queue under zeek-archiver\'s names', async () => {
    const r = await cli(['--controller', c.controller, 'deploy-config', path.join(dir, 'mini.ini')], { timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const queue = path.join(c.dir, 'spool', 'log-queue');
    const name = /^[a-z_]+__\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d__\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d__\.log$/;
    await until('a rotated log in the queue', () => fs.existsSync(queue) && fs.readdirSync(queue).some((f) => name.test(f)), 30000);
    for (const f of fs.readdirSync(queue)) assert.match(f, name);
  });
});

/** Files below `root`, as paths relative to it. */
function filesBelow(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(root, f)).isFile()).sort();
}

// The agent archives what real nodes rotated: with the built-in archiver, and with Zeek's own
// zeek-archiver (installed beside zeek) as Management::Agent::archive_cmd. Each archive is a
// gzip of a real Zeek log, under zeek-archiver's layout <date>/<stream>.<open>-<close>.log.gz.
for (const archiver of ['built-in', 'zeek-archiver'] as const) {
  const zeekArchiver = zeek ? path.join(path.dirname(zeek), 'zeek-archiver') : '';
  const have = !!zeek && (archiver === 'built-in' || fs.existsSync(zeekArchiver));
  const why = !zeek ? ' (skipped: no zeek binary)' : have ? '' : ` (skipped: no ${zeekArchiver})`;
  (have ? describe : describe.skip)(`real Zeek nodes' logs archived by the agent (${archiver})${why}`, function () {
    this.timeout(180000);
    let c: LiveCluster;
    let dir: string;

    before(async () => {
      dir = tempDir('zeek-mgmt-real-archive-');
      fs.writeFileSync(path.join(dir, 'mini.ini'), fs.readFileSync(path.join(REFERENCE_DIR, 'mini-config.ini'), 'utf8').replace('interface = eth0', 'interface = lo'));
      c = await startCluster({
        settings: [
          'Management::Agent::node_runtime=Management::Agent::ZEEK', `Management::Agent::zeek_binary=${zeek}`,
          'Log::default_rotation_interval=3 secs', 'Management::Agent::archive_interval=2 secs',
          `Management::Agent::archive_dir=${path.join(dir, 'archive')}`,
          ...(archiver === 'zeek-archiver' ? [`Management::Agent::archive_cmd=${zeekArchiver}`] : []),
        ],
      });
    });

    after(async () => {
      if (c) {
        await cli(['--controller', c.controller, 'deploy-config', '/dev/null'], { timeoutMs: 30000 }).catch(() => undefined);
        await c.stop();
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('moves rotated logs from log-queue into the archive as gzip, under zeek-archiver\'s names', async () => {
      const r = await cli(['--controller', c.controller, 'deploy-config', path.join(dir, 'mini.ini')], { timeoutMs: 60000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const archive = path.join(dir, 'archive');
      const name = /^\d{4}-\d\d-\d\d\/[a-z_]+\.\d\d:\d\d:\d\d-\d\d:\d\d:\d\d\.log\.gz$/;
      await until('an archived log', () => filesBelow(archive).some((f) => name.test(f)), 60000);
      const archived = filesBelow(archive).filter((f) => !path.basename(f).startsWith('.'));
      for (const f of archived) assert.match(f, name);
      // A real Zeek log: the ASCII writer's header, then its close line.
      const text = zlib.gunzipSync(fs.readFileSync(path.join(archive, archived[0]))).toString('utf8');
      assert.match(text, /^#separator \\x09\n#set_separator\t,\n/);
      assert.match(text, /\n#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\n$/);
      // What was archived has left the queue.
      const queued = new Set(filesBelow(path.join(c.dir, 'spool', 'log-queue')).map((f) => f.split('__')[0] + '.' + f.split('__')[1]));
      const first = archived[0];
      const m = /^(\d{4}-\d\d-\d\d)\/([a-z_]+)\.(\d\d):(\d\d):(\d\d)-/.exec(first)!;
      assert.ok(!queued.has(`${m[2]}.${m[1]}-${m[3]}-${m[4]}-${m[5]}`), `${first} is still queued`);
    });
  });
}
