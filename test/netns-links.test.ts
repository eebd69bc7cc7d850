// Issue 24, points 2 and 3, across network namespaces: a controller host and eight sensor
// hosts (test/helpers/netns-mgmt.ts), emulated nodes, native Broker over TLS.
//
// - A slow link: sensor-6's agent reaches the controller through a TCP relay inside its
//   namespace that holds every chunk 200 ms each way, and its veth is capped at 1 Mbit/s
//   with tbf (no netem here). A deploy succeeds within the controller's timeouts.
// - A partition during a deploy: sensor-6's relay stalls without closing (SIGSTOP) once
//   the controller has sent it its deploy_request, and later sensor-3's veth goes down the
//   same way. The deploy answers naming the instance and its nodes; the other seven
//   deploy; get-nodes names the cut sensor as not connected; after the link heals the
//   agent checks in again and the cluster converges on the configuration asked for, with
//   every node running exactly once.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { netnsSkipReason, Relay } from './helpers/netns';
import { findZeek, findZeekClient } from './helpers/real-zeek';
import { AGENT_PORT, CLI_JS, clusterIni, CONTROLLER_PORT, NetnsCluster, RUN_JS, WS_PORT } from './helpers/netns-mgmt';
import { waitFor } from './run-support';

const SENSORS = 8;
const RELAY_PORT = 2160;
/** Liveness of the native links in these tests (defaults 2 s and 10 s). */
const LIVENESS = ['ZeekMgmt::peer_ping_interval=1 secs', 'ZeekMgmt::peer_timeout=5 secs'];

/** Node name → the sensors running a process of it, from every namespace's /proc. */
function runningWhere(cluster: NetnsCluster): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [key, pids] of cluster.nodeProcesses()) {
    const [host, node] = key.split('/');
    for (let i = 0; i < pids.length; i++) m.set(node, [...(m.get(node) ?? []), host]);
  }
  for (const v of m.values()) v.sort();
  return m;
}

