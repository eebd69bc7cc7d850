// NativePeer against NativeListener over real loopback TCP and anonymous-ECDH TLS: the
// handshake with either side as originator, filters, events both ways, ping/pong and
// BYE unpeering; hostile handshakes refused with a typed error while the listener stays up.

import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { once } from 'node:events';
import { B } from '../sdk/broker/data';
import { WireError } from '../sdk/broker/errors';
import { ZeekEvent } from '../sdk/broker/event';
import { EndpointId } from '../sdk/broker/native/endpoint-id';
import { frame, FrameReader } from '../sdk/broker/native/framing';
import { Handshake } from '../sdk/broker/native/handshake';
import { dataEnvelope, decodeHandshake, encodeEnvelope, encodeHandshake, MAGIC } from '../sdk/broker/native/messages';
import { NativeListener, NativePeer } from '../sdk/broker/native/peer';
import { freePorts } from '../provider/free-ports';

const LOW = EndpointId.parse('00000000-0000-4000-8000-000000000001');
const HIGH = EndpointId.parse('ffffffff-0000-4000-8000-000000000002');

async function pair(useTls: boolean, listenerId: EndpointId, connectorId: EndpointId) {
  const port = await freePorts(1);
  const listener = new NativeListener({ port, tls: useTls, id: listenerId, filter: ['zeek/management/controller'] });
  await listener.listen();
  const accepted = once(listener, 'peer') as Promise<[NativePeer]>;
  const client = await NativePeer.connect('127.0.0.1', port, { tls: useTls, id: connectorId, filter: ['zeek/management/agent'] });
  const [server] = await accepted;
  return { listener, client, server, port };
}

function nextEvent(p: NativePeer): Promise<[string, ZeekEvent]> {
  return once(p, 'event') as Promise<[string, ZeekEvent]>;
}

for (const useTls of [false, true]) {
  describe(`native Broker peering over ${useTls ? 'anonymous TLS' : 'plain TCP'}`, () => {
    for (const [label, listenerId, connectorId] of [['connector originates', HIGH, LOW], ['acceptor originates', LOW, HIGH]] as const) {
      it(`peers, exchanges filters and events both ways (${label})`, async () => {
        const { listener, client, server } = await pair(useTls, listenerId, connectorId);
        try {
          assert.ok(client.remoteId.equals(listenerId) && server.remoteId.equals(connectorId));
          assert.equal(client.originator, connectorId === LOW);
          assert.equal(server.originator, listenerId === LOW);
          assert.deepEqual(client.remoteFilter, ['zeek/management/controller']);
          assert.deepEqual(server.remoteFilter, ['zeek/management/agent']);

          const toServer = nextEvent(server);
          const ev = { name: 'Management::Agent::API::notify_agent_hello', args: [B.str('agent-1'), B.str(client.localId.toString()), B.count(1)] };
          assert.equal(client.publishEvent('zeek/management/controller', ev), true);
          assert.deepEqual(await toServer, ['zeek/management/controller', ev]);

          const toClient = nextEvent(client);
          const reply = { name: 'Management::Agent::API::get_nodes_request', args: [B.str('req-1')], metadata: [[1n, B.timestamp(123n)] as [bigint, ReturnType<typeof B.none>]] };
          assert.equal(server.publishEvent('zeek/management/agent/agent-1', reply), true);
          assert.deepEqual(await toClient, ['zeek/management/agent/agent-1', reply]);

          // Not subscribed by the other side: not sent.
          assert.equal(server.publishEvent('other/topic', reply), false);
          // A routing update widens the filter on the other side.
          const widened = once(server, 'filter');
          client.subscribe('other/');
          assert.deepEqual((await widened)[0], ['zeek/management/agent', 'other/']);
          const other = nextEvent(client);
          assert.equal(server.publishEvent('other/topic', reply), true);
          assert.equal((await other)[0], 'other/topic');

          await client.ping();
          await server.ping(Buffer.from('payload'));

          const closed = once(server, 'close');
          await client.unpeer();
          assert.ok(client.isClosed);
          await closed;
        } finally {
          client.close();
          server.close();
          await listener.close();
        }
      });
    }
  });
}

