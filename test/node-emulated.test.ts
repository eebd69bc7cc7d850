// Emulated cluster nodes as real processes (dist/framework/node/emulated/main.js) against
// an in-test agent endpoint: check-in, get_id_value, Zeek's start-up failures, Broker
// port clashes, metrics and service discovery, and Zeek-style logs.

import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { B } from '../sdk/broker/data';
import { ZeekEvent } from '../sdk/broker/event';
import { NodeApi } from '../sdk/model/events';
import { resultFromData, Result } from '../sdk/model/records';
import { EndpointServer, Peer } from '../sdk/transport/endpoint-server';
import { LAUNCH_ENV, NodeLaunchSpec, writeLaunchSpec } from '../framework/node/launch-spec';
import { Settings } from '../framework/settings/settings';
import { ClusterEndpoint } from '../framework/supervisor/records';
import { alive, freePorts, REPO, tempDir, waitFor } from './run-support';

const MAIN = path.join(REPO, 'dist/framework/node/emulated/main.js');

interface Agent {
  server: EndpointServer;
  port: number;
  hellos: string[];
  events: ZeekEvent[];
  peers: Peer[];
}

async function startAgent(port = 0): Promise<Agent> {
  const server = new EndpointServer({ host: '127.0.0.1', port, relay: false });
  const a: Agent = { server, port: 0, hellos: [], events: [], peers: [] };
  server.on('peer', (p) => a.peers.push(p));
  server.on('event', (ev) => {
    a.events.push(ev);
    if (ev.name === NodeApi.notify_node_hello && ev.args[0].type === 'string') a.hellos.push(ev.args[0].value);
  });
  a.port = (await server.listen()).port;
  return a;
}

function clusterOf(base: number): Record<string, ClusterEndpoint> {
  const e = (role: ClusterEndpoint['role'], p: number, metrics: number, iface: string | null = null): ClusterEndpoint => ({ role, host: '127.0.0.1', p, interface: iface, pcap_file: null, metrics_port: metrics });
  return {
    manager: e('MANAGER', base, base + 10),
    logger: e('LOGGER', base + 1, base + 11),
    'worker-01': e('WORKER', 0, base + 12, 'lo'),
  };
}

function spec(name: string, dir: string, cluster: Record<string, ClusterEndpoint>, agentPort: number, settingsArgs: string[] = [], scripts: string[] = []): NodeLaunchSpec {
  // baseDir: the node's spool (log-queue for rotated logs) stays inside the test's directory.
  const s = Settings.resolve({ env: {}, args: settingsArgs, baseDir: dir });
  return {
    name, directory: dir, interface: cluster[name]?.interface ?? null, pcap_file: null,
    scripts: [...scripts, 'policy/frameworks/management/node'], cluster,
    globals: s.nodeGlobals(), explicitGlobals: s.explicitNodeGlobals(), agent: { host: '127.0.0.1', port: agentPort },
  };
}

const started: ChildProcess[] = [];

