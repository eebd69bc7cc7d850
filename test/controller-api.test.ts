// The controller's request/response API end to end: the controller runs as a real
// process, in-test agents speak the Agent API over the wire, the SDK's ControllerClient
// is the client.

import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { ControllerClient } from '../sdk/client/controller-client';
import { configurationOf, idValueOf, instancesOf, nodeOutputsOf, nodeStatusesOf } from '../sdk/client/result-data';
import { AgentApi } from '../sdk/model/events';
import { configurationFromData, Result } from '../sdk/model/records';
import { Configuration } from '../sdk/model/schemas';
import { instance, miniConfig, node } from './helpers/controller-configs';
import { ControllerProcess, eventually, startControllerProcess } from './helpers/controller-process';
import { TestAgent, TestAgentOptions } from './helpers/test-agent';

describe('controller API', function () {
  this.timeout(20_000);
  let ctl: ControllerProcess;
  const agents: TestAgent[] = [];
  const clients: ControllerClient[] = [];

  async function start(settings: Record<string, unknown> = {}): Promise<void> {
    ctl = await startControllerProcess({ settings: { requestTimeoutMs: 1500, connectRetryMs: 200, ...settings } });
  }

  async function client(): Promise<ControllerClient> {
    const c = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, peeringAttempts: 3, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 8 });
    clients.push(c);
    return c;
  }

  async function agent(name: string, extra: Omit<TestAgentOptions, 'name'> = {}): Promise<TestAgent> {
    const a = await TestAgent.connect(ctl.agentPort, { name, ...extra });
    agents.push(a);
    return a;
  }

  async function waitKnown(c: ControllerClient, names: string[]): Promise<void> {
    await eventually(async () => {
      const got = instancesOf(await c.getInstances()).map((i) => i.name);
      return names.every((n) => got.includes(n));
    }, `instances ${names.join(', ')} to check in`);
  }

  async function stageAndDeploy(c: ControllerClient, config: Configuration): Promise<Result[]> {
    const staged = await c.stageConfiguration(config);
    assert.equal(staged.length, 1, JSON.stringify(staged));
    assert.equal(staged[0].success, true);
    return c.deploy();
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const a of agents.splice(0)) await a.close();
    await ctl?.stop();
  });

  it('answers get_instances with no agents, and the configuration requests before any staging', async () => {
    await start();
    const c = await client();
    const inst = await c.getInstances();
    assert.equal(inst.success, true);
    assert.deepEqual(instancesOf(inst), []);
    const staged = await c.getConfiguration(false);
    assert.deepEqual([staged.success, staged.error, staged.data], [false, 'no staged configuration available', null]);
    const deployed = await c.getConfiguration(true);
    assert.deepEqual([deployed.success, deployed.error], [false, 'no deployed configuration available']);
    const dep = await c.deploy();
    assert.deepEqual(dep.map((r) => [r.success, r.error]), [[false, 'no configuration available to deploy']]);
  });

  it('stages a configuration as sent and returns its id; the deployed one carries the assigned ports', async () => {
    await start();
    const c = await client();
    await agent('agent-testbox');
    await waitKnown(c, ['agent-testbox']);
    const config = miniConfig('agent-testbox');
    const staged = await c.stageConfiguration(config);
    assert.deepEqual(staged.map((r) => [r.success, r.data]), [[true, { type: 'string', value: config.id }]]);
    assert.deepEqual(configurationOf(await c.getConfiguration(false)), configurationFromData((await import('../sdk/model/records')).configurationToData(config)));
    // Asked again, the controller sends the text it encoded the first time: the same configuration.
    assert.deepEqual(configurationOf(await c.getConfiguration(false)), configurationFromData((await import('../sdk/model/records')).configurationToData(config)));

    const results = await c.deploy();
    const nodeResults = results.filter((r) => r.node !== null).map((r) => [r.node, r.instance, r.success]).sort();
    assert.deepEqual(nodeResults, [
      ['logger', 'agent-testbox', true], ['manager', 'agent-testbox', true],
      ['worker-01', 'agent-testbox', true], ['worker-02', 'agent-testbox', true],
    ]);
    const last = results[results.length - 1];
    assert.deepEqual([last.success, last.instance, last.node, last.data], [true, null, null, { type: 'string', value: config.id }]);

    const deployed = configurationOf(await c.getConfiguration(true))!;
    const ports = Object.fromEntries(deployed.nodes.map((n) => [n.name, [n.port, n.metrics_port]]));
    assert.deepEqual(ports, { logger: [2201, 9001], manager: [2200, 9000], 'worker-01': [null, 9002], 'worker-02': [null, 9003] });
    // The instance address is the one the agent connected from.
    assert.deepEqual(deployed.instances, [{ name: 'agent-testbox', host: '127.0.0.1', listen_port: null }]);
    // The staged one stays as sent.
    assert.equal(configurationOf(await c.getConfiguration(false))!.nodes.find((n) => n.name === 'manager')!.port, null);
    // get_instances shows the agent as observed.
    assert.deepEqual(instancesOf(await c.getInstances()), [{ name: 'agent-testbox', host: '127.0.0.1', listen_port: null }]);
  });

  it('waits for a configuration\'s agents to connect before deploying, then aggregates all of them', async () => {
    await start({ requestTimeoutMs: 5000 });
    const c = await client();
    const config: Configuration = {
      id: 'two-agents',
      instances: [instance('agent-a'), instance('agent-b')],
      nodes: [node('manager', 'agent-a', 'MANAGER'), node('w1', 'agent-a', 'WORKER'), node('w2', 'agent-b', 'WORKER')],
    };
    assert.equal((await c.stageConfiguration(config))[0].success, true);
    const pending = c.deploy();
    await new Promise((r) => setTimeout(r, 200));
    const a = await agent('agent-a');
    await a.waitFor(AgentApi.agent_welcome_request);
    assert.equal(a.count(AgentApi.deploy_request), 0, 'deploys only once all agents are ready');
    await agent('agent-b');
    const results = await pending;
    assert.deepEqual(results.filter((r) => r.node).map((r) => `${r.instance}/${r.node}`).sort(), ['agent-a/manager', 'agent-a/w1', 'agent-b/w2']);
    assert.equal(results[results.length - 1].success, true);
  });

  it('refuses a second deployment while one is pending, and times the first out with "request timed out"', async () => {
    await start({ requestTimeoutMs: 1000 });
    const c = await client();
    const a = await agent('agent-testbox', { silent: [AgentApi.deploy_request] });
    await waitKnown(c, ['agent-testbox']);
    assert.equal((await c.stageConfiguration(miniConfig())).at(0)!.success, true);
    const first = c.transact('Management::Controller::API::deploy_request', 'Management::Controller::API::deploy_response', [], { reqid: 'deploy-one' });
    await a.waitFor(AgentApi.deploy_request);
    const second = await c.deploy();
    assert.deepEqual(second.map((r) => [r.success, r.error]), [[false, 'earlier deployment deploy-one still pending']]);
    const t0 = Date.now();
    const ev = await first;
    assert.ok(Date.now() - t0 < 2500);
    const { resultVecFromData } = await import('../sdk/model/records');
    const results = resultVecFromData(ev.args[1]);
    // Each node of the silent instance, with what is known of it; then Zeek's text, and
    // which instance kept it waiting.
    const silent = "instance 'agent-testbox' (connected) did not answer its deploy_request: whether the node runs this configuration is unknown";
    assert.deepEqual(results.map((r) => [r.reqid, r.success, r.instance, r.node, r.error]), [
      ...miniConfig().nodes.map((n) => n.name).sort().map((n) => ['deploy-one', false, 'agent-testbox', n, silent]),
      ['deploy-one', false, null, null, "request timed out: instance 'agent-testbox' is connected but did not answer in time (answered: none)"],
    ]);
    // The pending state cleared: a new deployment goes ahead.
    const third = c.deploy();
    await eventually(() => a.count(AgentApi.deploy_request) === 2, 'second deploy_request');
    assert.match((await third).at(-1)!.error!, /^request timed out: instance 'agent-testbox' is connected but did not answer in time/);
    assert.equal((await c.getConfiguration(true)).error, 'no deployed configuration available');
  });

  it('a deployment waiting on an instance that never connects times out naming it and the connected ones', async () => {
    await start({ requestTimeoutMs: 800 });
    const c = await client();
    await agent('agent-testbox');
    await waitKnown(c, ['agent-testbox']);
    // zeek-client's instance-local simplification named the instance after another host.
    assert.equal((await c.stageConfiguration(miniConfig('agent-vm'))).at(0)!.success, true);
    const results = await c.deploy();
    const notSent = "instance 'agent-vm' (not connected) was not sent the configuration: the node was not deployed there";
    assert.deepEqual(results.map((r) => [r.success, r.instance, r.node, r.error]), [
      ...miniConfig('agent-vm').nodes.map((n) => n.name).sort().map((n) => [false, 'agent-vm', n, notSent]),
      [false, null, null, "request timed out: instance 'agent-vm' is not connected (connected: agent-testbox)"],
    ]);
    await eventually(() => ctl.logEntries().some((e) => /timed out: instance 'agent-vm' is not connected/.test(e.message)), 'the timeout log line');

    // Two missing, nothing connected that they could be.
    const two: Configuration = {
      id: 'two-missing',
      instances: [instance('agent-y'), instance('agent-x')],
      nodes: [node('manager', 'agent-x', 'MANAGER'), node('w1', 'agent-y', 'WORKER')],
    };
    assert.equal((await c.stageConfiguration(two)).at(0)!.success, true);
    await agents.splice(0)[0].close();
    await eventually(async () => instancesOf(await c.getInstances()).length === 0, 'agent-testbox to be gone');
    assert.deepEqual((await c.deploy()).map((r) => [r.node, r.error]), [
      ['manager', "instance 'agent-x' (not connected) was not sent the configuration: the node was not deployed there"],
      ['w1', "instance 'agent-y' (not connected) was not sent the configuration: the node was not deployed there"],
      [null, "request timed out: instances 'agent-x', 'agent-y' are not connected (connected: none)"],
    ]);
  });

  it('a deployment that one of two connected agents does not answer times out naming the silent one', async () => {
    await start({ requestTimeoutMs: 800 });
    const c = await client();
    await agent('agent-a');
    await agent('agent-b', { silent: [AgentApi.deploy_request] });
    await waitKnown(c, ['agent-a', 'agent-b']);
    const config: Configuration = {
      id: 'one-silent',
      instances: [instance('agent-a'), instance('agent-b')],
      nodes: [node('manager', 'agent-a', 'MANAGER'), node('w1', 'agent-b', 'WORKER')],
    };
    assert.equal((await c.stageConfiguration(config)).at(0)!.success, true);
    const results = await c.deploy();
    // agent-a's node result arrived; the request's own result names agent-b.
    assert.deepEqual(results.filter((r) => r.node).map((r) => [r.instance, r.node, r.success]), [['agent-a', 'manager', true], ['agent-b', 'w1', false]]);
    assert.equal(results.find((r) => r.node === 'w1')!.error, "instance 'agent-b' (connected) did not answer its deploy_request: whether the node runs this configuration is unknown");
    assert.equal(results.at(-1)!.error, "request timed out: instance 'agent-b' is connected but did not answer in time (answered: agent-a)");

    // An agent that never answers the welcome is named too.
    const slow = await agent('agent-c', { silent: [AgentApi.agent_welcome_request] });
    await waitKnown(c, ['agent-c']);
    const withC: Configuration = { ...config, id: 'welcome-unanswered', instances: [...config.instances, instance('agent-c')], nodes: [...config.nodes, node('w2', 'agent-c', 'WORKER')] };
    assert.equal((await c.stageConfiguration(withC)).at(0)!.success, true);
    const again = await c.deploy();
    await slow.waitFor(AgentApi.agent_welcome_request);
    // Nothing was sent to anyone: agent-c never became ready.
    assert.deepEqual(again.map((r) => [r.node, r.error]), [
      ['manager', "instance 'agent-a' (connected) was not sent the configuration: the node was not deployed there"],
      ['w1', "instance 'agent-b' (connected) was not sent the configuration: the node was not deployed there"],
      ['w2', "instance 'agent-c' (connected) was not sent the configuration: the node was not deployed there"],
      [null, "request timed out: instance 'agent-c' is connected but did not answer in time (answered: agent-a, agent-b)"],
    ]);
  });

  it('includes per-node failures with their outputs in the deploy response', async () => {
    await start();
    const c = await client();
    await agent('agent-testbox', { failNodes: { 'worker-02': 'fatal error: problem with interface not-a-valid-interface' } });
    await waitKnown(c, ['agent-testbox']);
    const results = await stageAndDeploy(c, miniConfig());
    const failed = results.find((r) => r.node === 'worker-02')!;
    assert.equal(failed.success, false);
    assert.deepEqual(nodeOutputsOf(failed), { stdout: '', stderr: 'fatal error: problem with interface not-a-valid-interface' });
  });

  it('deploys an empty configuration at once and stands the previous agents down', async () => {
    await start();
    const c = await client();
    const a = await agent('agent-testbox');
    await waitKnown(c, ['agent-testbox']);
    await stageAndDeploy(c, miniConfig());
    assert.ok(a.deployed);
    const empty: Configuration = { id: 'empty', instances: [], nodes: [] };
    const results = await stageAndDeploy(c, empty);
    assert.deepEqual(results.map((r) => [r.success, r.data]), [[true, { type: 'string', value: 'empty' }]]);
    await eventually(() => a.standbys === 1, 'agent_standby_request');
    assert.equal(configurationOf(await c.getConfiguration(true))!.id, 'empty');
    // The agent stays known.
    assert.deepEqual(instancesOf(await c.getInstances()).map((i) => i.name), ['agent-testbox']);
  });

  it('re-deploys the deployed configuration to an agent that reconnects', async () => {
    await start();
    const c = await client();
    const a = await agent('agent-testbox');
    await waitKnown(c, ['agent-testbox']);
    const config = miniConfig();
    await stageAndDeploy(c, config);
    await a.close();
    agents.splice(agents.indexOf(a), 1);
    await eventually(async () => instancesOf(await c.getInstances()).length === 0, 'agent to be dropped');
    const again = await agent('agent-testbox');
    const ev = await again.waitFor(AgentApi.deploy_request);
    assert.equal(configurationFromData(ev.args[1]).id, config.id);
    assert.deepEqual(ev.args[2], { type: 'boolean', value: false });
  });

  it('connects to agents given as host:port, retrying until they listen', async () => {
    await start({ requestTimeoutMs: 6000 });
    const c = await client();
    // Reserve a port for the agent, then let the controller retry against it before it listens.
    const probe = await TestAgent.listen({ name: 'agent-remote' });
    const port = probe.port;
    await probe.close();
    const config: Configuration = {
      id: 'remote',
      instances: [instance('agent-remote', '127.0.0.1', port)],
      nodes: [node('manager', 'agent-remote', 'MANAGER'), node('worker', 'agent-remote', 'WORKER')],
    };
    assert.equal((await c.stageConfiguration(config))[0].success, true);
    const deploying = c.deploy();
    await new Promise((r) => setTimeout(r, 400));
    const a = await TestAgent.listen({ name: 'agent-remote' }, port);
    agents.push(a);
    const results = await deploying;
    assert.equal(results.at(-1)!.success, true, JSON.stringify(results));
    assert.deepEqual(results.filter((r) => r.node).map((r) => r.node).sort(), ['manager', 'worker']);
    assert.deepEqual(instancesOf(await c.getInstances()), [{ name: 'agent-remote', host: '127.0.0.1', listen_port: port }]);
    const deployed = configurationOf(await c.getConfiguration(true))!;
    // The agent's own port is skipped by the Broker port assignment only if it is in range; here it is not.
    assert.equal(deployed.nodes.find((n) => n.name === 'manager')!.port, 2200);
  });

  it('ignores agents with an incompatible API version', async () => {
    await start();
    const c = await client();
    await agent('agent-old', { apiVersion: 2 });
    await agent('agent-ok');
    await waitKnown(c, ['agent-ok']);
    assert.deepEqual(instancesOf(await c.getInstances()).map((i) => i.name), ['agent-ok']);
    await eventually(() => ctl.logEntries().some((e) => e.level === 'WARNING' && e.message === 'instance agent-old/broker-id-agent-old has checked in with incompatible API version 2'), 'the warning');
  });

  it('gathers get_nodes from every agent, including the agents\' and the controller\'s own entries', async () => {
    await start();
    const c = await client();
    const none = await c.getNodes();
    assert.deepEqual(none.map((r) => [r.success, r.error]), [[false, 'no instances connected']]);
    await agent('agent-a', { extraStatuses: [{ node: 'controller-test', state: 'RUNNING', mgmt_role: 'CONTROLLER', cluster_role: 'NONE', pid: 11, port: 2149, metrics_port: null }] });
    await agent('agent-b');
    await waitKnown(c, ['agent-a', 'agent-b']);
    const results = await c.getNodes();
    assert.deepEqual(results.map((r) => r.instance).sort(), ['agent-a', 'agent-b']);
    const a = results.find((r) => r.instance === 'agent-a')!;
    assert.deepEqual(nodeStatusesOf(a).map((s) => [s.node, s.mgmt_role]), [['controller-test', 'CONTROLLER'], ['agent-a', 'AGENT']]);
  });

  it('answers get_nodes with the responses it has plus "request timed out" when an agent stays silent', async () => {
    await start({ requestTimeoutMs: 800 });
    const c = await client();
    await agent('agent-a');
    await agent('agent-mute', { silent: [AgentApi.get_nodes_request] });
    await waitKnown(c, ['agent-a', 'agent-mute']);
    const results = await c.getNodes();
    // Zeek says only "request timed out"; we name the instance that did not answer.
    assert.deepEqual(results.map((r) => [r.instance, r.success, r.error]), [['agent-a', true, null], ['agent-mute', false, "request timed out: instance 'agent-mute' did not answer"]]);
  });

  it('get_id_value: errors without a cluster, "unknown cluster node" for unknown names, values otherwise', async () => {
    await start();
    const c = await client();
    assert.deepEqual((await c.getIdValue('LogAscii::use_json')).map((r) => [r.success, r.error]), [[false, 'no cluster deployed']]);
    await agent('agent-testbox', { idValues: { 'LogAscii::use_json': 'false' } });
    await waitKnown(c, ['agent-testbox']);
    await stageAndDeploy(c, miniConfig());
    const all = await c.getIdValue('LogAscii::use_json');
    assert.deepEqual(all.map((r) => [r.node, idValueOf(r)]).sort(), [['logger', 'false'], ['manager', 'false'], ['worker-01', 'false'], ['worker-02', 'false']]);
    const some = await c.getIdValue('LogAscii::use_json', ['manager', 'nope', 'also-nope']);
    assert.deepEqual(some.map((r) => [r.node, r.success, r.error ?? idValueOf(r)]), [
      ['also-nope', false, 'unknown cluster node'], ['nope', false, 'unknown cluster node'], ['manager', true, 'false'],
    ]);
    const onlyUnknown = await c.getIdValue('x', ['ghost']);
    assert.deepEqual(onlyUnknown.map((r) => [r.reqid !== '', r.node, r.error]), [[true, 'ghost', 'unknown cluster node']]);
  });

  it('restart: "no instances connected", "no active cluster deployment", then per-node results', async () => {
    await start();
    const c = await client();
    assert.deepEqual((await c.restart()).map((r) => r.error), ['no instances connected']);
    const a = await agent('agent-testbox');
    await waitKnown(c, ['agent-testbox']);
    assert.deepEqual((await c.restart()).map((r) => r.error), ['no active cluster deployment']);
    await stageAndDeploy(c, miniConfig());
    const all = await c.restart();
    assert.deepEqual(all.map((r) => r.node).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    const some = await c.restart(['worker-01', 'bogus']);
    assert.deepEqual(some.map((r) => [r.node, r.success, r.error]), [['bogus', false, 'unknown cluster node'], ['worker-01', true, null]]);
    const req = a.received.filter((e) => e.name === AgentApi.restart_request).at(-1)!;
    assert.deepEqual(req.args[1], { type: 'set', value: [{ type: 'string', value: 'worker-01' }, { type: 'string', value: 'bogus' }] });
  });

  it('test_timeout with state answers "request timed out" after the timeout interval; test_noop has no answer', async () => {
    await start({ 'Management::Request::timeout_interval': '600 msec' });
    const c = await client();
    const t0 = Date.now();
    const r = await c.testTimeout(true);
    const took = Date.now() - t0;
    assert.deepEqual([r.success, r.error], [false, 'request timed out']);
    assert.ok(took >= 550 && took < 3000, `took ${took} ms`);
    await assert.rejects(c.transact('Management::Controller::API::test_timeout_request', 'Management::Controller::API::test_timeout_response', [{ type: 'boolean', value: false }], { timeoutMs: 1500 }), /no response/);
    const reqid = randomUUID();
    c.send('Management::Controller::API::test_noop_request', [{ type: 'string', value: reqid }]);
    await eventually(() => ctl.logEntries().some((e) => e.message === `rx Management::Controller::API::test_noop_request ${reqid}`), 'the noop log line');
  });
});