describe('native Broker listener under hostile handshakes', () => {
  let listener: NativeListener;
  let port: number;
  const refused: Array<WireError> = [];

  before(async () => {
    port = await freePorts(1);
    listener = new NativeListener({ port, tls: false, id: HIGH, filter: ['t'], handshakeTimeoutMs: 1500 });
    listener.on('refused', (err: WireError) => refused.push(err));
    await listener.listen();
  });
  after(() => listener.close());

  /** Sends raw bytes, returns the frames received until the listener closes the connection. */
  async function raw(send: Buffer[]): Promise<Buffer[]> {
    const s = net.connect({ host: '127.0.0.1', port });
    await once(s, 'connect');
    const r = new FrameReader();
    const got: Buffer[] = [];
    s.on('data', (c: Buffer) => { try { got.push(...r.push(c)); } catch { /* ignore */ } });
    s.on('error', () => undefined);
    for (const b of send) s.write(b);
    await once(s, 'close');
    return got;
  }

  async function refusedWith(send: Buffer[], code: string, text: RegExp): Promise<void> {
    const before = refused.length;
    const got = await raw(send);
    // First the probe, then (unless the connection just timed out) a drop_conn naming the code.
    assert.equal(decodeHandshake(got[0]).kind, 'probe');
    const drop = decodeHandshake(got[got.length - 1]);
    assert.equal(drop.kind, 'drop_conn');
    for (let i = 0; i < 50 && refused.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    const err = refused[refused.length - 1];
    assert.ok(err instanceof WireError, 'refused with a WireError');
    assert.equal(err.code, code);
    assert.match(err.message, text);
  }

  const hello = (minVersion = 1, maxVersion = 1, magic = MAGIC) => frame(encodeHandshake({ kind: 'hello', magic, sender: LOW, minVersion, maxVersion }));

  it('refuses a wrong magic number', () => refusedWith([hello(1, 1, 0x12345678)], 'wrong_magic_number', /magic number 0x12345678/));
  it('refuses a version range without version 1', () => refusedWith([hello(2, 4)], 'peer_incompatible', /versions 2..4/));
  it('refuses an oversized frame', () => refusedWith([Buffer.from([0x7f, 0xff, 0xff, 0xff])], 'invalid_message', /exceeds the limit/));
  it('refuses an empty frame', () => refusedWith([Buffer.alloc(4)], 'invalid_message', /length 0/));
  it('refuses garbage where hello belongs', () => refusedWith([frame(Buffer.from('GET / HTTP/1.1'))], 'invalid_message', /not a handshake message/));
  it('refuses a message out of order', () => refusedWith([frame(encodeHandshake({ kind: 'originator_ack' }))], 'unexpected_handshake_message', /originator_ack message in state await_hello/));
  it('refuses a peer that never finishes (truncated frame)', () => refusedWith([Buffer.from([0, 0, 0, 30, 6, 0x5a])], 'peer_timeout', /no handshake within 1500 ms/));

  it('still peers normally afterwards', async () => {
    const accepted = once(listener, 'peer') as Promise<[NativePeer]>;
    const client = await NativePeer.connect('127.0.0.1', port, { tls: false, id: LOW, filter: ['x'] });
    const [server] = await accepted;
    assert.ok(server.remoteId.equals(LOW));
    const got = once(server, 'data');
    assert.equal(client.publish('t/1', B.vec([B.str('hello')])), true);
    assert.deepEqual((await got)[1], B.vec([B.str('hello')]));
    client.close();
    server.close();
  });

  it('after peering, skips malformed envelopes and closes on a bad frame', async () => {
    // A hand-driven connector: our Handshake over a raw socket, so that raw bytes can follow.
    const accepted = once(listener, 'peer') as Promise<[NativePeer]>;
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    await once(s, 'connect');
    const hs = new Handshake(LOW, () => ['x'], 'connector');
    const r = new FrameReader();
    const done = new Promise<void>((resolve) => {
      s.on('data', (c: Buffer) => {
        for (const f of r.push(c)) {
          const step = hs.receive(decodeHandshake(f));
          for (const m of step.send) s.write(frame(encodeHandshake(m)));
          if (step.peered) resolve();
        }
      });
    });
    for (const m of hs.start()) s.write(frame(encodeHandshake(m)));
    await done;
    const [server] = await accepted;
    const malformed: WireError[] = [];
    server.on('malformed', (e: WireError) => malformed.push(e));
    const header = (type: number, topic: string): Buffer => Buffer.concat([LOW.bytes, Buffer.alloc(16), Buffer.from([type, 0, 16, 0, topic.length]), Buffer.from(topic)]);
    s.write(frame(Buffer.alloc(10)));                                      // shorter than an envelope
    s.write(frame(header(9, 't')));                                        // unknown envelope type
    s.write(frame(Buffer.concat([header(1, 't'), Buffer.from([0x0e, 0x05])]))); // truncated vector
    s.write(frame(Buffer.concat([header(3, '<$>'), Buffer.from([0x02, 0x05, 0x61])]))); // bad routing update
    const good = once(server, 'data');
    s.write(frame(encodeEnvelope(dataEnvelope(LOW, 't/ok', B.str('fine')))));
    assert.deepEqual((await good)[1], B.str('fine'));
    assert.deepEqual(malformed.map((e) => e.code), ['invalid_data', 'invalid_data', 'deserialization_failed', 'invalid_message']);
    assert.equal(server.isClosed, false);
    const closed = once(server, 'close');
    s.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    assert.match(String((await closed)[0]), /bad frame: .*exceeds the limit/);
    s.destroy();
  });

  it('a connector gets the data that came in the same write as the end of the handshake', async () => {
    // A hand-driven acceptor with the smaller id, so that it originates and its last
    // handshake message (originator_ack) can carry data right behind it.
    const p2 = await freePorts(1);
    const srv = net.createServer((s) => {
      s.on('error', () => undefined);
      const hs = new Handshake(LOW, () => ['t'], 'acceptor');
      const r = new FrameReader();
      s.on('data', (c: Buffer) => {
        for (const f of r.push(c)) {
          const step = hs.receive(decodeHandshake(f));
          const out = step.send.map((m) => frame(encodeHandshake(m)));
          if (step.peered) out.push(frame(encodeEnvelope(dataEnvelope(LOW, 't/early', B.str('right behind the ack')))));
          s.write(Buffer.concat(out));
        }
      });
      for (const m of hs.start()) s.write(frame(encodeHandshake(m)));
    });
    await new Promise<void>((r) => srv.listen(p2, '127.0.0.1', r));
    try {
      const client = await NativePeer.connect('127.0.0.1', p2, { tls: false, id: HIGH, filter: ['t/'] });
      // Listeners added after connect() resolved still see it.
      const [topic, value] = await once(client, 'data');
      assert.deepEqual([topic, value], ['t/early', B.str('right behind the ack')]);
      client.close();
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });

  it('a connector refuses a listener that answers with a bad version_select', async () => {
    const p2 = await freePorts(1);
    const srv = net.createServer((s) => {
      s.on('error', () => undefined);
      s.resume(); // read (and drop) what the connector sends, so its close is seen
      s.write(frame(encodeHandshake({ kind: 'version_select', magic: MAGIC, sender: LOW, version: 9 })));
    });
    await new Promise<void>((r) => srv.listen(p2, '127.0.0.1', r));
    try {
      await assert.rejects(NativePeer.connect('127.0.0.1', p2, { tls: false, id: HIGH }), (e: unknown) => e instanceof WireError && e.code === 'peer_incompatible');
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});
