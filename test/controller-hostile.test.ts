// Hostile and careless input to a running controller: a matrix of malformed frames,
// unknown events and wrong argument types (each gets a Broker error message and a log
// line, and changes nothing), oversized messages and silent peers (disconnected), forged
// agent results from WebSocket clients (rejected), misbehaving agents, and many
// concurrent clients. The agent port's native Broker side gets the same: hostile
// handshakes and frames refused with a log line, malformed envelopes skipped, forged
// results from native peers ignored.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import WebSocket from 'ws';
import { B, BrokerData } from '../sdk/broker/data';
import { eventToData } from '../sdk/broker/event';
import { encodeDataMessage, ErrorMessage } from '../sdk/broker/messages';
import { ControllerClient } from '../sdk/client/controller-client';
import { configurationOf, instancesOf } from '../sdk/client/result-data';
import { AgentApi, ControllerApi } from '../sdk/model/events';
import { makeResult, resultToData, resultVecFromData, resultVecToData } from '../sdk/model/records';
import { EndpointClient } from '../sdk/transport/endpoint-client';
import { EndpointId } from '../sdk/broker/native/endpoint-id';
import { frame } from '../sdk/broker/native/framing';
import { dataEnvelope, encodeEnvelope, encodeHandshake } from '../sdk/broker/native/messages';
import { NativePeer } from '../sdk/broker/native/peer';
import { badHandshakeIsClosed } from './helpers/hostile-websocket';
import { helloFrame, rawPeering, sendRaw } from './helpers/native-raw';
import { miniConfig } from './helpers/controller-configs';
import { ControllerProcess, eventually, startControllerProcess } from './helpers/controller-process';
import { TestAgent } from './helpers/test-agent';

const TOPIC = 'zeek/management/controller';
const ev = (name: string, args: BrokerData[]): string => encodeDataMessage(TOPIC, eventToData({ name, args }));

