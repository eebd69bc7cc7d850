// The client WebSocket (sdk/transport/websocket-socket.ts) against real servers: the
// ws-based EndpointServer and ws's own WebSocketServer (multi-MB messages both ways,
// fragmented messages, ping, closing handshakes from either side, oversized messages,
// TLS with and without client certificates), and a raw TCP server that writes the bytes
// a broken or hostile server might (bad upgrade responses, masked or reserved-bit frames,
// invalid UTF-8, frames split byte by byte, data in the same write as the 101 response).

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { WebSocketServer, WebSocket as WsSocket } from 'ws';
import { B } from '../sdk/broker/data';
import { WireError } from '../sdk/broker/errors';
import { eventToData } from '../sdk/broker/event';
import { EndpointClient, ConnectError } from '../sdk/transport/endpoint-client';
import { EndpointServer, Peer, WebSocketPeer } from '../sdk/transport/endpoint-server';
import { clientTlsOptions } from '../sdk/transport/tls';
import { ClientWebSocket, ClientWebSocketOptions, WebSocketProtocolError } from '../sdk/transport/websocket-socket';
import { makeTestCerts, TestCerts } from './helpers/certs';

const PATH = '/v1/messages/json';
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const until = async (cond: () => boolean, what: string, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not in time`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A socket's life: its messages, its error and its close, recorded. */
interface Recorded {
  ws: ClientWebSocket;
  messages: Array<string | Buffer>;
  errors: Error[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
}

function open(opts: Partial<ClientWebSocketOptions> & { port: number }): Recorded {
  const ws = new ClientWebSocket({ host: '127.0.0.1', path: PATH, ...opts });
  const messages: Array<string | Buffer> = [];
  const errors: Error[] = [];
  ws.on('message', (m) => messages.push(m));
  ws.on('error', (e) => errors.push(e));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error(`closed before open: ${errors.map((e) => e.message).join('; ')}`)));
  });
  opened.catch(() => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason })));
  return { ws, messages, errors, opened, closed };
}

/** A big text with multi-byte characters spread through it. */
function bigText(bytes: number): string {
  const unit = 'zeek-mgmt ünï©ødé 😀 ';
  return unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit))).slice(0, bytes);
}

describe('ClientWebSocket against ws servers', function () {
  this.timeout(30000);
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function wsServer(opts: { maxPayload?: number } = {}): Promise<{ wss: WebSocketServer; port: number; conns: WsSocket[] }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: opts.maxPayload ?? 64 * 1024 * 1024 });
    await new Promise((r) => wss.once('listening', r));
    const conns: WsSocket[] = [];
    wss.on('connection', (c) => conns.push(c));
    cleanups.push(() => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }));
    return { wss, port: (wss.address() as net.AddressInfo).port, conns };
  }

  async function endpoint(opts: Partial<ConstructorParameters<typeof EndpointServer>[0]> = {}): Promise<{ server: EndpointServer; port: number; peers: Peer[] }> {
    const server = new EndpointServer({ host: '127.0.0.1', port: 0, ...opts });
    const { port } = await server.listen();
    const peers: Peer[] = [];
    server.on('peer', (p) => peers.push(p));
    cleanups.push(() => server.close());
    return { server, port, peers };
  }

  it('EndpointClient <-> EndpointServer: 12 MB messages both ways, exact, multi-byte text intact', async () => {
    const { server, port } = await endpoint();
    const client = await EndpointClient.connect({ host: '127.0.0.1', port, topics: ['big'], attempts: 1 });
    cleanups.push(() => client.close());
    const text = bigText(12 * 1024 * 1024);
    const atServer: string[] = [];
    server.on('message', (m) => atServer.push(m.data.type === 'string' ? m.data.value : '?'));
    client.publish('big/up', B.str(text));
    await until(() => atServer.length === 1, 'the upload');
    assert.ok(atServer[0] === text, 'the server got the text unchanged');
    const atClient: string[] = [];
    client.on('message', (m) => atClient.push(m.data.type === 'string' ? m.data.value : '?'));
    server.publish('big/down', B.str(text + 'ß'));
    await until(() => atClient.length === 1, 'the download');
    assert.ok(atClient[0] === text + 'ß', 'the client got the text unchanged');
  });

  it('many messages in a row arrive in order, small and large mixed (16-bit and 64-bit lengths)', async () => {
    const { wss, port } = await wsServer();
    const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70000, 3, 300000];
    wss.on('connection', (c) => { for (const n of sizes) c.send('x'.repeat(n)); });
    const r = open({ port });
    cleanups.push(() => r.ws.terminate());
    await until(() => r.messages.length === sizes.length, 'all messages');
    assert.deepEqual(r.messages.map((m) => (m as string).length), sizes);
    // and the other way: the server unmasks what the client masked
    const got: string[] = [];
    wss.clients.forEach((c) => c.on('message', (m, isBinary) => got.push(isBinary ? 'binary' : m.toString())));
    for (const n of sizes) r.ws.sendText('y'.repeat(n) + '€');
    r.ws.sendBinary(Buffer.from([0, 255]));
    await until(() => got.length === sizes.length + 1, 'all echoes');
    assert.deepEqual(got.slice(0, -1).map((m) => m.length), sizes.map((n) => n + 1));
    assert.ok(got.slice(0, -1).every((m) => /^y*€$/.test(m)));
    assert.equal(got[sizes.length], 'binary');
  });

  it('fragmented messages, with a ping between the fragments and a character split across them', async () => {
    const { wss, port } = await wsServer();
    const pongs: string[] = [];
    wss.on('connection', (c) => {
      c.on('pong', (d) => pongs.push(d.toString()));
      const bytes = Buffer.from('fragmented: ü😀 end', 'utf8');
      const cut = bytes.indexOf(Buffer.from('😀')) + 2; // inside the emoji
      c.send(bytes.subarray(0, 5), { fin: false, binary: false });
      c.ping('between');
      c.send(bytes.subarray(5, cut), { fin: false });
      c.send(bytes.subarray(cut), { fin: true });
      c.send(Buffer.from([1, 2]), { binary: true, fin: false });
      c.send(Buffer.from([3]), { binary: true, fin: true });
    });
    const r = open({ port });
    cleanups.push(() => r.ws.terminate());
    await until(() => r.messages.length === 2 && pongs.length === 1, 'the messages and the pong');
    assert.equal(r.messages[0], 'fragmented: ü😀 end');
    assert.deepEqual(r.messages[1], Buffer.from([1, 2, 3]));
    assert.deepEqual(pongs, ['between']);
  });

  it('ping is answered with pong carrying the same data', async () => {
    const { wss, port } = await wsServer();
    const pongs: Buffer[] = [];
    wss.on('connection', (c) => {
      c.on('pong', (d) => pongs.push(d));
      c.ping(Buffer.from([9, 8, 7]));
      c.ping();
    });
    const r = open({ port });
    cleanups.push(() => r.ws.terminate());
    await until(() => pongs.length === 2, 'two pongs');
    assert.deepEqual(pongs, [Buffer.from([9, 8, 7]), Buffer.alloc(0)]);
  });

  it('the server closes: its code and reason reach the close event; the closing handshake completes', async () => {
    const { peers, port } = await endpoint();
    const client = await EndpointClient.connect({ host: '127.0.0.1', port, topics: [], attempts: 1 });
    const closed = new Promise<[number, string]>((r) => client.once('close', (code, reason) => r([code, reason])));
    await until(() => peers.length === 1, 'the peer');
    const serverSaw = new Promise<number>((r) => (peers[0] as WebSocketPeer).socket.once('close', (code: number) => r(code)));
    peers[0].close(1008, 'go away ✋');
    assert.deepEqual(await closed, [1008, 'go away ✋']);
    assert.equal(await serverSaw, 1008, 'the server got our echo of its close frame');
    assert.equal(client.isOpen, false);
    assert.throws(() => client.publish('t', B.none()), ConnectError);
  });

  it('the server closes without a code: 1005; the server ends the TCP connection: 1006', async () => {
    const { wss, port } = await wsServer();
    let n = 0;
    wss.on('connection', (c) => (n++ === 0 ? c.close() : c.terminate()));
    const a = open({ port });
    assert.deepEqual(await a.closed, { code: 1005, reason: '' });
    const b = open({ port });
    assert.deepEqual(await b.closed, { code: 1006, reason: '' });
    assert.deepEqual([a.errors, b.errors], [[], []]);
  });

  it('the client closes: the server sees the code and reason, the client its echo', async () => {
    const { wss, port } = await wsServer();
    const seen = new Promise<[number, string]>((r) => wss.on('connection', (c) => c.on('close', (code, reason) => r([code, reason.toString()]))));
    const r = open({ port });
    await r.opened;
    r.ws.close(4001, 'done');
    assert.equal(r.ws.readyState, ClientWebSocket.CLOSING);
    assert.deepEqual(await seen, [4001, 'done']);
    assert.deepEqual(await r.closed, { code: 4001, reason: 'done' });
    assert.equal(r.ws.readyState, ClientWebSocket.CLOSED);
    assert.doesNotThrow(() => r.ws.sendText('dropped after close'));
  });

  it('an oversized message from the server fails the connection with 1009 before it is buffered', async () => {
    const { wss, port } = await wsServer();
    const serverSaw = new Promise<number>((r) => wss.on('connection', (c) => {
      c.on('close', (code) => r(code));
      c.send('small');
      c.send('z'.repeat(1024 * 1024 + 1));
      c.send('never delivered');
    }));
    const r = open({ port, maxPayload: 1024 * 1024 });
    await r.closed;
    assert.deepEqual(r.messages, ['small']);
    assert.ok(r.errors[0] instanceof WebSocketProtocolError && r.errors[0].closeCode === 1009, String(r.errors[0]));
    assert.match(r.errors[0].message, /exceeds the limit of 1048576 bytes/);
    assert.equal(await serverSaw, 1009);
  });

  it('the limit counts a fragmented message as a whole; exactly the limit is accepted', async () => {
    const { wss, port } = await wsServer();
    wss.on('connection', (c) => {
      c.send('a'.repeat(1000), { fin: true });
      c.send('b'.repeat(600), { fin: false });
      c.send('b'.repeat(600), { fin: true });
    });
    const r = open({ port, maxPayload: 1000 });
    const { code } = await r.closed;
    assert.equal(code, 1006); // failed by us: the server's echo is not read (RFC 6455 7.1.7)
    assert.deepEqual(r.messages.map((m) => m.length), [1000]);
    assert.equal((r.errors[0] as WebSocketProtocolError).closeCode, 1009);
  });

  it('EndpointClient: an oversized message from the server closes it; other clients are unaffected', async () => {
    const { server, port } = await endpoint();
    const small = await EndpointClient.connect({ host: '127.0.0.1', port, topics: ['t'], attempts: 1, maxMessageBytes: 64 * 1024 });
    const big = await EndpointClient.connect({ host: '127.0.0.1', port, topics: ['t'], attempts: 1 });
    cleanups.push(() => big.close());
    const closed = new Promise<number>((r) => small.once('close', (code) => r(code)));
    const got: number[] = [];
    big.on('message', (m) => got.push(m.data.type === 'string' ? m.data.value.length : -1));
    server.publish('t/x', B.str('q'.repeat(100 * 1024)));
    assert.equal(await closed, 1006);
    await until(() => got.length === 1, 'the other client got it');
    assert.equal(got[0], 100 * 1024);
  });

  it('X-Application-Name reaches the server; a header value with CR/LF is refused before connecting', async () => {
    const { peers, port } = await endpoint();
    const c = await EndpointClient.connect({ host: '127.0.0.1', port, topics: [], attempts: 1, appName: 'zeek-mgmt/test' });
    cleanups.push(() => c.close());
    await until(() => peers.length === 1, 'the peer');
    assert.equal(peers[0].appName, 'zeek-mgmt/test');
    assert.throws(() => new ClientWebSocket({ host: '127.0.0.1', port, path: PATH, headers: { 'X-Application-Name': 'a\r\nX-Evil: 1' } }), /invalid character in the value of header X-Application-Name/);
    await assert.rejects(EndpointClient.connect({ host: '127.0.0.1', port, topics: [], attempts: 3, retryDelayMs: 10, appName: 'a\nb' }),
      (err: Error) => err instanceof ConnectError && /websocket error with 127\.0\.0\.1:\d+: invalid character/.test(err.message));
  });

  it('handshake failures: wrong path (404), refused connection, nothing listening after retries', async () => {
    const { port } = await endpoint();
    const r = open({ port, path: '/v2/other' });
    await r.closed;
    assert.match(r.errors[0]?.message ?? '', /Unexpected server response: 404/);
    const probe = net.createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', () => res()));
    const freePort = (probe.address() as net.AddressInfo).port;
    await new Promise((res) => probe.close(res));
    const refused = open({ port: freePort });
    assert.equal((await refused.closed).code, 1006);
    assert.equal((refused.errors[0] as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    const retries: number[] = [];
    await assert.rejects(
      EndpointClient.connect({ host: '127.0.0.1', port: freePort, topics: [], attempts: 3, retryDelayMs: 10, onRetry: (n) => retries.push(n) }),
      /failed after 3 attempt\(s\): connect ECONNREFUSED/,
    );
    assert.deepEqual(retries, [1, 2]);
  });

  it('IPv6 loopback, where the machine has it', async function () {
    const server = new EndpointServer({ host: '::1', port: 0 });
    try {
      await server.listen();
    } catch {
      this.skip();
    }
    cleanups.push(() => server.close());
    const c = await EndpointClient.connect({ host: '::1', port: server.address!.port, topics: [], attempts: 1 });
    assert.equal(c.url, `ws://[::1]:${server.address!.port}/v1/messages/json`);
    await c.close();
  });
});

