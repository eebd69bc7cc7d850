// ZEEK_DEFAULT_CONNECT_RETRY as Zeek's Broker::peer reads it: a whole number of seconds
// (C's atoi) that overrides the retry interval every peering was given
// (Management::connect_retry and the rest); 0, or no number at all, means one attempt and
// no retry. Checked on the function, on a real BrokerPeering against a real port, and on
// `zeek-mgmt run agent` waiting for a controller that starts late.

import * as assert from 'node:assert/strict';
import { EndpointId } from '../sdk/broker/native/endpoint-id';
import { NativeListener } from '../sdk/broker/native/peer';
import { ControllerClient } from '../sdk/client/controller-client';
import { instancesOf } from '../sdk/client/result-data';
import { freePorts } from '../provider/free-ports';
import { BrokerPeering } from '../sdk/transport/broker-peering';
import { cAtoi, CONNECT_RETRY_ENV, peerRetryMs } from '../sdk/transport/connect-retry';
import { allocatePorts, RunHandle, runText, startRun, stopRuns, tempDir, waitFor } from './run-support';

describe('ZEEK_DEFAULT_CONNECT_RETRY', function () {
  this.timeout(60000);

  it('reads a number as C\'s atoi does', () => {
    for (const [text, n] of [['5', 5], ['  7', 7], ['+3', 3], ['-2', -2], ['4.9', 4], ['12s', 12], ['', 0], ['abc', 0], ['0x10', 0]] as const) {
      assert.equal(cAtoi(text), n, JSON.stringify(text));
    }
  });

  it('overrides the interval a peering was given; 0 or no number means no retry', () => {
    assert.equal(peerRetryMs(1, {}), 1000);
    assert.equal(peerRetryMs(0.2, {}), 200, 'a script\'s sub-second interval is kept');
    assert.equal(peerRetryMs(0, {}), null);
    assert.equal(peerRetryMs(30, { [CONNECT_RETRY_ENV]: '2' }), 2000);
    assert.equal(peerRetryMs(0.2, { [CONNECT_RETRY_ENV]: '5' }), 5000);
    assert.equal(peerRetryMs(0, { [CONNECT_RETRY_ENV]: '1' }), 1000, 'it also turns retrying on');
    for (const v of ['0', '', 'soon', '-4']) assert.equal(peerRetryMs(1, { [CONNECT_RETRY_ENV]: v }), null, JSON.stringify(v));
  });

  it('a BrokerPeering without retry makes one attempt and no other', async () => {
    const port = await freePorts(1);
    const peering = new BrokerPeering({ host: '127.0.0.1', port, topics: ['zeek/test'], tls: false, retryMs: null });
    const failed: Error[] = [];
    let up = 0;
    peering.on('failed', (err) => failed.push(err));
    peering.on('up', () => up++);
    peering.start();
    const listener = new NativeListener({ id: EndpointId.random(), filter: ['zeek/test'], port, tls: false });
    try {
      await waitFor('the first attempt to fail', () => failed.length > 0, 10000, 20);
      // Now something listens where the peering failed: a retrying peering would reach it.
      await listener.listen();
      await new Promise((res) => setTimeout(res, 1500));
      assert.equal(failed.length, 1);
      assert.equal(up, 0);
      // The same, retrying every 100 ms, does reach it.
      const retrying = new BrokerPeering({ host: '127.0.0.1', port, topics: ['zeek/test'], tls: false, retryMs: 100 });
      await new Promise<void>((resolve) => retrying.once('up', () => resolve()).start());
      await retrying.close();
    } finally {
      await peering.close();
      await listener.close();
    }
  });

  it('zeek-mgmt run agent, told to retry every 120 s, retries every second under ZEEK_DEFAULT_CONNECT_RETRY=1 and checks in with a controller started after it', async () => {
    const ports = await allocatePorts();
    const dir = tempDir('zeek-mgmt-connect-retry-');
    const runs: RunHandle[] = [];
    let client: ControllerClient | undefined;
    try {
      runs.push(await startRun({
        roles: ['agent'], agentName: 'agent-late-controller', stateDir: dir,
        ports: { ...(await allocatePorts()), controller: ports.controller, websocket: ports.websocket },
        extra: ['Management::connect_retry=120 secs', `Management::Agent::controller=[$address="127.0.0.1", $bound_port=${ports.controller}/tcp]`],
        env: { [CONNECT_RETRY_ENV]: '1' },
      }));
      // Its first attempt finds no controller; only then does the controller start.
      await waitFor('the agent\'s first attempt to fail', () => runText(runs[0]).includes('cannot connect to the controller at 127.0.0.1:'), 20000, 100);
      runs.push(await startRun({ roles: ['controller'], ports, stateDir: dir }));
      client = await ControllerClient.connect({ port: ports.websocket, peeringAttempts: 40, peeringRetryDelaySecs: 0.3 });
      // Well before the 120 s the agent was given.
      await waitFor('the agent at the controller', async () => instancesOf(await client!.getInstances()).some((i) => i.name === 'agent-late-controller'), 20000, 200);
    } finally {
      await client?.close().catch(() => undefined);
      await stopRuns(runs, [dir]);
    }
  });
});
