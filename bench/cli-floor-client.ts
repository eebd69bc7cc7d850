// The floor of any node client of the controller, for bench:cli: the least a node process
// must do for a get-instances, and nothing else. It connects, upgrades to WebSocket,
// sends its subscription, waits for the ack, sends Management::Controller::API::
// get_instances_request, waits for the response carrying its reqid, prints the response's
// JSON text, does the closing handshake and exits; no settings, no parser, no codec, no
// checks beyond finding the reqid. With --pipelined the request goes out right behind
// the subscription instead of after the ack (Broker queues a client's messages behind its
// subscriptions; see bench/README.md).
//
// Usage: node dist/bench/cli-floor-client.js HOST:PORT [--pipelined]
//   (bench:cli appends its own `--controller HOST:PORT get-instances`; those are taken too)

import * as net from 'node:net';

const args = process.argv.slice(2);
const target = args.includes('--controller') ? args[args.indexOf('--controller') + 1] : args.find((a) => /:\d+$/.test(a));
if (target === undefined) {
  process.stderr.write('usage: cli-floor-client.js HOST:PORT [--pipelined]\n');
  process.exit(2);
}
const pipelined = args.includes('--pipelined');
const colon = target.lastIndexOf(':');
const host = target.slice(0, colon);
const port = Number(target.slice(colon + 1));
const topic = 'zeek/management/controller';
const reqid = `floor-${process.pid}-${Date.now()}`;

/** A masked client text frame (RFC 6455 5.2), mask from Math.random: enough for a bench. */
function frame(text: string, opcode = 0x1): Buffer {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, 0x80 | n]) : Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff]);
  const mask = Buffer.from([0, 0, 0, 0].map(() => Math.floor(Math.random() * 256)));
  for (let i = 0; i < n; i++) payload[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, payload]);
}

const str = (s: string): object => ({ '@data-type': 'string', data: s });
const subscription = frame(JSON.stringify([topic]));
const request = frame(JSON.stringify({
  type: 'data-message',
  topic,
  '@data-type': 'vector',
  data: [
    { '@data-type': 'count', data: 1 },
    { '@data-type': 'count', data: 1 },
    { '@data-type': 'vector', data: [str('Management::Controller::API::get_instances_request'), { '@data-type': 'vector', data: [str(reqid)] }] },
  ],
}));

type Phase = 'upgrade' | 'ack' | 'response' | 'close' | 'done';
let phase: Phase = 'upgrade';
let received = Buffer.alloc(0);

/** The next complete unmasked server frame in `received`, taken out of it. */
function nextFrame(): { opcode: number; payload: Buffer } | null {
  if (received.length < 2) return null;
  let len = received[1] & 0x7f;
  let at = 2;
  if (len === 126) {
    if (received.length < 4) return null;
    len = received.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (received.length < 10) return null;
    len = Number(received.readBigUInt64BE(2));
    at = 10;
  }
  if (received.length < at + len) return null;
  const f = { opcode: received[0] & 0x0f, payload: received.subarray(at, at + len) };
  received = received.subarray(at + len);
  return f;
}

const socket = net.connect({ host, port });
socket.setNoDelay(true);
socket.once('connect', () => {
  socket.write(`GET /v1/messages/json HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.from(String(Math.random())).toString('base64').slice(0, 22)}==\r\n\r\n`);
});
socket.on('data', (d: Buffer) => {
  received = Buffer.concat([received, d]);
  if (phase === 'upgrade') {
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) return;
    if (!received.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) fail(`no upgrade: ${received.toString('latin1')}`);
    received = received.subarray(end + 4);
    phase = 'ack';
    socket.write(pipelined ? Buffer.concat([subscription, request]) : subscription);
  }
  for (let f = nextFrame(); f !== null; f = nextFrame()) {
    // Zeek 8's WebSocket server (ixwebsocket) pings its clients: answered, and read past.
    if (f.opcode === 0x9) {
      socket.write(frame(f.payload.toString('utf8'), 0xa));
      continue;
    }
    if (f.opcode === 0xa) continue;
    const text = f.payload.toString('utf8');
    if (phase === 'ack') {
      if (!text.includes('"type":"ack"')) fail(`expected the ack, got ${text}`);
      phase = 'response';
      if (!pipelined) socket.write(request);
    } else if (phase === 'response' && f.opcode === 0x1 && text.includes(reqid)) {
      process.stdout.write(`${text}\n`);
      phase = 'close';
      socket.write(frame('', 0x8));
    } else if (phase === 'close' && f.opcode === 0x8) {
      phase = 'done';
      socket.end();
    }
  }
});
socket.on('error', (err) => fail(err.message));
socket.on('close', () => {
  if (phase !== 'done') fail(`connection closed during ${phase}`);
});

function fail(why: string): never {
  process.stderr.write(`cli-floor-client: ${why}\n`);
  process.exit(1);
}
