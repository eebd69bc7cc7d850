// NativePeer's keepalive (ours; Broker has none): over real loopback TCP through a relay
// this test can freeze (it keeps both connections open and forwards nothing, as a stopped
// process or a cut cable would), a peer that answers pings stays up however long it is
// otherwise silent, a frozen one is closed with 'peer_timeout' after the timeout, and
// without keepalive a frozen peering stays "up", which is Broker's behaviour.

import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { once } from 'node:events';
import { NativeListener, NativePeer, NativePeerOptions } from '../sdk/broker/native/peer';
import { freePorts } from '../provider/free-ports';

interface Freezer {
  port: number;
  frozen: boolean;
  close(): Promise<void>;
}

/** A TCP relay to `target` on loopback that, while frozen, holds what arrives and closes nothing. */
async function freezer(target: number): Promise<Freezer> {
  const sockets = new Set<net.Socket>();
  const f: Freezer = { port: 0, frozen: false, close: async () => undefined };
  const server = net.createServer((a) => {
    const b = net.connect(target, '127.0.0.1');
    for (const s of [a, b]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    const pipe = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (c) => { if (!f.frozen) to.write(c); });
      from.on('close', () => to.destroy());
    };
    pipe(a, b);
    pipe(b, a);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  f.port = (server.address() as net.AddressInfo).port;
  f.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return f;
}

async function setUp(opts: NativePeerOptions) {
  const port = await freePorts(1);
  const listener = new NativeListener({ port, tls: false, filter: ['a'] });
  await listener.listen();
  const relay = await freezer(port);
  const accepted = once(listener, 'peer') as Promise<[NativePeer]>;
  const client = await NativePeer.connect('127.0.0.1', relay.port, { tls: false, filter: ['b'], ...opts });
  const [server] = await accepted;
  const closed = new Promise<{ reason: string; at: number }>((r) => client.once('close', (reason: string) => r({ reason, at: Date.now() })));
  return { listener, relay, client, server, closed, stop: async () => { client.close(); server.close(); await relay.close(); await listener.close(); } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('native Broker keepalive: a link that stalls without closing', function () {
  this.timeout(15000);

  it('a peer that answers pings stays up through long silence', async () => {
    const s = await setUp({ keepalive: { intervalMs: 100, timeoutMs: 400 } });
    try {
      await sleep(1500);
      assert.equal(s.client.isClosed, false);
    } finally {
      await s.stop();
    }
  });

  it('a frozen link is closed with peer_timeout once nothing has been heard for the timeout', async () => {
    const s = await setUp({ keepalive: { intervalMs: 100, timeoutMs: 400 } });
    try {
      await sleep(300);
      const t0 = Date.now();
      s.relay.frozen = true;
      const { reason, at } = await s.closed;
      assert.match(reason, /^peer_timeout: nothing heard from the peer for \d+ ms$/);
      // Not before the timeout since the last pong (up to some 125 ms before the freeze); the
      // upper bound only says it did close, with room for a loaded machine.
      assert.ok(at - t0 >= 250 && at - t0 < 5000, `closed ${at - t0} ms after the freeze`);
    } finally {
      await s.stop();
    }
  });

  it('without keepalive a frozen link stays open, as with Broker', async () => {
    const s = await setUp({});
    try {
      s.relay.frozen = true;
      await sleep(1200);
      assert.equal(s.client.isClosed, false);
    } finally {
      await s.stop();
    }
  });
});
