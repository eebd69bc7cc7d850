// The controller client against a small WebSocket endpoint inside the test.

import { strict as assert } from 'node:assert';
import { B } from '../sdk/broker/data';
import { ZeekEvent } from '../sdk/broker/event';
import { ControllerClient, RequestTimeoutError } from '../sdk/client/controller-client';
import { instancesOf } from '../sdk/client/result-data';
import { ControllerApi } from '../sdk/model/events';
import { makeResult, resultToData, resultVecToData, instanceToData, configurationFromData } from '../sdk/model/records';
import { EndpointServer, Peer } from '../sdk/transport/endpoint-server';
import { ConnectError } from '../sdk/transport/endpoint-client';
import { freePorts } from '../provider/free-ports';


function reqidOf(ev: ZeekEvent): string {
  const a = ev.args[0];
  assert.equal(a.type, 'string');
  return (a as { value: string }).value;
}

describe('ControllerClient', () => {
  let server: EndpointServer;
  let port: number;
  let handler: (ev: ZeekEvent, peer: Peer) => void;
  const clients: ControllerClient[] = [];

  beforeEach(async () => {
    server = new EndpointServer({ host: '127.0.0.1', port: 0 });
    server.on('event', (ev, _topic, peer) => handler(ev, peer));
    port = (await server.listen()).port;
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server.close();
  });

  async function connect(extra: Parameters<typeof ControllerClient.connect>[0] = {}): Promise<ControllerClient> {
    const c = await ControllerClient.connect({ port, peeringAttempts: 3, peeringRetryDelaySecs: 0.1, ...extra });
    clients.push(c);
    return c;
  }

  it('matches responses on reqid while unrelated events interleave', async () => {
    handler = (ev, peer) => {
      const reqid = reqidOf(ev);
      const topic = 'zeek/management/controller';
      // Noise first: another request's response, an unrelated event, a response of the wrong name.
      peer.sendEvent(topic, { name: ControllerApi.get_instances_response, args: [B.str('someone-else'), resultToData(makeResult('someone-else'))] });
      peer.sendEvent(topic, { name: 'Some::unrelated_event', args: [B.count(7)] });
      peer.sendEvent(topic, { name: ControllerApi.get_nodes_response, args: [B.str(reqid), resultVecToData([])] });
      const data = B.vec([instanceToData({ name: 'agent-a', host: '10.0.0.1', listen_port: 2151 })]);
      setTimeout(() => peer.sendEvent(topic, { name: ControllerApi.get_instances_response, args: [B.str(reqid), resultToData(makeResult(reqid, { data }))] }), 20);
    };
    const c = await connect();
    const seen: string[] = [];
    c.onEvent((ev) => seen.push(ev.name));
    const r = await c.getInstances();
    assert.equal(r.success, true);
    assert.deepEqual(instancesOf(r), [{ name: 'agent-a', host: '10.0.0.1', listen_port: 2151 }]);
    assert.ok(seen.includes('Some::unrelated_event'));
  });

  it('keeps several transactions in flight on one connection, answered out of order', async () => {
    const held: Array<[string, Peer]> = [];
    handler = (ev, peer) => {
      held.push([reqidOf(ev), peer]);
      if (held.length === 3) {
        for (const [reqid, p] of held.reverse()) {
          p.sendEvent('zeek/management/controller', {
            name: ControllerApi.get_configuration_response,
            args: [B.str(reqid), resultToData(makeResult(reqid, { success: false, error: `for ${reqid}` }))],
          });
        }
      }
    };
    const c = await connect();
    const results = await Promise.all([c.getConfiguration(false), c.getConfiguration(true), c.getConfiguration(false)]);
    for (const r of results) assert.equal(r.error, `for ${r.reqid}`);
    assert.equal(new Set(results.map((r) => r.reqid)).size, 3);
  });

  it('sends the request arguments in Zeek\'s order and layout', async () => {
    let got: ZeekEvent | undefined;
    handler = (ev, peer) => {
      got = ev;
      const reqid = reqidOf(ev);
      peer.sendEvent('zeek/management/controller', { name: ControllerApi.stage_configuration_response, args: [B.str(reqid), resultVecToData([makeResult(reqid, { data: B.str('cfg-1') })])] });
    };
    const c = await connect();
    const cfg = {
      id: 'cfg-1',
      instances: [{ name: 'agent-x', host: '0.0.0.0', listen_port: null }],
      nodes: [{ name: 'manager', instance: 'agent-x', role: 'MANAGER' as const, state: 'RUNNING' as const, port: null, scripts: null, options: null, interface: null, cpu_affinity: null, env: {}, metrics_port: null }],
    };
    const rs = await c.stageConfiguration(cfg);
    assert.equal(rs.length, 1);
    assert.ok(got);
    assert.equal(got.name, ControllerApi.stage_configuration_request);
    assert.deepEqual(configurationFromData(got.args[1]), cfg);
  });

  it('times out a request nobody answers', async () => {
    handler = () => undefined;
    const c = await connect({ requestTimeoutSecs: 0.2 });
    await assert.rejects(c.getNodes(), (err: Error) => err instanceof RequestTimeoutError && /no response to .*get_nodes_request within 0.2 s/.test(err.message));
  });

  it('retries a refused connection until the server appears', async () => {
    const late = await freePorts();
    const lateServer = new EndpointServer({ host: '127.0.0.1', port: late });
    const retries: number[] = [];
    const started = setTimeout(() => void lateServer.listen(), 250);
    try {
      const c = await ControllerClient.connect({ port: late, peeringAttempts: 20, peeringRetryDelaySecs: 0.1, onRetry: (n) => retries.push(n) });
      clients.push(c);
      assert.ok(retries.length >= 1, 'expected at least one retry');
      assert.ok(c.connection.endpointId.length > 0);
    } finally {
      clearTimeout(started);
      for (const c of clients.splice(0)) await c.close();
      await lateServer.close();
    }
  });

  it('gives up after peering_attempts refused connections', async () => {
    const nobody = await freePorts();
    await assert.rejects(
      ControllerClient.connect({ port: nobody, peeringAttempts: 3, peeringRetryDelaySecs: 0.05 }),
      (err: Error) => err instanceof ConnectError && /failed after 3 attempt/.test(err.message),
    );
  });

  it('fails pending transactions when the connection drops', async () => {
    handler = (_ev, peer) => peer.close();
    const c = await connect();
    await assert.rejects(c.deploy(), /connection to controller closed/);
  });
});
