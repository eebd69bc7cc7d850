// BrokerPeering, Broker::peer in native Broker, against a real listening EndpointServer
// (the one our agent's and controller's ports use) over loopback: anonymous TLS and plain
// TCP as chosen, events both ways, retrying until the other side listens, reconnecting
// after a loss with the same endpoint id, and close() stopping it all.

import { strict as assert } from 'node:assert';
import { B } from '../sdk/broker/data';
import { ZeekEvent } from '../sdk/broker/event';
import { BrokerPeering } from '../sdk/transport/broker-peering';
import { EndpointServer, Peer } from '../sdk/transport/endpoint-server';
import { freePorts } from '../provider/free-ports';

const until = async (what: string, cond: () => boolean, ms = 10000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const TOPIC = 'zeek/management/agent/agent-x';

describe('BrokerPeering (Broker::peer, native) against an EndpointServer', function () {
  this.timeout(30000);
  const servers: EndpointServer[] = [];
  const peerings: BrokerPeering[] = [];
  const logs: string[] = [];

  async function server(port = 0): Promise<{ server: EndpointServer; events: Array<{ ev: ZeekEvent; peer: Peer }> }> {
    const s = new EndpointServer({ host: '127.0.0.1', port, relay: false, native: { filter: ['zeek/management/controller'] }, log: (l, m) => logs.push(`${l} ${m}`) });
    const events: Array<{ ev: ZeekEvent; peer: Peer }> = [];
    s.on('event', (ev, _topic, peer) => events.push({ ev, peer }));
    await s.listen();
    servers.push(s);
    return { server: s, events };
  }

  function peering(port: number, tls: boolean, retryMs = 100): BrokerPeering {
    const p = new BrokerPeering({ host: '127.0.0.1', port, topics: [TOPIC], tls, retryMs });
    peerings.push(p);
    return p;
  }

  afterEach(async () => {
    for (const p of peerings.splice(0)) await p.close();
    for (const s of servers.splice(0)) await s.close();
    logs.length = 0;
  });

  for (const tls of [true, false]) {
    it(`peers over ${tls ? 'anonymous TLS (Broker\'s default)' : 'plain TCP (Broker::disable_ssl=T)'} and carries events both ways`, async () => {
      const { server: s, events } = await server();
      const p = peering(s.address!.port, tls);
      const got: ZeekEvent[] = [];
      p.on('event', (ev, topic) => { if (topic === TOPIC) got.push(ev); });
      let ups = 0;
      p.on('up', () => ups++);
      p.start();
      await until('the peering', () => p.isOpen);
      assert.equal(ups, 1);
      // The server has the peer once our last handshake message reaches it, maybe after we are open.
      await until('the server to log the peer', () => logs.some((l) => l.includes('native Broker peer ')));
      assert.ok(logs.some((l) => l.includes(`native Broker peer ${p.endpointId} over ${tls ? 'TLS' : 'TCP'}`)), logs.join('\n'));
      // Our filter is what the server sees as the peer's subscriptions; theirs is what we may publish to.
      const sp = [...s.peers].find((x) => x.wire === 'native')!;
      assert.deepEqual(sp.subscriptions, [TOPIC]);
      assert.deepEqual(p.peer!.subscriptions, ['zeek/management/controller']);

      assert.equal(p.publishEvent('zeek/management/controller', { name: 'to-server', args: [B.str('x'), B.count(7n)] }), true);
      // Not in the server's filter: Broker does not send it.
      assert.equal(p.publishEvent('zeek/elsewhere', { name: 'nowhere', args: [] }), false);
      await until('the event at the server', () => events.length === 1);
      assert.equal(events[0].ev.name, 'to-server');
      assert.deepEqual(events[0].ev.args, [B.str('x'), B.count(7n)]);

      s.publishEvent(TOPIC, { name: 'to-peering', args: [B.bool(true)] });
      s.publishEvent('zeek/management/agent/agent-y', { name: 'not-ours', args: [] });
      await until('the event at the peering', () => got.length === 1);
      assert.equal(got[0].name, 'to-peering');
    });
  }

  it('retries every retryMs until the other side listens, then peers', async () => {
    const port = await freePorts(1);
    const p = peering(port, true, 150);
    const failures: string[] = [];
    p.on('failed', (err, attempt) => failures.push(`${attempt}: ${err.message}`));
    p.start();
    await until('two failed attempts', () => failures.length >= 2);
    assert.match(failures[0], /^1: .*ECONNREFUSED/);
    assert.equal(p.isOpen, false);
    await server(port);
    await until('the peering', () => p.isOpen);
  });

  it('reconnects after the peering is lost, with the same endpoint id; reports the loss', async () => {
    const { server: first } = await server();
    const port = first.address!.port;
    const p = peering(port, true, 100);
    const lost: string[] = [];
    p.on('lost', (_peer, reason) => lost.push(reason));
    p.start();
    await until('the first peering', () => p.isOpen);
    // Our side is open once the server's ack arrives; the server counts the peer once our last
    // handshake message reaches it. Closing before that would be a refused handshake, not a loss.
    const peerLogged = (): number => logs.filter((l) => l.includes(`native Broker peer ${p.endpointId} over TLS`)).length;
    await until('the server to log the first peer', () => peerLogged() === 1);
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await until('the loss', () => lost.length === 1 && !p.isOpen);
    await server(port);
    await until('the second peering', () => p.isOpen);
    await until('the server to log the second peer', () => peerLogged() === 2);
    assert.equal(peerLogged(), 2, logs.join('\n'));
  });

  it('a TLS peering against a plain-TCP-only Broker port fails and keeps retrying (as Broker does)', async () => {
    // A native listener without TLS: Broker with disable_ssl=T.
    const { NativeListener } = await import('../sdk/broker/native/peer');
    const plain = new NativeListener({ port: 0, tls: false });
    const port = await plain.listen();
    try {
      const p = peering(port, true, 100);
      const failures: Error[] = [];
      p.on('failed', (err) => failures.push(err));
      p.start();
      await until('two failed attempts', () => failures.length >= 2);
      assert.equal(p.isOpen, false);
    } finally {
      for (const pr of peerings.splice(0)) await pr.close();
      await plain.close();
    }
  });

  it('close() unpeers (the server sees the peer go) and stops retrying', async () => {
    const { server: s } = await server();
    const p = peering(s.address!.port, false, 50);
    p.start();
    await until('the peering', () => p.isOpen);
    const closed = new Promise<void>((r) => s.once('peer-closed', () => r()));
    await p.close();
    await closed;
    assert.equal(p.isOpen, false);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal([...s.peers].filter((x) => x.wire === 'native').length, 0);
  });

  it('uses the endpoint id it is given (notify_agent_hello names it)', async () => {
    const { server: s } = await server();
    const id = '0f0e0d0c-0b0a-4908-8706-050403020100';
    const p = new BrokerPeering({ host: '127.0.0.1', port: s.address!.port, topics: [TOPIC], tls: true, retryMs: 100, endpointId: id });
    peerings.push(p);
    p.start();
    await until('the peering', () => p.isOpen);
    assert.equal(p.endpointId, id);
    assert.equal(p.peer!.native.localId.toString(), id);
    // The server logs the peer once its side of the handshake is done, which may come after ours.
    await until('the server to log the peer', () => logs.some((l) => l.includes('native Broker peer ')));
    assert.ok(logs.some((l) => l.includes(`native Broker peer ${id} over TLS`)), logs.join('\n'));
    assert.throws(() => new BrokerPeering({ host: '127.0.0.1', port: 1, topics: [], tls: true, retryMs: 1, endpointId: 'controller-x' }), /"controller-x" is not a UUID/);
  });
});