describe('ClientWebSocket over TLS', function () {
  this.timeout(30000);
  let certs: TestCerts;
  before(() => {
    certs = makeTestCerts();
  });
  after(() => fs.rmSync(certs.dir, { recursive: true, force: true }));

  it('without a client certificate (server not verified): a 5 MB round trip', async () => {
    const server = new EndpointServer({ host: '127.0.0.1', port: 0, tls: { certificate: certs.serverCert, keyfile: certs.serverKey } });
    const { port } = await server.listen();
    try {
      const c = await EndpointClient.connect({ host: '127.0.0.1', port, topics: ['t'], tls: {}, attempts: 1 });
      const text = bigText(5 * 1024 * 1024);
      const back: string[] = [];
      c.on('message', (m) => back.push(m.data.type === 'string' ? m.data.value : '?'));
      server.on('message', (m) => server.publish('t/back', m.data));
      c.publish('t/up', B.str(text));
      await until(() => back.length === 1, 'the echo');
      assert.ok(back[0] === text);
      await c.close();
      // a plain ws:// client cannot talk to it
      await assert.rejects(EndpointClient.connect({ host: '127.0.0.1', port, topics: [], attempts: 1 }));
    } finally {
      await server.close();
    }
  });

  it('with a client certificate: required by the server, and the server verified against the CA', async () => {
    const server = new EndpointServer({ host: '127.0.0.1', port: 0, tls: { certificate: certs.serverCert, keyfile: certs.serverKey, cafile: certs.caCert } });
    const { port } = await server.listen();
    try {
      await assert.rejects(EndpointClient.connect({ host: '127.0.0.1', port, topics: [], tls: {}, attempts: 1 }));
      const c = await EndpointClient.connect({
        host: '127.0.0.1', port, topics: [], attempts: 1, tls: { certificate: certs.clientCert, keyfile: certs.clientKey, cafile: certs.caCert },
      });
      assert.ok(c.url.startsWith('wss://') && c.isOpen);
      await c.close();
      // verification is on: a CA that did not sign the server's certificate is refused
      const r = open({ port, tls: { ...clientTlsOptions({ certificate: certs.clientCert, keyfile: certs.clientKey, cafile: certs.clientCert }) } });
      await r.closed;
      assert.match(r.errors[0]?.message ?? '', /certificate|self.signed|issuer/i);
    } finally {
      await server.close();
    }
  });
});