describe('a slow link and partitions during deploys, across network namespaces (issue 24 points 2, 3)', function () {
  this.timeout(120000);
  const skip = netnsSkipReason() ?? (fs.existsSync(RUN_JS) && fs.existsSync(CLI_JS) ? null : 'build first (npm run build)');
  let cluster: NetnsCluster;
  let relay: Relay;
  const zeekClient = findZeekClient(findZeek());

  before(async function () {
    if (skip) {
      console.log(`      skipped: ${skip}`);
      this.skip();
    }
    cluster = await NetnsCluster.create(SENSORS, LIVENESS);
    const { hosts } = cluster;
    const slow = hosts.sensors[5];
    relay = await hosts.relay(slow, { host: '127.0.0.1', port: RELAY_PORT }, { host: hosts.controller.addr, port: CONTROLLER_PORT }, 200);
    hosts.cap(slow, '1mbit');
    cluster.startController();
    for (const s of hosts.sensors) cluster.startAgent(s, s === slow ? { dial: false, address: '127.0.0.1', port: RELAY_PORT } : undefined);
    try {
      await waitFor('eight agents at the controller', () => cluster.connected().length === SENSORS, 60000, 500);
    } catch (err) {
      console.log(cluster.outputs());
      throw err;
    }
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.outputs(3000));
  });

  after(async () => {
    await cluster?.stop();
  });

  it('deploys across a slow link (relay 200 ms each way, tbf 1 Mbit/s) within the controller\'s timeouts', () => {
    const { hosts } = cluster;
    const slow = hosts.sensors[5];
    // The slow sensor's agent is peered through the relay, and its link is capped.
    const peered = hosts.execSync(slow, ['ss', '-Htn', 'state', 'established', 'dst', `127.0.0.1:${RELAY_PORT}`]);
    assert.ok(peered.trim().length > 0, 'sensor-6\'s agent is connected to the relay');
    assert.match(hosts.execSync(slow, ['tc', 'qdisc', 'show', 'dev', 'eth0']), /tbf .*rate 1Mbit/);
    // Success means every agent answered within the controller's request timeout (10 s),
    // else the result would be "request timed out"; bench:netns measures how long it takes.
    const r = cluster.cli(['deploy-config', '-'], clusterIni(hosts));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.errors, []);
    assert.equal(out.results.nodes['worker-6'].instance, 'sensor-6');
    assert.equal(out.results.nodes['worker-6'].success, true);
    assert.equal(Object.keys(out.results.nodes).length, 3 + SENSORS);
    const p = cluster.pids();
    assert.ok(hosts.pids(slow).includes(p.get('sensor-6/worker-6')!), 'worker-6 runs on the slow sensor');
  });

  /**
   * Deploys `ini` (moving `moved` off `cut` and adding `added` on it), cuts `cut` once the
   * controller has sent it its deploy_request, and checks the answer, get-nodes and drift
   * during the cut and the convergence after `heal`.
   */
  const partition = async (o: { cutIndex: number; cut: () => void; heal: () => void; moved: string; movedTo: string; added: string; file: string }): Promise<void> => {
    const { hosts } = cluster;
    const cut = hosts.sensors[o.cutIndex].name;
    const desired = clusterIni(hosts, { move: { [o.moved]: o.movedTo }, extra: `\n[${o.added}]\ninstance = ${cut}\nrole = worker\ninterface = lo\n` });
    const file = `${cluster.agentsDir}/${o.file}`;
    fs.writeFileSync(file, desired);
    const logBefore = cluster.controllerLog().length;
    const deploying = cluster.cliAsync(['deploy-config', file]);
    await waitFor(`the controller's deploy_request to ${cut}`, () => new RegExp(`tx Management::Agent::API::deploy_request \\S+ to ${cut}\\b`).test(cluster.controllerLog().slice(logBefore)), 30000, 20);
    o.cut();

    // The deploy answers at the controller's timeout: Zeek's error, naming the instance,
    // and the cut instance's nodes as failed; the other seven deployed.
    const r = await deploying;
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.errors.length, 1, r.stdout);
    assert.match(out.errors[0], new RegExp(`^request timed out: instance '${cut}' is not connected \\(connected: `));
    const nodes: Record<string, { success: boolean; instance: string }> = out.results.nodes;
    assert.deepEqual(nodes[o.added], { success: false, instance: cut });
    assert.deepEqual(nodes[o.moved], { success: true, instance: o.movedTo });
    for (const [name, n] of Object.entries(nodes)) if (n.instance !== cut) assert.equal(n.success, true, `${name} on ${n.instance}`);
    assert.deepEqual(Object.keys(nodes).sort(), ['logger-1', 'manager', 'proxy-1', ...hosts.sensors.map((_, i) => `worker-${i + 1}`), o.added].sort());

    // get-nodes names the cut sensor as not connected and lists the others.
    const gn = cluster.cli(['get-nodes']);
    assert.equal(gn.status, 1, gn.stdout + gn.stderr);
    const g = JSON.parse(gn.stdout);
    assert.deepEqual(g.errors, [{ source: cut, error: `instance '${cut}' is not connected` }]);
    assert.deepEqual(Object.keys(g.results).sort(), hosts.sensors.map((s) => s.name).filter((n) => n !== cut).sort());
    assert.ok(!cluster.connected().includes(cut));
    // zeek-client (where installed) renders the same: the cut sensor under errors, exit 1.
    if (zeekClient) {
      const z = spawnSync('ip', ['netns', 'exec', hosts.controller.ns, ...zeekClient, '--controller', `127.0.0.1:${WS_PORT}`, 'get-nodes'], { encoding: 'utf8', timeout: 60000 });
      assert.equal(z.status, 1, z.stderr);
      assert.deepEqual(JSON.parse(z.stdout).errors, [{ source: cut, error: `instance '${cut}' is not connected` }]);
    }
    // drift sees the cut instance and the deployment that did not settle.
    const drift = cluster.cli(['drift', '--format', 'json', file]);
    assert.equal(drift.status, 2, drift.stdout + drift.stderr);
    const d = JSON.parse(drift.stdout);
    assert.ok(d.differences.some((x: { subject: string; message: string }) => x.subject === `instance ${cut}` && /not connected/.test(x.message)), drift.stdout);

    // Heal: the agent checks in again and gets the configuration asked for; agents that run
    // it already do nothing. Every node then runs exactly once, where it is configured.
    o.heal();
    await waitFor(`${cut} back at the controller`, () => cluster.connected().includes(cut), 40000, 500);
    await waitFor('drift in sync', () => cluster.cli(['drift', '--format', 'json', file]).status === 0, 40000, 500);
    const where = runningWhere(cluster);
    const expected = new Map<string, string[]>([['manager', ['sensor-1']], ['proxy-1', ['sensor-1']], ['logger-1', ['sensor-2']], [o.added, [cut]]]);
    hosts.sensors.forEach((s, i) => expected.set(`worker-${i + 1}`, [`worker-${i + 1}` === o.moved ? o.movedTo : s.name]));
    assert.deepEqual([...where].sort(), [...expected].sort());
    const p = cluster.pids();
    assert.equal(p.size, expected.size);
    for (const [key, pid] of p) assert.ok(cluster.nodeProcesses().get(key)?.includes(pid), `${key} pid ${pid}`);
    // Stored state: the controller's DEPLOYED is the configuration asked for, and apply
    // finds nothing left to do.
    assert.equal(cluster.cliJson(['get-config', '--deployed', '--as-json']).id, cluster.cliJson(['get-config', '--as-json']).id);
    const apply = cluster.cli(['apply', file]);
    assert.equal(apply.status, 0, apply.stdout + apply.stderr);
    assert.match(apply.stderr, /info: no changes, nothing deployed\n$/);
    assert.match(cluster.controllerLog(), /whose deployment did not reach every instance/);
  };

  it('a relay that stalls without closing while a deploy is in flight: named in the result, not connected in get-nodes, converges after it resumes', async () => {
    await partition({ cutIndex: 5, cut: () => relay.stall(), heal: () => relay.resume(), moved: 'worker-6', movedTo: 'sensor-7', added: 'worker-6b', file: 'stall.ini' });
  });

  it('a veth that goes down while a deploy is in flight: the same, after it comes up again', async () => {
    const { hosts } = cluster;
    const s3 = hosts.sensors[2];
    await partition({ cutIndex: 2, cut: () => hosts.linkDown(s3), heal: () => hosts.linkUp(s3), moved: 'worker-3', movedTo: 'sensor-4', added: 'worker-3b', file: 'veth.ini' });
  });
});

