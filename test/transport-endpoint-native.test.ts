// EndpointServer with `native`: one port takes Broker's WebSocket JSON and native Broker
// (anonymous TLS or plain TCP), sniffed by the first byte; native peers are Peers like
// WebSocket ones (relay by topic, 'event', filter updates), and hostile bytes after the
// sniff leave the server up.

import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { B } from '../sdk/broker/data';
import type { ZeekEvent } from '../sdk/broker/event';
import { NativePeer } from '../sdk/broker/native/peer';
import { EndpointClient } from '../sdk/transport/endpoint-client';
import { EndpointServer, Peer } from '../sdk/transport/endpoint-server';

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('EndpointServer, native Broker beside WebSocket on one port', () => {
  let server: EndpointServer;
  const logs: string[] = [];
  const natives: NativePeer[] = [];
  const clients: EndpointClient[] = [];
  const events: { ev: ZeekEvent; topic: string; peer: Peer }[] = [];

  beforeEach(async () => {
    logs.length = 0;
    events.length = 0;
    server = new EndpointServer({
      host: '127.0.0.1', port: 0, handshakeTimeoutMs: 500, native: { filter: ['zeek/management/'] },
      log: (l, m) => logs.push(`${l} ${m}`),
    });
    server.on('event', (ev, topic, peer) => events.push({ ev, topic, peer }));
    await server.listen();
  });

  afterEach(async () => {
    for (const n of natives.splice(0)) n.close();
    for (const c of clients.splice(0)) await c.close();
    await server.close();
  });

  const port = (): number => server.address!.port;

  for (const useTls of [true, false]) {
    it(`peers natively over ${useTls ? 'anonymous TLS' : 'plain TCP'} and relays both ways with a WebSocket client`, async () => {
      const ws = await EndpointClient.connect({ host: '127.0.0.1', port: port(), topics: ['zeek/management/node'], attempts: 1 });
      clients.push(ws);
      const native = await NativePeer.connect('127.0.0.1', port(), { tls: useTls, filter: ['zeek/management/node'] });
      natives.push(native);
      // Our filter is what the server announced.
      assert.deepEqual(native.remoteFilter, ['zeek/management/']);
      await until(() => [...server.peers].some((p) => p.wire === 'native'));
      const np = [...server.peers].find((p) => p.wire === 'native')!;
      assert.deepEqual(np.subscriptions, ['zeek/management/node']);

      // native -> server ('event') and -> WebSocket client (relay)
      const wsGot: string[] = [];
      ws.on('event', (ev) => wsGot.push(ev.name));
      assert.equal(native.publishEvent('zeek/management/node', { name: 'Management::Node::API::notify_node_hello', args: [B.str('worker-01')] }), true);
      await until(() => events.length === 1 && wsGot.length === 1);
      assert.equal(events[0].peer, np);
      assert.equal(events[0].topic, 'zeek/management/node');
      assert.deepEqual(events[0].ev.args, [B.str('worker-01')]);

      // WebSocket client -> native peer (relay by data), and server publish -> native peer
      const nativeGot: string[] = [];
      native.on('event', (_t: string, ev: ZeekEvent) => nativeGot.push(ev.name));
      ws.publishEvent('zeek/management/node', { name: 'from-ws', args: [B.count(1n)] });
      server.publishEvent('zeek/management/node', { name: 'from-server', args: [] });
      server.publishEvent('zeek/elsewhere', { name: 'not-subscribed', args: [] });
      await until(() => nativeGot.length === 2);
      assert.deepEqual(nativeGot.sort(), ['from-server', 'from-ws']);

      // A routing update changes what the server sends.
      native.subscribe('zeek/elsewhere');
      await until(() => np.subscriptions.includes('zeek/elsewhere'));
      server.publishEvent('zeek/elsewhere', { name: 'now-subscribed', args: [] });
      await until(() => nativeGot.includes('now-subscribed'));

      // Unpeering removes the peer.
      const closed = new Promise<Peer>((r) => server.once('peer-closed', r));
      await native.unpeer();
      assert.equal(await closed, np);
    });
  }

  it('drops native data outside its filter and survives garbage after the sniff', async () => {
    const send = (bytes: Buffer): Promise<void> => new Promise((resolve) => {
      const s = net.connect(port(), '127.0.0.1', () => s.write(bytes));
      s.resume(); // read to the end, so that the server's close is seen
      s.on('error', () => undefined);
      s.on('close', () => resolve());
    });
    await send(Buffer.from('\x00\x00\x00\x05hello-not-broker'));          // plain native: bad handshake
    await send(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));           // oversized frame length
    await send(Buffer.concat([Buffer.from([0x16, 3, 1, 0, 5]), Buffer.from('xxxxxjunk')])); // not a ClientHello
    await send(Buffer.from('GARBAGE / HTTP/9\r\n\r\n'));                  // 'G' but not HTTP
    // A TLS client with a cipher Broker's anonymous suite does not share.
    await new Promise<void>((resolve) => {
      const s = tls.connect({ port: port(), host: '127.0.0.1', rejectUnauthorized: false, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' });
      s.resume();
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    await until(() => logs.some((l) => l.includes('refused native Broker peering over TCP')) && logs.some((l) => l.includes('TLS handshake failed')));
    // Still serving both wire formats.
    const native = await NativePeer.connect('127.0.0.1', port(), { tls: true, filter: ['x'] });
    natives.push(native);
    native.publishEvent('zeek/other', { name: 'x', args: [] }); // we did not subscribe: not sent
    assert.equal(native.publish('zeek/other', B.str('y')), false);
    const ws = await EndpointClient.connect({ host: '127.0.0.1', port: port(), topics: ['a'], attempts: 1 });
    clients.push(ws);
    assert.equal(events.length, 0);
  });

  it('closes a connection that sends nothing', async () => {
    const s = net.connect(port(), '127.0.0.1');
    s.resume();
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.on('close', () => r()));
    assert.ok(logs.some((l) => l.includes('sent nothing in time')));
  });
});