// ---- a raw server: the bytes a broken or hostile server may send ---------------------

interface RawConn { sock: net.Socket; key: string; request: string; received: Buffer[] }

async function rawServer(onUpgrade: (c: RawConn) => void, opts: { allowHalfOpen?: boolean } = {}): Promise<{ port: number; conns: RawConn[]; close(): Promise<void> }> {
  const conns: RawConn[] = [];
  const server = net.createServer({ allowHalfOpen: opts.allowHalfOpen ?? false }, (sock) => {
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      const request = head.subarray(0, end).toString('latin1');
      const key = /^sec-websocket-key: (.*)$/im.exec(request)?.[1] ?? '';
      const c: RawConn = { sock, key, request, received: [] };
      sock.on('data', (x: Buffer) => c.received.push(x));
      conns.push(c);
      onUpgrade(c);
    };
    sock.on('data', onData);
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    conns,
    close: () => new Promise<void>((r) => {
      for (const c of conns) c.sock.destroy();
      server.close(() => r());
    }),
  };
}

const acceptFor = (key: string): string => createHash('sha1').update(key + GUID).digest('base64');
const upgrade = (key: string, extra = ''): string =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n${extra}\r\n`;

/** A server frame (unmasked unless `mask` is given). */
function frame(opcode: number, payload: Buffer | string, o: { fin?: boolean; rsv?: number; mask?: Buffer; length?: bigint } = {}): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const len = o.length ?? BigInt(p.length);
  const b0 = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode;
  const m = o.mask ? 0x80 : 0;
  let head: Buffer;
  if (len < 126n) head = Buffer.from([b0, m | Number(len)]);
  else if (len < 65536n) {
    head = Buffer.from([b0, m | 126, 0, 0]);
    head.writeUInt16BE(Number(len), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = m | 127;
    head.writeBigUInt64BE(len, 2);
  }
  if (!o.mask) return Buffer.concat([head, p]);
  const masked = Buffer.from(p.map((x, i) => x ^ o.mask![i & 3]));
  return Buffer.concat([head, o.mask, masked]);
}

/** The client's (masked) frames in `data`: opcode and unmasked payload. */
function clientFrames(data: Buffer): Array<{ opcode: number; payload: Buffer; masked: boolean }> {
  const out: Array<{ opcode: number; payload: Buffer; masked: boolean }> = [];
  let i = 0;
  while (i + 2 <= data.length) {
    const opcode = data[i] & 0x0f;
    const masked = (data[i + 1] & 0x80) !== 0;
    let len = data[i + 1] & 0x7f;
    i += 2;
    if (len === 126) {
      len = data.readUInt16BE(i);
      i += 2;
    } else if (len === 127) {
      len = Number(data.readBigUInt64BE(i));
      i += 8;
    }
    const mask = masked ? data.subarray(i, i + 4) : Buffer.alloc(4);
    if (masked) i += 4;
    out.push({ opcode, masked, payload: Buffer.from(data.subarray(i, i + len).map((x, k) => x ^ mask[k & 3])) });
    i += len;
  }
  return out;
}

describe('ClientWebSocket against a raw server', function () {
  this.timeout(20000);
  let server: Awaited<ReturnType<typeof rawServer>> | undefined;
  const sockets: ClientWebSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    await server?.close();
    server = undefined;
  });
  const client = (opts: Partial<ClientWebSocketOptions> = {}): Recorded => {
    const r = open({ port: server!.port, ...opts });
    sockets.push(r.ws);
    return r;
  };

  it('sends a well-formed upgrade request', async () => {
    server = await rawServer(() => undefined);
    client({ headers: { 'X-Application-Name': 'probe' } });
    await until(() => server!.conns.length === 1, 'the request');
    const req = server.conns[0].request;
    assert.match(req, /^GET \/v1\/messages\/json HTTP\/1\.1\r\n/);
    assert.match(req, new RegExp(`\\r\\nHost: 127\\.0\\.0\\.1:${server.port}(\\r\\n|$)`));
    for (const h of [/\r\nUpgrade: websocket/i, /\r\nConnection: Upgrade/i, /\r\nSec-WebSocket-Version: 13/, /\r\nX-Application-Name: probe/]) assert.match(req, h);
    assert.equal(Buffer.from(server.conns[0].key, 'base64').length, 16);
  });

  it('data in the same write as the 101 response, and a stream split byte by byte, are read correctly', async () => {
    const payloads = ['{"type":"ack"}', 'x'.repeat(200), 'y'.repeat(70000), 'é'];
    server = await rawServer((c) => {
      if (server!.conns.length === 1) {
        c.sock.write(Buffer.concat([Buffer.from(upgrade(c.key)), ...payloads.map((p) => frame(1, p))]));
        return;
      }
      const all = Buffer.concat([Buffer.from(upgrade(c.key)), frame(1, payloads[0]), frame(1, payloads[1]), frame(9, 'p'), frame(1, payloads[3])]);
      let i = 0;
      const step = (): void => {
        if (i < all.length && !c.sock.destroyed) {
          c.sock.write(all.subarray(i, ++i));
          setImmediate(step);
        }
      };
      step();
    });
    const a = client();
    await until(() => a.messages.length === 4, 'all at once');
    assert.deepEqual(a.messages, payloads);
    const b = client();
    await until(() => b.messages.length === 3, 'byte by byte');
    assert.deepEqual(b.messages, [payloads[0], payloads[1], payloads[3]]);
    await until(() => server!.conns[1].received.length > 0, 'the pong');
    assert.deepEqual(clientFrames(Buffer.concat(server.conns[1].received)).map((f) => [f.opcode, f.payload.toString(), f.masked]), [[0xa, 'p', true]]);
  });

  const badUpgrades: Array<[string, (key: string) => string, RegExp]> = [
    ['a wrong Sec-WebSocket-Accept', (k) => upgrade(k + 'x'), /Invalid Sec-WebSocket-Accept header/],
    ['no Sec-WebSocket-Accept', () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', /Invalid Sec-WebSocket-Accept header/],
    ['no Upgrade header', (k) => upgrade(k).replace('Upgrade: websocket\r\n', ''), /Invalid Upgrade header/],
    ['no Connection: Upgrade', (k) => upgrade(k).replace('Connection: Upgrade', 'Connection: keep-alive'), /Invalid Connection header/],
    ['a subprotocol nobody asked for', (k) => upgrade(k, 'Sec-WebSocket-Protocol: chat\r\n'), /subprotocol but none was requested/],
    ['an extension nobody asked for', (k) => upgrade(k, 'Sec-WebSocket-Extensions: permessage-deflate\r\n'), /Sec-WebSocket-Extensions header but no extension was requested/],
    ['a 503', () => 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n', /Unexpected server response: 503/],
    ['not HTTP', () => 'SSH-2.0-OpenSSH_9.6\r\n\r\n', /invalid HTTP response/],
    ['a head that never ends', () => `HTTP/1.1 101 OK\r\nX: ${'a'.repeat(20000)}`, /HTTP response head exceeds 16384 bytes/],
  ];
  for (const [name, response, error] of badUpgrades) {
    it(`refuses an upgrade response with ${name}`, async () => {
      server = await rawServer((c) => c.sock.write(response(c.key)));
      const r = client();
      assert.deepEqual(await r.closed, { code: 1006, reason: '' });
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0].message, error);
    });
  }

  it('a 503 is retried by EndpointClient, as zeek-client retries', async () => {
    server = await rawServer((c) => c.sock.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'));
    await assert.rejects(EndpointClient.connect({ host: '127.0.0.1', port: server.port, topics: [], attempts: 2, retryDelayMs: 10 }), /failed after 2 attempt\(s\): Unexpected server response: 503/);
    assert.equal(server.conns.length, 2);
  });

  it('a server that never answers the upgrade: the handshake times out (and EndpointClient retries)', async () => {
    server = await rawServer(() => undefined);
    const r = client({ handshakeTimeoutMs: 200 });
    const t0 = Date.now();
    await r.closed;
    assert.ok(Date.now() - t0 >= 190);
    assert.match(r.errors[0].message, /Opening handshake has timed out/);
    await assert.rejects(EndpointClient.connect({ host: '127.0.0.1', port: server.port, topics: [], attempts: 2, retryDelayMs: 10 }), /failed after 2 attempt\(s\): Opening handshake has timed out/);
  });

  const violations: Array<[string, Buffer, number, RegExp]> = [
    ['a masked frame', frame(1, 'hi', { mask: Buffer.from([1, 2, 3, 4]) }), 1002, /must not be masked/],
    ['RSV1 set', frame(1, 'hi', { rsv: 4 }), 1002, /RSV1, RSV2 and RSV3 must be clear/],
    ['RSV3 set', frame(1, 'hi', { rsv: 1 }), 1002, /RSV1, RSV2 and RSV3 must be clear/],
    ['opcode 3', frame(3, 'hi'), 1002, /invalid opcode 3/],
    ['opcode 0xB', frame(0xb, ''), 1002, /invalid opcode 11/],
    ['a continuation without a message', frame(0, 'hi'), 1002, /continuation frame without a message/],
    ['a new message inside a fragmented one', Buffer.concat([frame(1, 'a', { fin: false }), frame(1, 'b')]), 1002, /new message started inside a fragmented one/],
    ['a fragmented ping', frame(9, 'p', { fin: false }), 1002, /control frames must not be fragmented/],
    ['a ping of 126 bytes', frame(9, 'p'.repeat(126)), 1002, /control frame payload longer than 125 bytes/],
    ['invalid UTF-8 in a text message', frame(1, Buffer.from([0x68, 0xc3, 0x28])), 1007, /not valid UTF-8/],
    ['a lone surrogate encoded in a text message', frame(1, Buffer.from([0xed, 0xa0, 0x80])), 1007, /not valid UTF-8/],
    ['invalid UTF-8 split over fragments', Buffer.concat([frame(1, Buffer.from([0xe2, 0x82]), { fin: false }), frame(0, Buffer.from([0x41]))]), 1007, /not valid UTF-8/],
    ['a close frame of 1 byte', frame(8, Buffer.from([3])), 1002, /close frame payload of 1 byte/],
    ['a close frame with code 1005', frame(8, Buffer.from([0x03, 0xed])), 1002, /invalid close code 1005/],
    ['a close frame with code 999', frame(8, Buffer.from([0x03, 0xe7])), 1002, /invalid close code 999/],
    ['a close reason that is not UTF-8', frame(8, Buffer.from([0x03, 0xe8, 0xff])), 1007, /close reason is not valid UTF-8/],
    ['a length beyond 2^53', frame(1, '', { length: 2n ** 60n }), 1009, /exceeds 2\^53 - 1/],
  ];
  for (const [name, bytes, code, error] of violations) {
    it(`fails the connection on ${name}: error, close frame ${code}, socket closed`, async () => {
      server = await rawServer((c) => c.sock.write(Buffer.concat([Buffer.from(upgrade(c.key)), frame(1, 'before'), bytes, frame(1, 'after')])));
      const r = client();
      const closed = await r.closed;
      assert.deepEqual(r.messages, ['before']);
      assert.equal(r.errors.length, 1);
      assert.ok(r.errors[0] instanceof WebSocketProtocolError, String(r.errors[0]));
      assert.match(r.errors[0].message, error);
      assert.equal(r.errors[0].closeCode, code);
      assert.equal(closed.code, 1006);
      await until(() => server!.conns[0].received.length > 0, 'the close frame');
      const frames = clientFrames(Buffer.concat(server!.conns[0].received));
      assert.deepEqual(frames.map((f) => [f.opcode, f.payload.length >= 2 ? f.payload.readUInt16BE(0) : -1, f.masked]), [[8, code, true]]);
    });
  }

  it('a server close frame is echoed with its code, then the connection ends', async () => {
    server = await rawServer((c) => c.sock.write(Buffer.concat([Buffer.from(upgrade(c.key)), frame(8, Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('bye')])), frame(1, 'ignored')])));
    const r = client();
    assert.deepEqual(await r.closed, { code: 4001, reason: 'bye' });
    assert.deepEqual(r.messages, []);
    const frames = clientFrames(Buffer.concat(server.conns[0].received));
    assert.deepEqual(frames.map((f) => [f.opcode, f.payload.readUInt16BE(0), f.payload.subarray(2).toString()]), [[8, 4001, 'bye']]);
  });

  it('the client closes and the server answers but keeps its TCP end open: the client closes the connection itself', async () => {
    server = await rawServer((c) => {
      c.sock.write(upgrade(c.key));
      // Answer the client's close frame, then leave the TCP connection open (no end(), not even when the client's end arrives).
      c.sock.on('data', () => {
        if (clientFrames(Buffer.concat(c.received)).some((f) => f.opcode === 8)) c.sock.write(frame(8, Buffer.from([0x03, 0xe8])));
      });
    }, { allowHalfOpen: true });
    const r = client();
    await r.opened;
    const serverSawEnd = new Promise<void>((resolve) => server!.conns[0].sock.once('end', () => resolve()));
    r.ws.close(1000);
    // Well before the 30 s a close frame waits for the server (the test's timeout is 20 s).
    assert.deepEqual(await r.closed, { code: 1000, reason: '' });
    await serverSawEnd;
  });

  it('close() before the connection is open aborts it with an error; sendText then throws', async () => {
    server = await rawServer(() => undefined);
    const r = client();
    assert.throws(() => r.ws.sendText('x'), /not open: readyState 0/);
    r.ws.close();
    await r.closed;
    assert.match(r.errors[0].message, /closed before the connection was established/);
  });
});

describe('ClientWebSocket: text messages piece by piece (streamText), and EndpointClient with a streaming reader', function () {
  this.timeout(20000);
  let server: Awaited<ReturnType<typeof rawServer>> | undefined;
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await server?.close();
    server = undefined;
  });

  /** A client whose text messages are streamed: each message's pieces, and whether it ended. */
  function streamed(opts: Partial<ClientWebSocketOptions> & { maxMessageBytes?: number } = {}): Recorded & { streams: Array<{ pieces: string[]; ended: boolean }> } {
    const r = open({ port: server!.port, ...opts });
    cleanups.push(() => r.ws.terminate());
    const streams: Array<{ pieces: string[]; ended: boolean }> = [];
    r.ws.streamText({
      maxMessageBytes: opts.maxMessageBytes ?? 1024 * 1024,
      open: () => {
        const s = { pieces: [] as string[], ended: false };
        streams.push(s);
        return { write: (p) => s.pieces.push(p), end: () => { s.ended = true; } };
      },
    });
    return { ...r, streams };
  }

  it('a message reaches the sink as its bytes arrive, never a character split, before its last byte is sent', async () => {
    const text = bigText(100000);
    const bytes = Buffer.from(text, 'utf8');
    const whole = frame(1, bytes);
    let conn: RawConn | undefined;
    server = await rawServer((c) => {
      conn = c;
      c.sock.write(Buffer.concat([Buffer.from(upgrade(c.key)), whole.subarray(0, 30001)]));
    });
    const r = streamed();
    await until(() => r.streams.length === 1 && r.streams[0].pieces.join('').length > 0, 'the first pieces');
    await until(() => Buffer.byteLength(r.streams[0].pieces.join('')) >= 29980, 'the first 30 KB');
    assert.equal(r.streams[0].ended, false);
    // The rest, one byte at a time for a while (cutting multi-byte characters), then at once.
    for (let i = 30001; i < 30050; i++) conn!.sock.write(whole.subarray(i, i + 1));
    conn!.sock.write(whole.subarray(30050));
    await until(() => r.streams[0].ended, 'the end');
    assert.ok(r.streams[0].pieces.join('') === text);
    for (const p of r.streams[0].pieces) assert.ok(!/[\ud800-\udbff]$/.test(p) && !/^[\udc00-\udfff]/.test(p), 'a piece ends inside a character');
    assert.deepEqual(r.messages, []);
  });

  it('fragments with a ping between them make one message; binary messages still go to "message"; streamText(null) turns it off', async () => {
    const bytes = Buffer.from('fragmented: ü😀 end', 'utf8');
    const cut = bytes.indexOf(Buffer.from('😀')) + 2;
    server = await rawServer((c) => c.sock.write(Buffer.concat([
      Buffer.from(upgrade(c.key)),
      frame(1, bytes.subarray(0, 5), { fin: false }), frame(9, 'between'), frame(0, bytes.subarray(5, cut), { fin: false }), frame(0, bytes.subarray(cut)),
      frame(1, ''), frame(2, Buffer.from([1, 2])),
    ])));
    const r = streamed();
    await until(() => r.streams.length === 2 && r.streams[1].ended && r.messages.length === 1, 'the messages');
    assert.equal(r.streams[0].pieces.join(''), 'fragmented: ü😀 end');
    assert.equal(r.streams[0].ended, true);
    assert.deepEqual(r.streams[1].pieces, []);
    assert.deepEqual(r.messages, [Buffer.from([1, 2])]);
    await until(() => server!.conns[0].received.length > 0, 'the pong');
    assert.deepEqual(clientFrames(Buffer.concat(server.conns[0].received)).map((f) => [f.opcode, f.payload.toString()]), [[0xa, 'between']]);
    r.ws.streamText(null);
    server.conns[0].sock.write(frame(1, 'whole again'));
    await until(() => r.messages.length === 2, 'a message read whole');
    assert.equal(r.messages[1], 'whole again');
    assert.equal(r.streams.length, 2);
  });

  it('invalid UTF-8 fails the connection with 1007, and the message never ends', async () => {
    server = await rawServer((c) => c.sock.write(Buffer.concat([
      Buffer.from(upgrade(c.key)), frame(1, Buffer.from('ok'), { fin: false }), frame(0, Buffer.from([0xe2, 0x82]), { fin: false }), frame(0, Buffer.from([0x41])),
    ])));
    const r = streamed();
    await r.closed;
    assert.equal((r.errors[0] as WebSocketProtocolError).closeCode, 1007);
    assert.equal(r.streams[0].ended, false);
    // A character cut off by the message's end is invalid too.
    await server.close();
    server = await rawServer((c) => c.sock.write(Buffer.concat([Buffer.from(upgrade(c.key)), frame(1, Buffer.from([0x41, 0xe2, 0x82]))])));
    const r2 = streamed();
    await r2.closed;
    assert.equal((r2.errors[0] as WebSocketProtocolError).closeCode, 1007);
    assert.equal(r2.streams[0].ended, false);
  });

  it('streamed messages are bounded by maxMessageBytes (whole, over fragments) instead of maxPayload', async () => {
    server = await rawServer((c) => c.sock.write(Buffer.concat([
      Buffer.from(upgrade(c.key)), frame(1, 'a'.repeat(5000)), frame(1, 'b'.repeat(6000), { fin: false }), frame(0, 'b'.repeat(6000)), frame(1, 'never'),
    ])));
    const r = streamed({ maxPayload: 1000, maxMessageBytes: 10000 });
    await r.closed;
    assert.equal(r.streams[0].pieces.join(''), 'a'.repeat(5000));
    assert.equal(r.streams[0].ended, true);
    assert.equal(r.streams[1].ended, false);
    assert.equal(r.streams.length, 2);
    assert.equal((r.errors[0] as WebSocketProtocolError).closeCode, 1009);
    assert.match(r.errors[0].message, /at least 12000 bytes exceeds the limit of 10000 bytes/);
  });

  it('EndpointClient: a reader\'s message or text is delivered as a message read whole would be; its errors are protocol errors', async () => {
    const endpoint = new EndpointServer({ host: '127.0.0.1', port: 0 });
    const { port } = await endpoint.listen();
    cleanups.push(() => endpoint.close());
    const pieces: string[] = [];
    let mode: 'text' | 'message' | 'throw' = 'text';
    const client = await EndpointClient.connect({
      host: '127.0.0.1', port, topics: ['t'], attempts: 1,
      streamingReader: {
        maxMessageBytes: 1024 * 1024,
        open: () => {
          const parts: string[] = [];
          return {
            write: (p) => { parts.push(p); pieces.push(p); },
            end: () => {
              if (mode === 'throw') throw new WireError('deserialization_failed', 'the reader refused it');
              if (mode === 'text') return parts.join('');
              return { type: 'data-message', topic: 't/made', data: eventToData({ name: 'Made::by_reader', args: [B.str(parts.join('').length.toString())] }) };
            },
          };
        },
      },
    });
    cleanups.push(() => client.close());
    const events: string[] = [];
    const errors: string[] = [];
    client.on('event', (ev, topic) => events.push(`${topic} ${ev.name} ${ev.args[0]?.type === 'string' ? ev.args[0].value : ''}`));
    client.on('protocol-error', (e) => errors.push(e.message));
    endpoint.publishEvent('t/a', { name: 'Test::ev', args: [B.str('one')] });
    await until(() => events.length === 1, 'the first event');
    assert.equal(events[0], 't/a Test::ev one');
    assert.ok(pieces.join('').includes('"Test::ev"'));
    mode = 'message';
    endpoint.publishEvent('t/a', { name: 'Test::ev', args: [B.str('two')] });
    await until(() => events.length === 2, 'the second event');
    assert.match(events[1], /^t\/made Made::by_reader \d+$/);
    mode = 'throw';
    endpoint.publishEvent('t/a', { name: 'Test::ev', args: [B.str('three')] });
    await until(() => errors.length === 1, 'the protocol error');
    assert.deepEqual(errors, ['the reader refused it']);
    mode = 'text';
    endpoint.publishEvent('t/a', { name: 'Test::ev', args: [B.str('four')] });
    await until(() => events.length === 3, 'the connection still works');
    assert.equal(events[2], 't/a Test::ev four');
  });
});
