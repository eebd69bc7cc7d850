// Our agent and our Supervisor send a deployment's cluster layout once and ask for
// statuses with each node's own endpoint only (ZeekMgmt::SupervisorControl, in
// framework/supervisor/events.ts), where Zeek's create_request and status_response carry
// the whole layout once per node. Checked over the wire between SupervisorLink and a real
// SupervisorControlServer (real child processes), and against a stand-in Supervisor that
// does not answer the hello: the link then sends Zeek's requests, as before.

import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { B } from '../sdk/broker/data';
import { ZeekEvent } from '../sdk/broker/event';
import { EndpointClient } from '../sdk/transport/endpoint-client';
import { EndpointServer } from '../sdk/transport/endpoint-server';
import { SupervisorLink } from '../framework/agent/supervisor-link';
import { authorizationHeader, generateSecret } from '../framework/supervisor/control-secret';
import { SupervisorControlServer } from '../framework/supervisor/control-server';
import { SupervisorControl, ZeekMgmtSupervisorControl } from '../framework/supervisor/events';
import { ClusterEndpoint, clusterToData, nodeConfig, NodeConfig, nodeConfigToData, statusFromData } from '../framework/supervisor/records';
import { LaunchCommand, Launcher, Supervisor } from '../framework/supervisor/supervisor';
import { alive, tempDir, waitFor } from './run-support';

const LONG = 'setInterval(() => {}, 1000); process.on("SIGTERM", () => process.exit(0));';

class ScriptLauncher implements Launcher {
  command(cfg: NodeConfig): LaunchCommand {
    return { file: process.execPath, args: ['-e', LONG], env: { PATH: process.env.PATH ?? '' }, cwd: cfg.directory ?? os.tmpdir() };
  }
}

function layoutOf(n: number): Record<string, ClusterEndpoint> {
  const cluster: Record<string, ClusterEndpoint> = {};
  for (let i = 1; i <= n; i++) cluster[`w${i}`] = { role: 'WORKER', host: '127.0.0.1', p: 2200 + i, interface: 'lo', pcap_file: null, metrics_port: 9000 + i };
  return cluster;
}