describe('controller under hostile input', function () {
  this.timeout(30_000);
  let ctl: ControllerProcess;
  let good: ControllerClient;
  const closers: Array<() => Promise<void> | void> = [];

  before(async () => {
    ctl = await startControllerProcess({ settings: { maxMessageBytes: 256 * 1024, handshakeTimeoutMs: 400, requestTimeoutMs: 3000 } });
    good = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, peeringAttempts: 3, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 5 });
    assert.equal((await good.stageConfiguration(miniConfig('agent-testbox', 'baseline'))).at(0)!.success, true);
  });

  after(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await good?.close();
    await ctl?.stop();
  });

  async function rogue(): Promise<{ client: EndpointClient; errors: ErrorMessage[] }> {
    const client = await EndpointClient.connect({ host: '127.0.0.1', port: ctl.wsPort, topics: [TOPIC], attempts: 3, retryDelayMs: 100 });
    closers.push(() => client.close());
    const errors: ErrorMessage[] = [];
    client.on('error-message', (m) => errors.push(m));
    return { client, errors };
  }

  /** The controller still answers and still has the baseline staged. */
  async function unaffected(): Promise<void> {
    assert.equal(configurationOf(await good.getConfiguration(false))!.id, 'baseline');
  }

  const matrix: Array<[string, string, string, RegExp]> = [
    ['malformed JSON', '{"type": "data-message", "topic": ', 'deserialization_failed', /malformed JSON/],
    ['a JSON value that is not a message', '[1, 2, 3]', 'deserialization_failed', /not a data message/],
    ['a data message without a topic', '{"type":"data-message","@data-type":"count","data":1}', 'deserialization_failed', /topic/],
    ['an unknown data type', '{"type":"data-message","topic":"zeek/management/controller","@data-type":"quark","data":1}', 'deserialization_failed|invalid_data|invalid_tag', /quark/],
    ['data that is not an event', encodeDataMessage(TOPIC, B.vec([B.count(7)])), 'invalid_data', /not a Zeek event/],
    ['an unknown event', ev('Foo::bar', [B.str('x')]), 'unspecified', /unknown event Foo::bar/],
    ['a response event sent as a request', ev(ControllerApi.get_instances_response, [B.str('x')]), 'unspecified', /not a request the controller handles/],
    ['a reqid of the wrong type', ev(ControllerApi.get_instances_request, [B.count(1)]), 'deserialization_failed', /argument 1 \(reqid\).*must be a string, got count/],
    ['a missing argument', ev(ControllerApi.get_configuration_request, [B.str('r')]), 'deserialization_failed', /takes 2 argument\(s\), got 1: missing deployed/],
    ['too many arguments', ev(ControllerApi.deploy_request, [B.str('r'), B.str('extra')]), 'deserialization_failed', /takes 1 argument\(s\), got 2/],
    ['a configuration that is not a record', ev(ControllerApi.stage_configuration_request, [B.str('r'), B.str('oops')]), 'deserialization_failed', /argument 2 \(config\).*Configuration must be a vector/],
    ['a node with a bad role', ev(ControllerApi.stage_configuration_request, [B.str('r'), B.vec([B.str('id'), B.set([]), B.set([B.vec([B.str('n'), B.str('i'), B.enum('Supervisor::KING'), B.enum('Management::RUNNING'), ...Array<BrokerData>(7).fill(B.none())])])])]), 'deserialization_failed', /cluster role "Supervisor::KING"/],
    // Zeek refuses a record shorter than its type (data_to_val); the staged configuration stays.
    ['a configuration holding only its id', ev(ControllerApi.stage_configuration_request, [B.str('r'), B.vec([B.str('only-id')])]), 'deserialization_failed',
      /^Management::Controller::API::stage_configuration_request: argument 2 \(config\): args\[1\]: Management::Configuration has 3 fields, got a vector of 1: missing fields 'instances' \(position 2\), 'nodes' \(position 3\)$/],
    ['a node without its last field', ev(ControllerApi.stage_configuration_request, [B.str('r'), B.vec([B.str('id'), B.set([]), B.set([B.vec([B.str('n'), B.str('i'), B.enum('Supervisor::WORKER'), B.enum('Management::RUNNING'), ...Array<BrokerData>(6).fill(B.none())])])])]), 'deserialization_failed',
      /Management::Node has 11 fields, got a vector of 10: missing field 'metrics_port' \(position 11\)/],
    ['a node set of numbers', ev(ControllerApi.get_id_value_request, [B.str('r'), B.str('x'), B.set([B.count(1)])]), 'deserialization_failed', /argument 3 \(nodes\)/],
    ['forged agent results', ev(AgentApi.deploy_response, [B.str('r'), resultVecToData([])]), 'unspecified', /accepted only from agent connections/],
  ];

  for (const [what, text, code, context] of matrix) {
    it(`answers ${what} with a Broker error, logs it, and changes nothing`, async () => {
      const { client, errors } = await rogue();
      const logged = ctl.logEntries().length;
      client.sendRaw(text);
      await eventually(() => errors.length > 0, 'an error message');
      assert.match(errors[0].code, new RegExp(`^(${code})$`));
      assert.match(errors[0].context, context);
      assert.ok(client.isOpen, 'the connection stays up');
      await eventually(() => ctl.logEntries().slice(logged).some((e) => e.level === 'WARNING'), 'a warning in the management log');
      await unaffected();
    });
  }

  it('answers a binary frame with an error message', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${ctl.wsPort}/v1/messages/json`);
    closers.push(() => ws.terminate());
    const msgs: string[] = [];
    ws.on('message', (m) => msgs.push(m.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify([TOPIC]));
    ws.send(Buffer.from([1, 2, 3]));
    await eventually(() => msgs.some((m) => m.includes('only JSON text messages')), 'binary rejection');
    await unaffected();
  });

  it('disconnects a peer that sends an oversized message, and logs it', async () => {
    const { client } = await rogue();
    const closed = new Promise<number>((r) => client.once('close', (code) => r(code)));
    client.sendRaw(ev(ControllerApi.get_instances_request, [B.str('x'.repeat(300 * 1024))]));
    assert.equal(await closed, 1009);
    await eventually(() => ctl.logEntries().some((e) => /Max payload size exceeded|too big|exceed/i.test(e.message)), 'a log line about the size');
    await unaffected();
  });

  it('closes a peer that never completes the handshake', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${ctl.wsPort}/v1/messages/json`);
    closers.push(() => ws.terminate());
    const t0 = Date.now();
    const code = await new Promise<number>((r) => ws.on('close', (c) => r(c)));
    assert.equal(code, 1008);
    assert.ok(Date.now() - t0 >= 350, 'not before the timeout');
    await eventually(() => ctl.logEntries().some((e) => /did not complete the handshake/.test(e.message)), 'the log line');
    await unaffected();
  });

  it('refuses a bad handshake and other paths', async () => {
    await badHandshakeIsClosed(`ws://127.0.0.1:${ctl.wsPort}/v1/messages/json`, closers);
    const other = new WebSocket(`ws://127.0.0.1:${ctl.wsPort}/v2/other`);
    const status = await new Promise<string>((r) => other.on('error', (e) => r(e.message)));
    assert.match(status, /404/);
    await unaffected();
  });

  it('lets no WebSocket client forge an agent\'s check-in or results', async () => {
    const agent = await TestAgent.connect(ctl.agentPort, { name: 'agent-testbox', silent: [AgentApi.deploy_request] });
    closers.push(() => agent.close());
    await eventually(async () => instancesOf(await good.getInstances()).length === 1, 'check-in');
    const { client, errors } = await rogue();
    // A fake agent check-in over the client port.
    client.publishEvent('zeek/management/agent/agent-fake', { name: AgentApi.notify_agent_hello, args: [B.str('agent-fake'), B.str('id'), B.bool(true), B.count(1)] });
    // A deployment the real agent does not answer; the rogue client tries to answer it.
    const deploying = good.deploy();
    const req = await agent.waitFor(AgentApi.deploy_request);
    const areq = (req.args[0] as { value: string }).value;
    client.publishEvent('zeek/management/agent/agent-testbox', { name: AgentApi.deploy_response, args: [B.str(areq), resultVecToData([makeResult(areq, { instance: 'agent-testbox', node: 'manager' })])] });
    await eventually(() => errors.length >= 2, 'two rejections');
    assert.ok(errors.every((e) => /accepted only from agent connections/.test(e.context)));
    assert.deepEqual(instancesOf(await good.getInstances()).map((i) => i.name), ['agent-testbox']);
    // The deployment is still pending: the forged response did not count.
    assert.match((await good.deploy())[0].error ?? '', /earlier deployment .* still pending/);
    // The real agent answers now.
    agent.emit(AgentApi.deploy_response, [B.str(areq), resultVecToData([makeResult(areq, { instance: 'agent-testbox', node: 'manager' })])]);
    const results = await deploying;
    assert.deepEqual(results.map((r) => [r.node, r.success]), [['manager', true], [null, true]]);
  });

  it('keeps a pending request intact when another client reuses its reqid', async () => {
    const agent = await TestAgent.connect(ctl.agentPort, { name: 'agent-testbox', silent: [AgentApi.deploy_request] });
    closers.push(() => agent.close());
    await eventually(async () => instancesOf(await good.getInstances()).some((i) => i.name === 'agent-testbox'), 'check-in');
    const deploying = good.transact(ControllerApi.deploy_request, ControllerApi.deploy_response, [], { reqid: 'shared-id' });
    const req = await agent.waitFor(AgentApi.deploy_request);
    const areq = (req.args[0] as { value: string }).value;
    const other = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, requestTimeoutSecs: 5 });
    closers.push(() => other.close());
    // Same reqid, other requests: answered on their own, the deployment stays pending.
    const clash = await other.transact(ControllerApi.restart_request, ControllerApi.restart_response, [B.set([B.str('ghost')])], { reqid: 'shared-id' });
    assert.match(resultVecFromData(clash.args[1])[0].error ?? '', /^(unknown cluster node|no active cluster deployment)$/);
    await other.transact(ControllerApi.get_nodes_request, ControllerApi.get_nodes_response, [], { reqid: 'shared-id' });
    // (A second deploy_request with the same reqid would be refused, but its deploy_response
    // reaches every client, and zeek-client matches answers by reqid: so don't.)
    agent.emit(AgentApi.deploy_response, [B.str(areq), resultVecToData([makeResult(areq, { instance: 'agent-testbox', node: 'manager' })])]);
    const done = resultVecFromData((await deploying).args[1]);
    assert.deepEqual(done.map((r) => [r.node, r.success]), [['manager', true], [null, true]]);
  });

  it('ignores agents answering requests sent to other agents, and rejects malformed agent data', async () => {
    const mute = await TestAgent.connect(ctl.agentPort, { name: 'agent-mute', silent: [AgentApi.get_nodes_request] });
    const liar = await TestAgent.connect(ctl.agentPort, { name: 'agent-liar', silent: [AgentApi.get_nodes_request] });
    closers.push(() => mute.close(), () => liar.close());
    await eventually(async () => {
      const names = instancesOf(await good.getInstances()).map((i) => i.name);
      return names.includes('agent-mute') && names.includes('agent-liar');
    }, 'check-ins');
    const pending = good.transact(ControllerApi.get_nodes_request, ControllerApi.get_nodes_response, []);
    const muteReq = await mute.waitFor(AgentApi.get_nodes_request);
    const liarReq = await liar.waitFor(AgentApi.get_nodes_request);
    const muteId = (muteReq.args[0] as { value: string }).value;
    const liarId = (liarReq.args[0] as { value: string }).value;
    liar.emit(AgentApi.get_nodes_response, [B.str(muteId), resultToData(makeResult(muteId, { instance: 'agent-mute', data: B.vec([]) }))]);
    liar.emit(AgentApi.get_nodes_response, [B.str(liarId), resultToData(makeResult(liarId, { instance: 'agent-liar', data: B.str('not statuses') }))]);
    liar.emit(ControllerApi.deploy_request, [B.str('sneaky')]);
    await eventually(() => ctl.logEntries().some((e) => /ignoring response .* the request went to instance agent-mute/.test(e.message)), 'the ignored-response log line');
    await eventually(() => ctl.logEntries().some((e) => /rejected Management::Agent::API::get_nodes_response from .*not a vector of Management::NodeStatus|must be a vector of Management::NodeStatus/.test(e.message)), 'the rejected-data log line');
    await eventually(() => ctl.logEntries().some((e) => /Controller::API requests are accepted only from WebSocket clients/.test(e.message)), 'the rejected-request log line');
    const results = resultVecFromData((await pending).args[1]);
    // agent-testbox (from the forge test) answered; the other two did not validly, so the request timed out.
    assert.deepEqual(results.map((r) => [r.instance, r.error]), [
      ['agent-testbox', null],
      ['agent-liar', "request timed out: instance 'agent-liar' did not answer"],
      ['agent-mute', "request timed out: instance 'agent-mute' did not answer"],
    ]);
  });

  it('answers malformed input on the agent port with errors and keeps such peers out of its instances', async () => {
    const bad = await EndpointClient.connect({ host: '127.0.0.1', port: ctl.agentPort, topics: ['zeek/management/agent/agent-bad'], attempts: 3, retryDelayMs: 100 });
    closers.push(() => bad.close());
    const errors: ErrorMessage[] = [];
    bad.on('error-message', (m) => errors.push(m));
    bad.sendRaw('{"type":"data-message"');
    bad.publishEvent('zeek/management/agent/agent-bad', { name: 'Management::Agent::API::notify_agent_hello', args: [B.str('agent-bad'), B.str('id'), B.str('yes'), B.count(1)] });
    bad.publishEvent('zeek/management/agent/agent-bad', { name: 'Agent::nonsense', args: [] });
    bad.publishEvent('zeek/management/agent/agent-bad', { name: AgentApi.deploy_response, args: [B.str('no-such-request'), B.str('not results')] });
    await eventually(() => errors.length >= 4, 'four error messages');
    assert.deepEqual(errors.map((e) => e.code), ['deserialization_failed', 'deserialization_failed', 'unspecified', 'deserialization_failed']);
    assert.match(errors[1].context, /argument 3 \(connecting\).*must be a bool, got string/);
    assert.match(errors[2].context, /unknown event Agent::nonsense/);
    assert.ok(!instancesOf(await good.getInstances()).some((i) => i.name === 'agent-bad'));
    assert.ok(bad.isOpen);
    await unaffected();
  });

  // Native Broker on the agent port (2150): hostile handshakes and frames are refused with a
  // log line, the process stays up, and the stored configuration stays as it was.
  const NATIVE_ID = EndpointId.parse('00000000-0000-4000-8000-0000000000aa');
  const nativeMatrix: Array<[string, Buffer[], { end?: boolean }, RegExp]> = [
    ['a frame that is no handshake message', [frame(Buffer.from('nonsense'))], {}, /refused native Broker peering over TCP: .*not a handshake message/],
    ['a wrong magic number', [helloFrame(NATIVE_ID, 1, 1, 0x12345678)], {}, /refused native Broker peering over TCP: .*magic number 0x12345678/],
    ['a version range without version 1 (a wrong version)', [helloFrame(NATIVE_ID, 2, 4)], {}, /refused native Broker peering over TCP: .*versions 2\.\.4/],
    ['a handshake message out of order', [frame(encodeHandshake({ kind: 'originator_ack' }))], {}, /refused native Broker peering over TCP: .*originator_ack message in state/],
    ['an empty frame', [Buffer.alloc(4)], {}, /refused native Broker peering over TCP: .*length 0/],
    ['an oversized frame', [Buffer.from([0x00, 0x7f, 0xff, 0xff])], {}, /refused native Broker peering over TCP: .*exceeds the limit/],
    ['a truncated frame, then silence', [Buffer.from([0, 0, 0, 30, 6, 0x5a])], {}, /refused native Broker peering over TCP: no handshake within 400 ms/],
    ['a truncated frame, then the end of the connection', [Buffer.from([0, 0, 0, 30, 6, 0x5a])], { end: true }, /refused native Broker peering over TCP: connection closed in handshake state/],
    ['a TLS record that is no ClientHello', [Buffer.from([0x16, 3, 1, 0, 2, 0xde, 0xad, 0, 0, 0])], {}, /native Broker TLS handshake failed/],
    ['nothing at all', [], {}, /connection sent nothing in time/],
  ];

  for (const [what, bytes, opts, logged] of nativeMatrix) {
    it(`refuses ${what} on the agent port's native side, logs it, and changes nothing`, async () => {
      const before = ctl.logEntries().length;
      await sendRaw(ctl.agentPort, bytes, opts);
      await eventually(() => ctl.logEntries().slice(before).some((e) => e.level === 'WARNING' && logged.test(e.message)), `a warning matching ${logged}`);
      assert.equal(ctl.proc.exitCode, null, 'the controller is still running');
      await unaffected();
    });
  }

  it('skips malformed native envelopes and events from a native peer, then closes it on an oversized frame, and changes nothing', async () => {
    const before = ctl.logEntries().length;
    const s = await rawPeering(ctl.agentPort, NATIVE_ID, ['zeek/management/agent/agent-native-bad']);
    closers.push(() => void s.destroy());
    const topic = 'zeek/management/agent/agent-native-bad';
    const header = (type: number, t: string): Buffer => Buffer.concat([NATIVE_ID.bytes, Buffer.alloc(16), Buffer.from([type, 0, 16, 0, t.length]), Buffer.from(t)]);
    const event = (name: string, args: BrokerData[]): Buffer => frame(encodeEnvelope(dataEnvelope(NATIVE_ID, topic, eventToData({ name, args }))));
    s.write(frame(Buffer.alloc(10)));                                            // shorter than an envelope
    s.write(frame(Buffer.concat([header(1, topic), Buffer.from([0x0e, 0x05])]))); // truncated vector
    s.write(frame(encodeEnvelope(dataEnvelope(NATIVE_ID, topic, B.vec([B.count(7)])))));           // data, not an event
    s.write(event('Agent::nonsense', []));
    s.write(event(AgentApi.notify_agent_hello, [B.str('agent-native-bad'), B.str(NATIVE_ID.toString()), B.str('yes'), B.count(1)]));
    s.write(event(AgentApi.notify_agent_hello, [B.str('agent-native-bad'), B.str(NATIVE_ID.toString()), B.bool(true), B.count(99)]));
    const seen = (re: RegExp): boolean => ctl.logEntries().slice(before).some((e) => e.level === 'WARNING' && re.test(e.message));
    for (const re of [
      /discarded malformed native message: .*/, /discarded data message that is not a Zeek event/, /rejected Agent::nonsense from agent connection .*: unknown event Agent::nonsense/,
      /argument 3 \(connecting\).*must be a bool, got string/, /instance agent-native-bad\/\S+ has checked in with incompatible API version 99/,
    ]) await eventually(() => seen(re), `a warning matching ${re}`);
    assert.equal(ctl.logEntries().slice(before).filter((e) => /discarded malformed native message/.test(e.message)).length, 2);
    const closed = once(s, 'close');
    s.write(Buffer.from([0x00, 0x7f, 0xff, 0xff]));
    await closed;
    await eventually(() => ctl.logEntries().slice(before).some((e) => /native Broker peer closed: bad frame: .*exceeds the limit/.test(e.message)), 'the log line of the close');
    assert.ok(!instancesOf(await good.getInstances()).some((i) => i.name === 'agent-native-bad'));
    await unaffected();
  });

  it('lets no native peer forge results: only the agent a request went to answers it, and Controller API requests are refused', async () => {
    // A WebSocket agent gets a deployment it does not answer; a native agent and a native
    // peer that never checked in try to answer it.
    const agent = await TestAgent.connect(ctl.agentPort, { name: 'agent-testbox', silent: [AgentApi.deploy_request] });
    const liar = await TestAgent.connectNative(ctl.agentPort, { name: 'agent-native-liar', silent: [AgentApi.deploy_request] });
    closers.push(() => agent.close(), () => liar.close());
    await eventually(async () => {
      const names = instancesOf(await good.getInstances()).map((i) => i.name);
      return names.includes('agent-native-liar') && names.includes('agent-testbox');
    }, 'both check-ins');
    const anon = await NativePeer.connect('127.0.0.1', ctl.agentPort, { tls: false, filter: ['zeek/management/agent/agent-testbox'] });
    closers.push(() => anon.close());
    const before = ctl.logEntries().length;
    const deploying = good.deploy();
    const req = await agent.waitFor(AgentApi.deploy_request);
    const areq = (req.args[0] as { value: string }).value;
    const forged = { name: AgentApi.deploy_response, args: [B.str(areq), resultVecToData([makeResult(areq, { instance: 'agent-testbox', node: 'manager', success: false, error: 'forged' })])] };
    // The unnamed peer subscribed to agent-testbox's topic, so it saw the request too: Broker would deliver it.
    liar.emit(forged.name, forged.args);
    assert.equal(anon.publishEvent('zeek/management/agent/agent-testbox', forged), true);
    assert.equal(anon.publishEvent('zeek/management/agent/agent-testbox', { name: ControllerApi.deploy_request, args: [B.str('sneaky')] }), true);
    const seen = (re: RegExp): boolean => ctl.logEntries().slice(before).some((e) => re.test(e.message));
    await eventually(() => seen(/ignoring response .* from agent connection .*\(agent-native-liar\): the request went to instance agent-testbox/), 'the native liar ignored');
    await eventually(() => seen(/ignoring response .* from agent connection from 127\.0\.0\.1:\d+: the request went to instance agent-testbox/), 'the unnamed native peer ignored');
    await eventually(() => seen(/rejected Management::Controller::API::deploy_request from agent connection .*: .*accepted only from WebSocket clients/), 'the Controller API request refused');
    assert.match((await good.deploy())[0].error ?? '', /earlier deployment .* still pending/);
    agent.emit(AgentApi.deploy_response, [B.str(areq), resultVecToData([makeResult(areq, { instance: 'agent-testbox', node: 'manager' })])]);
    const results = await deploying;
    // agent-native-liar is no instance of the staged configuration: only agent-testbox took part.
    assert.deepEqual(results.map((r) => [r.node, r.success, r.error]), [['manager', true, null], [null, true, null]]);
    // Native Broker does not reach the client port at all (Zeek's is WebSocket only).
    await assert.rejects(NativePeer.connect('127.0.0.1', ctl.wsPort, { tls: false, handshakeTimeoutMs: 2000 }));
    await unaffected();
  });

  it('serves many concurrent clients correctly', async () => {
    const clients = await Promise.all(Array.from({ length: 40 }, () => ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, peeringAttempts: 3, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 10 })));
    closers.push(async () => { for (const c of clients) await c.close(); });
    const work = clients.map(async (c, i) => {
      const seen = new Set<string>();
      for (let j = 0; j < 15; j++) {
        const r = await c.getInstances();
        assert.equal(r.success, true);
        assert.ok(!seen.has(r.reqid), 'each answer matches its own request');
        seen.add(r.reqid);
      }
      if (i % 4 === 0) assert.equal((await c.stageConfiguration(miniConfig('agent-testbox', 'baseline'))).at(0)!.success, true);
      assert.equal(configurationOf(await c.getConfiguration(false))!.id, 'baseline');
    });
    await Promise.all(work);
    await unaffected();
  });
});
