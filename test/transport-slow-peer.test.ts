// A peer that connects and never reads must not make the endpoint hold everything sent to
// it: found by the fault soak (bench/soak.ts), where one such client grew the controller by
// ~25 KB per response broadcast to it, without bound. Its messages are bounded as Broker
// bounds a WebSocket client's (Broker::web_socket_buffer_size 8192 messages,
// Broker::web_socket_overflow_policy drop_oldest); peers that read lose nothing.

import { strict as assert } from 'node:assert';
import WebSocket from 'ws';
import { B } from '../sdk/broker/data';
import { EndpointClient } from '../sdk/transport/endpoint-client';
import { EndpointServer, Peer, WebSocketPeer } from '../sdk/transport/endpoint-server';

const until = async (what: string, cond: () => boolean, ms = 30000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('EndpointServer and a peer that does not read', function () {
  this.timeout(60000);
  let server: EndpointServer;
  let reader: EndpointClient | undefined;
  let silent: WebSocket | undefined;
  const logs: string[] = [];

  before(async () => {
    server = new EndpointServer({ host: '127.0.0.1', port: 0, log: (l, m) => logs.push(`${l} ${m}`) });
    await server.listen();
  });

  after(async () => {
    silent?.terminate();
    await reader?.close();
    await server.close();
  });

  it('holds at most web_socket_buffer_size messages for it, drops the oldest, and loses nothing for a peer that reads', async () => {
    const port = server.address!.port;
    reader = await EndpointClient.connect({ host: '127.0.0.1', port, topics: ['t'], attempts: 1 });
    const readerGot: number[] = [];
    reader.on('message', (m) => {
      const d = m.data;
      if (d.type === 'vector' && d.value[0]?.type === 'count') readerGot.push(Number(d.value[0].value));
    });

    silent = new WebSocket(`ws://127.0.0.1:${port}/v1/messages/json`, { headers: { 'X-Application-Name': 'silent' } });
    const silentGot: number[] = [];
    let acked = false;
    silent.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { type: string; data?: Array<{ data: number }> };
      if (msg.type === 'ack') acked = true;
      else if (msg.type === 'data-message') silentGot.push(Number(msg.data![0].data));
    });
    await new Promise<void>((r) => silent!.once('open', () => r()));
    silent.send(JSON.stringify(['t']));
    await until('the ack', () => acked);
    silent.pause(); // reads nothing from here on

    const peer = [...server.peers].find((p) => p.appName === 'silent') as WebSocketPeer;
    assert.ok(peer, 'the silent peer is known to the server');

    // 40,000 messages of ~1 KB (40 MB), a few hundred per turn of the event loop, as a busy
    // controller sends them: the reading peer keeps up, the silent one does not.
    const total = 40000;
    const pad = 'x'.repeat(1000);
    for (let i = 0; i < total; i++) {
      server.publish('t', B.vec([B.count(BigInt(i)), B.str(pad)]));
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    const inSocket = peer.socket.bufferedAmount;
    const queued = (peer as unknown as { queued?: number }).queued ?? 0;
    assert.ok(inSocket < 2 * 1024 * 1024, `the server holds ${(inSocket / 1e6).toFixed(1)} MB in the silent peer's socket`);
    assert.ok(queued <= 8192, `${queued} messages wait for the silent peer`);

    const readerPeer = [...server.peers].find((p) => p !== peer)!;
    await until('the reading peer to get every message', () => readerGot.length === total).catch((e) => { throw new Error(`${e.message}: got ${readerGot.length}, dropped ${(readerPeer as unknown as { dropped?: number }).dropped}, queued ${(readerPeer as unknown as { queued?: number }).queued}, last ${readerGot.at(-1)}`); });
    assert.deepEqual(readerGot, Array.from({ length: total }, (_, i) => i), 'the reading peer got every message, in order');

    silent.resume();
    await until('the silent peer to get the newest message', () => silentGot.at(-1) === total - 1);
    assert.ok(silentGot.length < total, 'some messages for the silent peer were dropped');
    for (let i = 1; i < silentGot.length; i++) assert.ok(silentGot[i] > silentGot[i - 1], `messages arrive in order (${silentGot[i - 1]} then ${silentGot[i]})`);
    // Those it gets after the gap are the newest 8192.
    const gap = silentGot.findIndex((n, i) => i > 0 && n !== silentGot[i - 1] + 1);
    assert.ok(gap > 0, 'the dropped messages leave one gap');
    assert.equal(silentGot.length - gap, 8192, 'after the gap come the 8192 newest messages');
    assert.equal(logs.filter((l) => /does not keep up/.test(l)).length, 1, `one warning per overflow: ${logs.join('\n')}`);
  });
});
