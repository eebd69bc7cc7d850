// The agent's API as a controller sees it, with the controller connecting to the agent
// (Management::Agent::controller at 0.0.0.0): `zeek-mgmt run agent` with its Supervisor
// and emulated nodes; the test plays the controller over the agent's port, once over
// WebSocket JSON (as our controller connects) and once over native Broker with anonymous
// TLS (as Zeek's controller does; with the real one: real-zeek-controller-to-our-agent).
// Also ours beside Zeek's: the capabilities it announces and node diagnostics.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { B, BrokerData } from '../sdk/broker/data';
import { ZeekEvent } from '../sdk/broker/event';
import { AgentApi, DIAG_CAPABILITY, DiagApi, SITE_CAPABILITY, SiteApi } from '../sdk/model/events';
import { nodeDiagnosticsOf } from '../sdk/client/result-data';
import { configurationToData, nodeOutputsFromData, nodeStatusFromData, Result, resultFromData, resultVecFromData } from '../sdk/model/records';
import { Configuration, Node, NodeStatus } from '../sdk/model/schemas';
import { NativePeer } from '../sdk/broker/native/peer';
import { EndpointClient } from '../sdk/transport/endpoint-client';
import { CREATES_IN_FLIGHT } from '../framework/agent/agent';
import { alive, RunHandle, startRun, waitFor } from './run-support';

const AGENT = 'agent-api-test';
const TOPIC = `zeek/management/agent/${AGENT}`;

function node(name: string, role: Node['role'], extra: Partial<Node> = {}): Node {
  return { name, instance: AGENT, role, state: 'RUNNING', port: null, scripts: null, options: null, interface: null, cpu_affinity: null, env: {}, metrics_port: null, ...extra };
}

/** The test's side of the connection to the agent: a WebSocket client or a native Broker peer. */
interface ControllerSide {
  publishEvent(topic: string, ev: ZeekEvent): void;
  close(): Promise<void>;
  /** The agent's Broker endpoint id as this connection saw it (native peerings only). */
  remoteId?: string;
}

async function connectSide(wire: 'websocket' | 'native', port: number, onEvent: (ev: ZeekEvent) => void): Promise<ControllerSide> {
  if (wire === 'websocket') {
    const c = await EndpointClient.connect({ host: '127.0.0.1', port, topics: [TOPIC], attempts: 50, retryDelayMs: 200 });
    c.on('event', onEvent);
    return { publishEvent: (t, ev) => c.publishEvent(t, ev), close: () => c.close() };
  }
  // Zeek's controller subscribes to the agent topic prefix and its own topic.
  const p = await waitFor('a native peering with the agent', () => NativePeer.connect('127.0.0.1', port, { tls: true, filter: ['zeek/management/agent', 'zeek/management/controller'] }), 15000, 200);
  p.on('event', (_topic: string, ev: ZeekEvent) => onEvent(ev));
  return { publishEvent: (t, ev) => { p.publishEvent(t, ev); }, close: () => p.unpeer(), remoteId: p.remoteId.toString() };
}

