// The Broker-style WebSocket endpoint: handshake, relay by topic prefix, hostile input, TLS.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import WebSocket from 'ws';
import { B } from '../sdk/broker/data';
import { encodeDataMessage } from '../sdk/broker/messages';
import { EndpointClient, ConnectError } from '../sdk/transport/endpoint-client';
import { EndpointServer } from '../sdk/transport/endpoint-server';
import { makeTestCerts, TestCerts } from './helpers/certs';

function rawSocket(port: number, scheme = 'ws', opts: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${scheme}://127.0.0.1:${port}/v1/messages/json`, opts);
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
  });
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('EndpointServer', () => {
  let server: EndpointServer;
  const logs: string[] = [];
  const sockets: WebSocket[] = [];
  const clients: EndpointClient[] = [];

  beforeEach(async () => {
    logs.length = 0;
    server = new EndpointServer({ host: '127.0.0.1', port: 0, maxMessageBytes: 64 * 1024, handshakeTimeoutMs: 300, log: (l, m) => logs.push(`${l} ${m}`) });
    await server.listen();
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    for (const c of clients.splice(0)) await c.close();
    await server.close();
  });

  const port = (): number => server.address!.port;

  it('acks the handshake with its endpoint id and relays by topic prefix', async () => {
    const a = await EndpointClient.connect({ host: '127.0.0.1', port: port(), topics: ['zeek/a'], attempts: 1 });
    const b = await EndpointClient.connect({ host: '127.0.0.1', port: port(), topics: ['zeek/'], attempts: 1 });
    const c = await EndpointClient.connect({ host: '127.0.0.1', port: port(), topics: ['other'], attempts: 1 });
    clients.push(a, b, c);
    assert.equal(a.endpointId, server.endpointId);
    const got: Record<string, string[]> = { a: [], b: [], c: [] };
    a.on('message', (m) => got.a.push(m.topic));
    b.on('message', (m) => got.b.push(m.topic));
    c.on('message', (m) => got.c.push(m.topic));
    const atServer: string[] = [];
    server.on('message', (m) => atServer.push(m.topic));
    a.publish('zeek/a/x', B.count(1)); // reaches b (prefix zeek/), not a itself, not c
    server.publish('zeek/a/y', B.count(2)); // reaches a and b
    await until(() => got.b.length === 2 && got.a.length === 1 && atServer.length === 1);
    assert.deepEqual({ ...got, b: got.b.sort() }, { a: ['zeek/a/y'], b: ['zeek/a/x', 'zeek/a/y'], c: [] });
  });

  it('answers malformed input with Broker error messages and keeps the peer', async () => {
    const { ws, messages } = await rawSocket(port());
    sockets.push(ws);
    ws.send('["t"]');
    await until(() => messages.length === 1);
    assert.equal(JSON.parse(messages[0]).type, 'ack');
    ws.send('How is it going?');
    ws.send('{"type":"data-message","topic":"t","@data-type":"count","data":1.5}');
    ws.send('{"type":"data-message","@data-type":"count","data":1}');
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await until(() => messages.length === 5);
    const errors = messages.slice(1).map((m) => JSON.parse(m));
    assert.deepEqual(errors.map((e) => e.type), ['error', 'error', 'error', 'error']);
    assert.equal(errors[0].code, 'deserialization_failed');
    assert.match(errors[1].context, /count must be a whole number/);
    assert.match(errors[2].context, /topic/);
    assert.match(errors[3].context, /only JSON text/);
    // Still usable afterwards.
    const other = await EndpointClient.connect({ host: '127.0.0.1', port: port(), topics: [], attempts: 1 });
    clients.push(other);
    other.publish('t/1', B.str('still here'));
    await until(() => messages.length === 6);
    assert.equal(JSON.parse(messages[5]).data, 'still here');
    assert.ok(logs.some((l) => l.includes('malformed')));
  });

  it('rejects a handshake that is not an array of strings', async () => {
    const { ws, messages, closed } = await rawSocket(port());
    sockets.push(ws);
    ws.send('{"subscriptions": ["a"]}');
    assert.equal(await closed, 1008);
    assert.equal(JSON.parse(messages[0]).type, 'error');
  });

  it('disconnects a peer that never completes the handshake', async () => {
    const { ws, closed } = await rawSocket(port());
    sockets.push(ws);
    assert.equal(await closed, 1008);
    assert.ok(logs.some((l) => l.includes('did not complete the handshake')));
  });

  it('disconnects a peer that sends an oversized message, others unaffected', async () => {
    const bystander = await EndpointClient.connect({ host: '127.0.0.1', port: port(), topics: ['x'], attempts: 1 });
    clients.push(bystander);
    const { ws, closed } = await rawSocket(port());
    sockets.push(ws);
    ws.send('[]');
    ws.send(encodeDataMessage('x', B.str('y'.repeat(100 * 1024))));
    assert.equal(await closed, 1009);
    assert.ok(logs.some((l) => /Max payload size exceeded|too big/i.test(l)), logs.join('\n'));
    const got: string[] = [];
    bystander.on('message', (m) => got.push(m.topic));
    server.publish('x/ok', B.none());
    await until(() => got.length === 1);
  });

  it('refuses other paths', async () => {
    await assert.rejects(new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port()}/v2/other`);
      ws.once('open', resolve);
      ws.once('error', reject);
    }), /404/);
  });
});

describe('EndpointServer over TLS', function () {
  this.timeout(30000);
  let certs: TestCerts;
  before(() => {
    certs = makeTestCerts();
  });
  after(() => fs.rmSync(certs.dir, { recursive: true, force: true }));

  it('serves wss:// with certificate and key; clients without a certificate skip verification', async () => {
    const server = new EndpointServer({ host: '127.0.0.1', port: 0, tls: { certificate: certs.serverCert, keyfile: certs.serverKey } });
    const { port } = await server.listen();
    try {
      const c = await EndpointClient.connect({ host: '127.0.0.1', port, topics: [], tls: {}, attempts: 1 });
      assert.ok(c.url.startsWith('wss://'));
      await c.close();
      await assert.rejects(EndpointClient.connect({ host: '127.0.0.1', port, topics: [], attempts: 1 }));
    } finally {
      await server.close();
    }
  });

  it('requires a client certificate signed by the CA when a CA is configured', async () => {
    const server = new EndpointServer({ host: '127.0.0.1', port: 0, tls: { certificate: certs.serverCert, keyfile: certs.serverKey, cafile: certs.caCert } });
    const { port } = await server.listen();
    try {
      await assert.rejects(EndpointClient.connect({ host: '127.0.0.1', port, topics: [], tls: {}, attempts: 1 }));
      const c = await EndpointClient.connect({
        host: '127.0.0.1', port, topics: [], attempts: 1,
        tls: { certificate: certs.clientCert, keyfile: certs.clientKey, cafile: certs.caCert },
      });
      assert.ok(c.isOpen);
      await c.close();
    } finally {
      await server.close();
    }
  });

  it('names a missing certificate file', async () => {
    await assert.rejects(
      EndpointClient.connect({ host: '127.0.0.1', port: 1, topics: [], tls: { certificate: '/nonexistent/cert.pem' }, attempts: 1 }),
      (err: Error) => err instanceof Error && /SSL certificate file "\/nonexistent\/cert.pem" not found/.test(err.message) && !(err instanceof ConnectError),
    );
  });
});