function launch(sp: NodeLaunchSpec): { proc: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  fs.mkdirSync(sp.directory, { recursive: true });
  const file = writeLaunchSpec(sp);
  const proc = spawn(process.execPath, [MAIN], { cwd: sp.directory, env: { ...process.env, [LAUNCH_ENV]: file }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  proc.stdout!.resume();
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, stderr: () => err, exited };
}

function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function dispatch(a: Agent, action: string[], nodes: string[] = [], expect = 1): Promise<Result[]> {
  const reqid = `r-${Math.random()}`;
  const before = a.events.length;
  a.server.publishEvent('zeek/management/node', { name: NodeApi.node_dispatch_request, args: [B.str(reqid), B.vec(action.map(B.str)), B.set(nodes.map(B.str))] });
  return waitFor(`${expect} dispatch response(s)`, () => {
    const rs = a.events.slice(before).filter((e) => e.name === NodeApi.node_dispatch_response && e.args[0].type === 'string' && e.args[0].value === reqid);
    return rs.length >= expect ? rs.map((e) => resultFromData(e.args[1])) : undefined;
  }, 5000, 20);
}

describe('emulated nodes', function () {
  this.timeout(20000);
  let agent: Agent;
  let base: number;
  let root: string;

  before(async () => {
    agent = await startAgent();
    base = await freePorts(20);
    root = tempDir('zeek-mgmt-nodes-');
  });

  after(async () => {
    for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    for (const p of started) assert.equal(alive(p.pid!), false, `node pid ${p.pid} still alive`);
    await agent.server.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('a running cluster', () => {
    before(async () => {
      const cluster = clusterOf(base);
      for (const n of ['manager', 'logger', 'worker-01']) launch(spec(n, path.join(root, n), cluster, agent.port, ['Broker::default_port=10001/tcp']));
      await waitFor('hellos from manager, logger and worker-01', () => ['manager', 'logger', 'worker-01'].every((n) => agent.hellos.includes(n)), 10000);
    });

    it('checks in with its agent', () => {
      for (const n of ['logger', 'manager', 'worker-01']) assert.ok(agent.hellos.includes(n), `no hello from ${n}`);
      for (const p of agent.peers) assert.deepEqual(p.subscriptions, ['zeek/management/node']);
    });

    it('answers get_id_value with Zeek-style JSON from its configuration', async () => {
      const byNode = (rs: Result[]) => new Map(rs.map((r) => [r.node!, r]));
      const node = byNode(await dispatch(agent, ['get_id_value', 'Cluster::node'], ['manager', 'logger', 'worker-01'], 3));
      for (const n of ['manager', 'logger', 'worker-01']) {
        assert.equal(node.get(n)!.success, true);
        assert.deepEqual(node.get(n)!.data, B.str(JSON.stringify(n)));
        assert.equal(node.get(n)!.instance, null);
      }
      const [layout] = await dispatch(agent, ['get_id_value', 'Cluster::nodes'], ['worker-01']);
      assert.deepEqual(JSON.parse((layout.data as { value: string }).value), {
        logger: { node_type: 'Cluster::LOGGER', ip: '127.0.0.1', zone_id: '', p: { port: base + 1, proto: 'tcp' }, manager: 'manager', metrics_port: { port: base + 11, proto: 'tcp' } },
        manager: { node_type: 'Cluster::MANAGER', ip: '127.0.0.1', zone_id: '', p: { port: base, proto: 'tcp' }, metrics_port: { port: base + 10, proto: 'tcp' } },
        'worker-01': { node_type: 'Cluster::WORKER', ip: '127.0.0.1', zone_id: '', p: { port: 0, proto: 'unknown' }, manager: 'manager', metrics_port: { port: base + 12, proto: 'tcp' } },
      });
      const value = async (id: string, n: string): Promise<string> => ((await dispatch(agent, ['get_id_value', id], [n]))[0].data as { value: string }).value;
      assert.equal(await value('Broker::default_port', 'manager'), '{"port":10001,"proto":"tcp"}');
      assert.equal(await value('LogAscii::use_json', 'manager'), 'false');
      assert.equal(await value('Log::default_rotation_interval', 'logger'), '"1.0 hr"');
      assert.equal(await value('Log::default_rotation_interval', 'manager'), '"1.0 day"', 'with a logger, the manager keeps base/frameworks/cluster/nodes/manager.zeek\'s 24 hrs');
      assert.equal(await value('Cluster::manager_is_logger', 'manager'), 'false');
      assert.equal(await value('Management::role', 'manager'), '"Management::NODE"');
    });

    it('fails get_id_value and other dispatches with Zeek\'s errors', async () => {
      const [unknown] = await dispatch(agent, ['get_id_value', 'Nope::nothing'], ['manager']);
      assert.deepEqual([unknown.success, unknown.error, unknown.node, unknown.data], [false, 'unknown id', 'manager', null]);
      const [noArg] = await dispatch(agent, ['get_id_value'], ['manager']);
      assert.equal(noArg.error, 'get_id_value expects name of global identifier');
      const [bad] = await dispatch(agent, ['reboot'], ['manager']);
      assert.equal(bad.error, 'dispatch reboot unknown');
      const [none] = await dispatch(agent, [], ['manager']);
      assert.equal(none.error, 'no dispatch arguments provided');
    });

    it('ignores dispatches addressed to other nodes', async () => {
      const rs = await dispatch(agent, ['get_id_value', 'Cluster::node'], ['logger']);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(rs.map((r) => r.node), ['logger']);
    });

    it('listens on its Broker port', async () => {
      await new Promise<void>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: base }, () => { s.destroy(); resolve(); });
        s.on('error', reject);
      });
    });

    it('serves Prometheus metrics, and the manager the service-discovery list', async () => {
      const m = await get(base + 12, '/metrics');
      assert.equal(m.status, 200);
      assert.match(m.body, /^process_resident_memory_bytes\{endpoint="worker-01"\} \d+$/m);
      const sd = await get(base + 10, '/services.json');
      assert.deepEqual(JSON.parse(sd.body), [{ targets: [`127.0.0.1:${base + 11}`, `127.0.0.1:${base + 10}`, `127.0.0.1:${base + 12}`], labels: {} }]);
      assert.equal((await get(base + 12, '/services.json')).status, 404);
    });

    it('serves several metrics requests over one keep-alive connection', async () => {
      const agentKA = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const sockets = new Set<net.Socket>();
        for (let i = 0; i < 3; i++) {
          const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
            const req = http.get({ host: '127.0.0.1', port: base + 12, path: '/metrics', agent: agentKA }, resolve);
            req.on('socket', (s) => sockets.add(s));
            req.on('error', reject);
          });
          let body = '';
          for await (const chunk of res) body += chunk;
          assert.equal(res.statusCode, 200);
          assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4');
          assert.match(body, /^process_cpu_seconds_total\{endpoint="worker-01"\} [\d.e-]+$/m);
        }
        assert.equal(sockets.size, 1, 'the three requests shared one connection');
      } finally {
        agentKA.destroy();
      }
    });

    it('writes Zeek-style logs in its directory', async () => {
      const cluster = fs.readFileSync(path.join(root, 'manager/cluster.log'), 'utf8').split('\n');
      assert.deepEqual(cluster.slice(0, 5), ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tcluster']);
      assert.match(cluster[5], /^#open\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
      assert.equal(cluster[6], '#fields\tts\tnode\tmessage');
      assert.equal(cluster[7], '#types\ttime\tstring\tstring');
      assert.match(cluster[8], new RegExp(`^\\d+\\.\\d{6}\\tmanager\\tlistening on 0\\.0\\.0\\.0:${base}/tcp$`));
      const scripts = fs.readFileSync(path.join(root, 'manager/loaded_scripts.log'), 'utf8');
      assert.match(scripts, /\npolicy\/frameworks\/management\/node\n/);
      await waitFor('conn.log entries for the metrics scrapes', () => fs.existsSync(path.join(root, 'worker-01/conn.log')) && /\thttp\t/.test(fs.readFileSync(path.join(root, 'worker-01/conn.log'), 'utf8')));
      assert.match(fs.readFileSync(path.join(root, 'worker-01/conn.log'), 'utf8'), /#fields\tts\tuid\tid\.orig_h\tid\.orig_p\tid\.resp_h\tid\.resp_p\tproto\tservice/);
    });

    it('checks in again after its agent comes back', async () => {
      const port = agent.port;
      await agent.server.close();
      agent.hellos.length = 0;
      agent = await startAgent(port);
      await waitFor('hellos after the agent restart', () => ['manager', 'logger', 'worker-01'].every((n) => agent.hellos.includes(n)), 10000);
    });
  });

  it('reports a Broker port clash as Broker does and keeps running', async () => {
    const blocker = net.createServer();
    const port = base + 5;
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const cluster = { proxy: { role: 'PROXY' as const, host: '127.0.0.1', p: port, interface: null, pcap_file: null, metrics_port: null } };
      const n = launch(spec('proxy', path.join(root, 'proxy'), cluster, agent.port));
      await waitFor('the listen error', () => n.stderr().includes(`error: Failed to listen on 0.0.0.0:${port}`), 5000);
      await waitFor('its hello', () => agent.hellos.includes('proxy'), 5000);
      assert.equal(n.proc.exitCode, null);
      n.proc.kill('SIGTERM');
      assert.equal(await n.exited, 0);
    } finally {
      blocker.close();
    }
  });

  it('fails like Zeek when its metrics port is taken', async () => {
    const blocker = net.createServer();
    const port = base + 6;
    await new Promise<void>((r) => blocker.listen(port, '0.0.0.0', () => r()));
    try {
      const cluster = { w4: { role: 'WORKER' as const, host: '127.0.0.1', p: 0, interface: null, pcap_file: null, metrics_port: port } };
      const n = launch(spec('w4', path.join(root, 'w4'), cluster, agent.port));
      assert.equal(await n.exited, 1);
      assert.equal(n.stderr(), `fatal error: Failed to setup Prometheus endpoint: Address already in use. Attempted to bind to 0.0.0.0:${port}.\n`);
    } finally {
      blocker.close();
    }
  });

  it('fails like Zeek on an interface that does not exist', async () => {
    const cluster = { w: { role: 'WORKER' as const, host: '127.0.0.1', p: 0, interface: 'not-a-valid-interface', pcap_file: null, metrics_port: null } };
    const n = launch(spec('w', path.join(root, 'w'), cluster, agent.port));
    assert.equal(await n.exited, 1);
    assert.equal(n.stderr(), 'fatal error in <params>, line 1: problem with interface not-a-valid-interface (pcap_error: No such device exists (pcap_activate))\n');
  });

  it('fails like Zeek on a script it cannot find', async () => {
    const cluster = { w2: { role: 'WORKER' as const, host: '127.0.0.1', p: 0, interface: null, pcap_file: null, metrics_port: null } };
    const n = launch(spec('w2', path.join(root, 'w2'), cluster, agent.port, [], ['site/my-policy-that-exists-in-zeek', 'no-such-script.zeek']));
    assert.equal(await n.exited, 1);
    assert.equal(n.stderr(), 'fatal error: can\'t find no-such-script.zeek\n');
  });

  it('loads redefs of node globals from its scripts and writes JSON logs with LogAscii::use_json', async () => {
    const dir = path.join(root, 'w3');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'tuning.zeek'), 'redef LogAscii::use_json = T;\nevent zeek_init() { }\n');
    const cluster = { w3: { role: 'WORKER' as const, host: '127.0.0.1', p: 0, interface: null, pcap_file: null, metrics_port: null } };
    launch(spec('w3', dir, cluster, agent.port, [], ['tuning']));
    await waitFor('w3 hello', () => agent.hellos.includes('w3'), 5000);
    const [r] = await dispatch(agent, ['get_id_value', 'LogAscii::use_json'], ['w3']);
    assert.deepEqual(r.data, B.str('true'));
    const line = JSON.parse(fs.readFileSync(path.join(dir, 'loaded_scripts.log'), 'utf8').split('\n')[0]);
    assert.deepEqual(line, { name: 'tuning' });
  });
});