describe('ZeekMgmt::SupervisorControl: a layout sent once, statuses with own endpoints', function () {
  this.timeout(20000);
  const SECRET = generateSecret();
  let sup: Supervisor;
  let control: SupervisorControlServer;
  let link: SupervisorLink;
  let dir: string;
  let port: number;
  const received: string[] = [];

  beforeEach(async () => {
    dir = tempDir('zeek-mgmt-layouts-');
    sup = new Supervisor({ launcher: new ScriptLauncher(), outputMaxLines: 3, stdoutFile: 'stdout', stderrFile: 'stderr', restartDelayMs: 100, maxRestartDelayMs: 1000 });
    control = new SupervisorControlServer(sup, { host: '127.0.0.1', port: 0, topicPrefix: 'zeek/supervisor', managementTopic: 'zeek/management/supervisor', secret: SECRET });
    received.length = 0;
    control.server.on('event', (ev: ZeekEvent) => received.push(ev.name));
    const addr = await control.listen();
    port = addr.port;
    link = await SupervisorLink.connect({ host: '127.0.0.1', port: addr.port, topics: ['zeek/supervisor'], topicPrefix: 'zeek/supervisor', retryMs: 100, secret: SECRET });
    await waitFor('the Supervisor\'s hello_response', () => link.takesLayouts || undefined, 5000, 10);
  });

  afterEach(async () => {
    const pids = sup.pids();
    await link?.close();
    await control?.close();
    await sup.shutdown();
    for (const p of pids) assert.equal(alive(p), false, `pid ${p} survived shutdown`);
  });

  it('creates nodes from a layout sent once: each keeps the whole layout, shared, as from Zeek\'s create_request', async () => {
    const cluster = layoutOf(50);
    const id = await link.layout(clusterToData(cluster));
    assert.ok(id !== null);
    const cfgs = ['w1', 'w2', 'w3'].map((n) => nodeConfig(n, { directory: dir, interface: 'lo', addl_user_scripts: ['policy/frameworks/management/node'], cluster }));
    for (const c of cfgs) assert.equal(await link.create(c, undefined, id), '');
    // Zeek's create_request, with the same layout carried in full, beside them.
    const zeeks = nodeConfig('w4', { directory: dir, cluster });
    assert.equal(await link.create(zeeks, clusterToData(cluster)), '');
    for (const c of [...cfgs, zeeks]) assert.deepEqual(sup.status(c.name).nodes[c.name].node, c);
    assert.equal(sup.layouts, 1, 'one layout held for all four nodes');
    assert.deepEqual(received.filter((n) => n.endsWith('create_request')),
      [ZeekMgmtSupervisorControl.create_request, ZeekMgmtSupervisorControl.create_request, ZeekMgmtSupervisorControl.create_request, SupervisorControl.create_request]);
    // The whole layout travelled once, not with every create.
    assert.deepEqual(received.filter((n) => n === ZeekMgmtSupervisorControl.layout_request), [ZeekMgmtSupervisorControl.layout_request]);
  });

  it('gives our agent statuses with each node\'s own endpoint only, and Zeek\'s status_request the whole layout', async () => {
    const cluster = layoutOf(20);
    const id = await link.layout(clusterToData(cluster));
    for (const n of ['w1', 'w2']) assert.equal(await link.create(nodeConfig(n, { directory: dir, cluster }), undefined, id), '');
    const st = await link.status('');
    assert.deepEqual(Object.keys(st.nodes).sort(), ['w1', 'w2']);
    for (const n of ['w1', 'w2']) {
      assert.deepEqual(st.nodes[n].node.cluster, { [n]: cluster[n] });
      assert.ok(st.nodes[n].pid !== null && alive(st.nodes[n].pid!));
    }
    assert.ok(received.includes(ZeekMgmtSupervisorControl.status_request));
    assert.ok(!received.includes(SupervisorControl.status_request));
    // Zeek's status_request, sent raw, still gets every NodeConfig with the whole layout.
    const raw = await EndpointClient.connect({ host: '127.0.0.1', port, topics: ['zeek/supervisor'], attempts: 5, retryDelayMs: 100, headers: authorizationHeader(SECRET) });
    try {
      const reply = await new Promise<ZeekEvent>((resolve) => {
        raw.on('event', (ev) => {
          if (ev.name === SupervisorControl.status_response && ev.args[0]?.type === 'string' && ev.args[0].value === 'r-zeek') resolve(ev);
        });
        raw.publishEvent('zeek/supervisor', { name: SupervisorControl.status_request, args: [B.str('r-zeek'), B.str('')] });
      });
      const whole = statusFromData(reply.args[1]);
      for (const n of ['w1', 'w2']) assert.deepEqual(whole.nodes[n].node.cluster, cluster);
      // Ours, read raw (not through the agent's reader, which would reduce a whole layout too): one endpoint per node on the wire.
      const brief = await new Promise<ZeekEvent>((resolve) => {
        raw.on('event', (ev) => {
          if (ev.name === SupervisorControl.status_response && ev.args[0]?.type === 'string' && ev.args[0].value === 'r-ours') resolve(ev);
        });
        raw.publishEvent('zeek/supervisor', { name: ZeekMgmtSupervisorControl.status_request, args: [B.str('r-ours'), B.str('')] });
      });
      const own = statusFromData(brief.args[1]);
      for (const n of ['w1', 'w2']) assert.deepEqual(own.nodes[n], { node: { ...whole.nodes[n].node, cluster: { [n]: cluster[n] } }, pid: whole.nodes[n].pid });
    } finally {
      await raw.close();
    }
  });

  it('refuses a create naming a layout it does not hold, or with a cluster of its own, and a malformed layout', async () => {
    const cluster = layoutOf(3);
    assert.match(await link.create(nodeConfig('w1', { directory: dir, cluster: {} }), undefined, 'layout-never-sent'), /^invalid node configuration: unknown cluster layout 'layout-never-sent'$/);
    const id = await link.layout(clusterToData(cluster));
    assert.match(await link.create(nodeConfig('w1', { directory: dir, cluster }), clusterToData(cluster), null), /^$/);
    // A NodeConfig that names a layout and carries a cluster too is refused (the link never sends one; a raw request does).
    const raw = await EndpointClient.connect({ host: '127.0.0.1', port: port, topics: ['zeek/supervisor'], attempts: 5, retryDelayMs: 100, headers: authorizationHeader(SECRET) });
    const bad = await new Promise<string>((resolve) => {
      raw.on('event', (ev) => {
        if (ev.name === SupervisorControl.create_response && ev.args[0]?.type === 'string' && ev.args[0].value === 'r-both' && ev.args[1]?.type === 'string') resolve(ev.args[1].value);
      });
      raw.publishEvent('zeek/supervisor', { name: ZeekMgmtSupervisorControl.create_request, args: [B.str('r-both'), nodeConfigToData(nodeConfig('w2', { directory: dir, cluster })), B.str(id!)] });
    }).finally(() => raw.close());
    assert.equal(bad, 'invalid node configuration: a create_request naming a layout must have an empty cluster table');
    await assert.rejects(link.layout(B.table([[B.str('x'), B.str('not an endpoint')]])), /^Error: invalid cluster layout: /);
    assert.deepEqual(Object.keys(sup.status().nodes), ['w1']);
  });
});

describe('SupervisorLink against a Supervisor that does not answer its hello', function () {
  this.timeout(20000);

  it('sends Zeek\'s create_request and status_request, the layout with every create', async () => {
    const server = new EndpointServer({ host: '127.0.0.1', port: 0, relay: false });
    const got: ZeekEvent[] = [];
    server.on('event', (ev) => {
      got.push(ev);
      const reqid = ev.args[0];
      if (ev.name === SupervisorControl.create_request) server.publishEvent(`zeek/supervisor/create_response/${reqid.type === 'string' ? reqid.value : ''}`, { name: SupervisorControl.create_response, args: [reqid, B.str('')] });
    });
    const addr = await server.listen();
    const link = await SupervisorLink.connect({ host: '127.0.0.1', port: addr.port, topics: ['zeek/supervisor'], topicPrefix: 'zeek/supervisor', retryMs: 100 });
    try {
      await waitFor('the hello request', () => got.some((e) => e.name === ZeekMgmtSupervisorControl.hello_request) || undefined, 5000, 10);
      assert.equal(link.takesLayouts, false);
      const cluster = layoutOf(5);
      assert.equal(await link.layout(clusterToData(cluster)), null);
      assert.equal(await link.create(nodeConfig('w1', { cluster }), clusterToData(cluster), null), '');
      const create = got.find((e) => e.name === SupervisorControl.create_request)!;
      assert.ok(create, got.map((e) => e.name).join(', '));
      assert.equal(JSON.stringify(create.args[1]).includes('"w5"'), true, 'the create carries the whole layout');
      void link.status('').catch(() => undefined);
      await waitFor('a status request', () => got.some((e) => e.name.endsWith('status_request')) || undefined, 5000, 10);
      assert.deepEqual(got.filter((e) => e.name.endsWith('status_request')).map((e) => e.name), [SupervisorControl.status_request]);
      assert.ok(!got.some((e) => e.name === ZeekMgmtSupervisorControl.layout_request || e.name === ZeekMgmtSupervisorControl.create_request));
    } finally {
      await link.close();
      await server.close();
    }
  });
});