describe('a slow link with the controller connecting to the agents, across network namespaces (issue 24 points 2, 3)', function () {
  this.timeout(120000);
  const skip = netnsSkipReason() ?? (fs.existsSync(RUN_JS) && fs.existsSync(CLI_JS) ? null : 'build first (npm run build)');
  let cluster: NetnsCluster;
  let relay: Relay;

  before(async function () {
    if (skip) {
      console.log(`      skipped: ${skip}`);
      this.skip();
    }
    cluster = await NetnsCluster.create(SENSORS, LIVENESS);
    const { hosts } = cluster;
    const slow = hosts.sensors[5];
    // The controller dials sensor-6 at its relay, which passes on to the agent's port.
    relay = await hosts.relay(slow, { host: slow.addr, port: RELAY_PORT }, { host: '127.0.0.1', port: AGENT_PORT }, 200);
    hosts.cap(slow, '1mbit');
    cluster.startController();
    for (const s of hosts.sensors) cluster.startAgent(s, { dial: true });
    // Every agent listening, so that the deploy's time is the links', not the agents' start-up.
    await waitFor('eight agents listening', () => hosts.sensors.every((s) => hosts.execSync(s, ['ss', '-Htln', 'sport', `= :${AGENT_PORT}`]).trim() !== ''), 60000, 300);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.outputs(3000));
  });

  after(async () => {
    await cluster?.stop();
  });

  it('deploys across the slow link within the controller\'s timeouts', () => {
    const { hosts } = cluster;
    const slow = hosts.sensors[5];
    const dialPorts = new Map(hosts.sensors.map((s) => [s.name, { host: s.addr, port: s === slow ? RELAY_PORT : AGENT_PORT }]));
    const r = cluster.cli(['deploy-config', '-'], clusterIni(hosts, { dialPorts }));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.errors, []);
    assert.deepEqual(out.results.nodes['worker-6'], { success: true, instance: 'sensor-6' });
    assert.equal(Object.keys(out.results.nodes).length, 3 + SENSORS);
    // The controller's peering with sensor-6 is the one through the relay.
    const viaRelay = hosts.execSync(slow, ['ss', '-Htn', 'state', 'established', 'sport', `= :${RELAY_PORT}`]);
    assert.match(viaRelay, new RegExp(`${hosts.controller.addr.replace(/\./g, '\\.')}:\\d+`));
    assert.ok(hosts.pids(slow).includes(cluster.pids().get('sensor-6/worker-6')!), 'worker-6 runs on the slow sensor');
  });

  it('the relay stalls without closing: the controller drops sensor-6, get-nodes names it, and peers with it again once it resumes; its nodes kept running', async () => {
    const before = cluster.pids();
    relay.stall();
    await waitFor('sensor-6 dropped', () => !cluster.connected().includes('sensor-6'), 30000, 500);
    const gn = cluster.cli(['get-nodes']);
    assert.equal(gn.status, 1, gn.stdout + gn.stderr);
    assert.deepEqual(JSON.parse(gn.stdout).errors, [{ source: 'sensor-6', error: "instance 'sensor-6' is not connected" }]);
    relay.resume();
    await waitFor('sensor-6 back', () => cluster.connected().includes('sensor-6'), 40000, 500);
    const after = await waitFor('every node in get-nodes', () => { const p = cluster.pids(); return p.size === before.size ? p : null; }, 30000, 500);
    assert.deepEqual([...after].sort(), [...before].sort());
  });
});