for (const wire of ['websocket', 'native'] as const) describe(`agent API (controller connects to the agent, ${wire === 'native' ? 'native Broker' : 'WebSocket JSON'})`, function () {
  this.timeout(30000);
  let run: RunHandle;
  let ctl: ControllerSide;
  const events: ZeekEvent[] = [];
  let n = 0;

  async function request(name: string, response: string, args: BrokerData[], timeoutMs = 10000): Promise<ZeekEvent> {
    const reqid = `req-${++n}`;
    ctl.publishEvent(TOPIC, { name, args: [B.str(reqid), ...args] });
    return waitFor(`${response} ${reqid}`, () => events.find((e) => e.name === response && e.args[0].type === 'string' && e.args[0].value === reqid), timeoutMs, 20);
  }

  const deploy = async (cfg: Configuration, timeoutMs?: number): Promise<Result[]> =>
    resultVecFromData((await request(AgentApi.deploy_request, AgentApi.deploy_response, [configurationToData(cfg)], timeoutMs)).args[1]);

  async function statuses(): Promise<Map<string, NodeStatus>> {
    const r = resultFromData((await request(AgentApi.get_nodes_request, AgentApi.get_nodes_response, [])).args[1]);
    assert.equal(r.success, true);
    assert.equal(r.instance, AGENT);
    const d = r.data;
    assert.ok(d && d.type === 'vector');
    return new Map(d.value.map((x) => nodeStatusFromData(x)).map((s) => [s.node, s]));
  }

  const config = (id: string, nodes: Node[]): Configuration => ({ id, instances: [{ name: AGENT, host: '127.0.0.1', listen_port: run.ports.agent }], nodes });

  before(async () => {
    run = await startRun({
      roles: ['agent'], agentName: AGENT,
      extra: ['Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]', 'Management::Request::timeout_interval=2 secs'],
    });
    ctl = await connectSide(wire, run.ports.agent, (ev) => events.push(ev));
  });

  after(async () => {
    await ctl?.close();
    if (run) {
      const left = await run.stop();
      fs.rmSync(run.stateDir, { recursive: true, force: true });
      assert.deepEqual(left, []);
    }
  });

  it('greets a controller that peers with it: notify_agent_hello(instance, id, connecting=F, api_version=1)', async () => {
    const hello = await waitFor('notify_agent_hello', () => events.find((e) => e.name === AgentApi.notify_agent_hello));
    assert.deepEqual(hello.args.slice(0, 1), [B.str(AGENT)]);
    assert.equal(hello.args[1].type, 'string');
    // Over native Broker the id is the agent's endpoint id, by which Zeek's controller finds the peering (find_endpoint).
    if (ctl.remoteId !== undefined) assert.deepEqual(hello.args[1], B.str(ctl.remoteId));
    assert.deepEqual(hello.args.slice(2), [B.bool(false), B.count(1)]);
  });

  it('announces site-v1 and diag-v1 after its hello, and answers node diagnostics (ours) for the nodes asked for', async () => {
    const caps = await waitFor('notify_agent_capabilities', () => events.find((e) => e.name === SiteApi.notify_agent_capabilities));
    assert.deepEqual(caps.args, [B.str(AGENT), B.vec([B.str(SITE_CAPABILITY), B.str(DIAG_CAPABILITY)])]);
    const all = resultFromData((await request(DiagApi.agent_diagnostics_request, DiagApi.agent_diagnostics_response, [B.set([])])).args[1]);
    assert.equal(all.success, true, all.error ?? '');
    assert.equal(all.instance, AGENT);
    const list = nodeDiagnosticsOf(all);
    assert.deepEqual(list.map((d) => [d.node, d.instance, d.mgmt_role, d.state]), [[AGENT, AGENT, 'AGENT', 'RUNNING']]);
    const none = resultFromData((await request(DiagApi.agent_diagnostics_request, DiagApi.agent_diagnostics_response, [B.set([B.str('not-here')])])).args[1]);
    assert.deepEqual(nodeDiagnosticsOf(none), []);
  });

  it('answers agent_welcome_request', async () => {
    const r = resultFromData((await request(AgentApi.agent_welcome_request, AgentApi.agent_welcome_response, [])).args[1]);
    assert.deepEqual([r.success, r.instance, r.node, r.error], [true, AGENT, null, null]);
  });

  it('with no nodes, get_nodes shows the agent itself, listening since the controller connects to it', async () => {
    const st = await statuses();
    assert.deepEqual([...st.keys()], [AGENT]);
    const a = st.get(AGENT)!;
    assert.deepEqual([a.state, a.mgmt_role, a.cluster_role, a.port], ['RUNNING', 'AGENT', 'NONE', run.ports.agent]);
    assert.ok(a.pid !== null && alive(a.pid));
  });

  it('deploys a configuration: one result per node of this instance; the same id again is "already running"', async () => {
    const ports = run.ports.brokerStart;
    const cfg = config('c1', [
      node('manager', 'MANAGER', { port: ports, metrics_port: ports + 20 }),
      node('worker-1', 'WORKER', { interface: 'lo' }),
      node('elsewhere', 'WORKER', { instance: 'other-agent' }),
    ]);
    const results = await deploy(cfg);
    assert.deepEqual(results.map((r) => [r.node, r.success, r.instance]).sort(), [['manager', true, AGENT], ['worker-1', true, AGENT]]);
    const again = await deploy(cfg);
    assert.deepEqual(again.map((r) => [r.node, r.success, r.instance]), [[null, true, AGENT]]);
    const st = await statuses();
    assert.deepEqual([...st.keys()].sort(), [AGENT, 'manager', 'worker-1']);
    assert.deepEqual([st.get('manager')!.state, st.get('manager')!.cluster_role, st.get('manager')!.port, st.get('manager')!.metrics_port], ['RUNNING', 'MANAGER', ports, ports + 20]);
    assert.deepEqual([st.get('worker-1')!.state, st.get('worker-1')!.port], ['RUNNING', null]);
  });

  it('dispatches get_id_value to its running nodes; nodes it does not run give an empty result', async () => {
    const ev = await request(AgentApi.node_dispatch_request, AgentApi.node_dispatch_response, [B.vec([B.str('get_id_value'), B.str('Cluster::node')]), B.set([])]);
    const rs = resultVecFromData(ev.args[1]);
    assert.deepEqual(rs.map((r) => [r.node, r.success, r.instance, r.data]).sort(), [['manager', true, AGENT, B.str('"manager"')], ['worker-1', true, AGENT, B.str('"worker-1"')]]);
    const other = await request(AgentApi.node_dispatch_request, AgentApi.node_dispatch_response, [B.vec([B.str('get_id_value'), B.str('Cluster::node')]), B.set([B.str('elsewhere')])]);
    assert.deepEqual(other.args[1], B.vec([]));
  });

  it('restarts a node: PENDING, then RUNNING with a new pid', async () => {
    const before = (await statuses()).get('worker-1')!;
    const ev = await request(AgentApi.restart_request, AgentApi.restart_response, [B.set([B.str('worker-1')])]);
    assert.deepEqual(resultVecFromData(ev.args[1]).map((r) => [r.node, r.success, r.instance]), [['worker-1', true, AGENT]]);
    const after = await waitFor('worker-1 running again', async () => {
      const s = (await statuses()).get('worker-1')!;
      return s.state === 'RUNNING' && s.pid !== before.pid ? s : undefined;
    });
    assert.ok(after.pid !== null && alive(after.pid));
    assert.equal(alive(before.pid!), false);
  });

  it('reports nodes that fail to start with their output after the request timeout', async () => {
    const results = await deploy(config('c2', [node('worker-1', 'WORKER', { interface: 'lo' }), node('worker-bad', 'WORKER', { interface: 'no-such-nic0' })]), 15000);
    assert.deepEqual(results[0], { reqid: results[0].reqid, success: false, instance: AGENT, data: null, error: 'request timed out', node: null });
    const byNode = new Map(results.slice(1).map((r) => [r.node, r]));
    assert.equal(byNode.get('worker-1')!.success, true);
    const bad = byNode.get('worker-bad')!;
    assert.equal(bad.success, false);
    assert.ok(bad.data, 'no outputs');
    assert.deepEqual(nodeOutputsFromData(bad.data), { stdout: '', stderr: 'fatal error in <params>, line 1: problem with interface no-such-nic0 (pcap_error: No such device exists (pcap_activate))' });
    const st = await statuses();
    assert.equal(st.get('worker-bad')!.state, 'PENDING');
    assert.equal(st.has('manager'), false, 'the old deployment\'s manager is still there');
  });

  it('creates more nodes than it keeps create_requests in flight; a newer deployment stops the older one\'s creates', async () => {
    const many = Array.from({ length: CREATES_IN_FLIGHT * 2 + 1 }, (_, i) => node(`many-${i + 1}`, 'WORKER', { interface: 'lo' }));
    const results = await deploy(config('c-many', many), 20000);
    assert.deepEqual(results.map((r) => [r.node, r.success]).sort(), many.map((x) => [x.name, true]).sort());
    // Another deployment right behind one whose creates are still going out: only the newer one's nodes remain.
    const older = Array.from({ length: CREATES_IN_FLIGHT * 3 }, (_, i) => node(`older-${i + 1}`, 'WORKER', { interface: 'lo' }));
    const newer = [node('newer-1', 'WORKER', { interface: 'lo' }), node('newer-2', 'WORKER', { interface: 'lo' })];
    ctl.publishEvent(TOPIC, { name: AgentApi.deploy_request, args: [B.str('req-older'), configurationToData(config('c-older', older))] });
    const done = await deploy(config('c-newer', newer), 20000);
    assert.deepEqual(done.map((r) => [r.node, r.success]).sort(), [['newer-1', true], ['newer-2', true]]);
    assert.deepEqual([...(await statuses()).keys()].sort(), [AGENT, 'newer-1', 'newer-2']);
  });

  it('goes on standby: its cluster nodes are torn down', async () => {
    const pids = [...(await statuses()).values()].filter((s) => s.mgmt_role === 'NONE').map((s) => s.pid!).filter((p) => p !== null);
    assert.ok(pids.length > 0);
    const ev = await request(AgentApi.agent_standby_request, AgentApi.agent_standby_response, []);
    const r = resultFromData(ev.args[1]);
    assert.deepEqual([r.success, r.instance], [true, AGENT]);
    await waitFor('the nodes to be gone', async () => [...(await statuses()).keys()].join() === AGENT);
    await waitFor('their processes to exit', () => pids.every((p) => !alive(p)));
  });
});
