// A command's one read request goes out with the handshake, right behind the subscriptions,
// instead of after the ack (ControllerClientOptions.first; bench/README.md, "CLI start-up",
// issue 25): against a WebSocket server (the `ws` package, a real socket) that holds its
// ack back and notes, for every request, whether the ack had gone out yet. A request that
// changes something still waits for the ack; a client whose first call is not the one sent
// early sends that call as usual and the early one is answered once.

import { strict as assert } from 'node:assert';
import { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { B } from '../sdk/broker/data';
import { eventFromData, eventToData } from '../sdk/broker/event';
import { encodeDataMessage, parseDataMessage } from '../sdk/broker/messages';
import { ControllerClient } from '../sdk/client/controller-client';
import { ControllerApi } from '../sdk/model/events';
import { instanceToData, makeResult, resultToData, resultVecToData } from '../sdk/model/records';
import { TOPICS } from '../sdk/transport/topics';
import { cli } from './cli-harness';

interface Seen { name: string; beforeAck: boolean }

/** A Broker-like WebSocket endpoint whose ack comes `ackDelayMs` after the subscriptions; it answers get_instances, get_nodes and restart. */
class SlowAck {
  readonly seen: Seen[] = [];
  private constructor(readonly server: WebSocketServer) {}

  static async start(ackDelayMs: number): Promise<SlowAck> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1/messages/json' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const s = new SlowAck(server);
    server.on('connection', (ws: WebSocket) => {
      let subscribed = false;
      let acked = false;
      const held: string[] = [];
      const answer = (text: string): void => {
        const ev = eventFromData(parseDataMessage(text).data);
        const reqid = ev.args[0];
        const reply = (name: string, data: ReturnType<typeof resultToData>): void => ws.send(encodeDataMessage(TOPICS.controller, eventToData({ name, args: [reqid, data] })));
        if (ev.name === ControllerApi.get_instances_request) {
          reply(ControllerApi.get_instances_response, resultToData(makeResult('r', { data: B.vec([instanceToData({ name: 'agent-slow', host: '127.0.0.1', listen_port: null })]) })));
        } else if (ev.name === ControllerApi.get_nodes_request) {
          reply(ControllerApi.get_nodes_response, resultVecToData([]));
        } else if (ev.name === ControllerApi.restart_request) {
          reply(ControllerApi.restart_response, resultVecToData([]));
        }
      };
      ws.on('message', (raw) => {
        const text = raw.toString();
        if (!subscribed) {
          subscribed = true;
          setTimeout(() => {
            acked = true;
            ws.send(JSON.stringify({ type: 'ack', endpoint: 'slow-ack', version: '2.8.0' }));
            // As Zeek 8's WebSocket server does: what came before the ack is handled after it.
            for (const t of held.splice(0)) answer(t);
          }, ackDelayMs);
          return;
        }
        s.seen.push({ name: eventFromData(parseDataMessage(text).data).name, beforeAck: !acked });
        if (acked) answer(text);
        else held.push(text);
      });
    });
    return s;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    for (const c of this.server.clients) c.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('a command\'s read request sent with the handshake', function () {
  this.timeout(30000);
  let server: SlowAck;
  beforeEach(async () => {
    server = await SlowAck.start(300);
  });
  afterEach(() => server.close());

  it('get-instances: the request goes out before the ack, once, and the command prints its answer', async () => {
    const r = await cli(['--controller', `127.0.0.1:${server.port}`, 'get-instances']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { 'agent-slow': { host: '127.0.0.1' } });
    assert.deepEqual(server.seen, [{ name: ControllerApi.get_instances_request, beforeAck: true }]);
  });

  it('get-nodes too; restart, which changes something, waits for the ack', async () => {
    assert.equal((await cli(['--controller', `127.0.0.1:${server.port}`, 'get-nodes'])).code, 0);
    const r = await cli(['--controller', `127.0.0.1:${server.port}`, 'restart']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.seen, [
      { name: ControllerApi.get_nodes_request, beforeAck: true },
      { name: ControllerApi.restart_request, beforeAck: false },
    ]);
  });

  it('ControllerClient: another first call is sent as usual, and the early request is answered to the call that matches it', async () => {
    const client = await ControllerClient.connect({ port: server.port, peeringAttempts: 1, first: { method: 'getNodes' } });
    try {
      const instances = await client.getInstances();
      assert.equal(instances.success, true);
      assert.deepEqual(await client.getNodes(), []);
      // A second getNodes is a request of its own.
      assert.deepEqual(await client.getNodes(), []);
    } finally {
      await client.close();
    }
    assert.deepEqual(server.seen, [
      { name: ControllerApi.get_nodes_request, beforeAck: true },
      { name: ControllerApi.get_instances_request, beforeAck: false },
      { name: ControllerApi.get_nodes_request, beforeAck: false },
    ]);
  });
});