describe('deploy_request encoding', () => {
  it('encodes the configuration once and yields exactly the per-agent messages', async () => {
    const { deployMessageTemplate } = await import('../framework/controller/runtime');
    const { encodeDataMessage } = await import('../sdk/broker/messages');
    const { eventToData } = await import('../sdk/broker/event');
    const { configurationToData } = await import('../sdk/model/records');
    const { B } = await import('../sdk/broker/data');
    const config = miniConfig('agent-x');
    config.nodes[0].scripts = ['say "hi" \\ bye', 'ünïcode'];
    config.nodes[0].env = { QUOTE: '"', NL: 'a\nb' };
    const make = deployMessageTemplate(config);
    for (const [topic, reqid] of [['zeek/management/agent/agent-x', randomUUID()], ['zeek/management/agent/a.b_c-d', 'r"e\\q']]) {
      assert.equal(make(topic, reqid), encodeDataMessage(topic, eventToData({ name: AgentApi.deploy_request, args: [B.str(reqid), configurationToData(config), B.bool(false)] })));
    }
  });

  it('prepares each agent\'s deploy_request as Broker data (native links) and as JSON text (WebSocket peers), each once', async () => {
    const { deployMessages } = await import('../framework/controller/runtime');
    const { encodeDataMessage } = await import('../sdk/broker/messages');
    const { eventToData } = await import('../sdk/broker/event');
    const { configurationToData } = await import('../sdk/model/records');
    const { B } = await import('../sdk/broker/data');
    const config = miniConfig('agent-x');
    const make = deployMessages(config);
    for (const [topic, reqid] of [['zeek/management/agent/agent-x', randomUUID()], ['zeek/management/agent/b', 'r"e\\q']]) {
      const expected = eventToData({ name: AgentApi.deploy_request, args: [B.str(reqid), configurationToData(config), B.bool(false)] });
      const m = make(topic, reqid);
      assert.equal(m.topic, topic);
      assert.deepEqual(m.data(), expected);
      assert.equal(m.data(), m.data(), 'the data is made once');
      assert.equal(m.text(), encodeDataMessage(topic, expected));
    }
  });
});
