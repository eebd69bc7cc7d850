// A small Broker WebSocket (JSON API v1) client for emulated nodes: the WebSocket
// framing written directly on a TCP socket (RFC 6455 client side: masked frames out,
// text/continuation/ping/close in), the subscription handshake and Zeek events.
// It exists so that a node process need not load the `ws` package, http and zod: one
// emulated node per cluster node has to stay small.

import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { BrokerData } from '../../../sdk/broker/data';
import { eventFromData, eventToData, ZeekEvent } from '../../../sdk/broker/event';
import { decodeData, encodeDataFields, parseJsonText } from '../../../sdk/broker/json-codec';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const PATH = '/v1/messages/json';

export interface BrokerPeerEvents {
  ready: [];
  event: [ev: ZeekEvent, topic: string];
  close: [];
}

export class BrokerPeer extends EventEmitter<BrokerPeerEvents> {
  private sock: net.Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private upgraded = false;
  private acked = false;
  private fragments: Buffer[] = [];
  private key = '';

  constructor(readonly host: string, readonly port: number, readonly topics: string[], readonly appName = 'zeek-mgmt-node') {
    super();
  }

  get isReady(): boolean {
    return this.acked && this.sock !== null && !this.sock.destroyed;
  }

  connect(): void {
    this.buf = Buffer.alloc(0);
    this.upgraded = false;
    this.acked = false;
    this.fragments = [];
    this.key = randomBytes(16).toString('base64');
    const sock = net.connect({ host: this.host, port: this.port });
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on('connect', () => {
      sock.write(
        `GET ${PATH} HTTP/1.1\r\nHost: ${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}\r\n` +
        `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n` +
        `X-Application-Name: ${this.appName}\r\n\r\n`,
      );
    });
    sock.on('data', (d: Buffer) => this.receive(d));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.sock === sock) {
        this.sock = null;
        this.emit('close');
      }
    });
  }

  private fail(): void {
    this.sock?.destroy();
  }

  private receive(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    if (!this.upgraded) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.subarray(0, end).toString('latin1');
      this.buf = this.buf.subarray(end + 4);
      const accept = createHash('sha1').update(this.key + WS_GUID).digest('base64');
      if (!/^HTTP\/1\.1 101/.test(head) || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) return this.fail();
      this.upgraded = true;
      this.sendText(JSON.stringify(this.topics));
    }
    this.frames();
  }

  private frames(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const maskOff = off;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      let payload = this.buf.subarray(off, off + len);
      if (masked) {
        const mask = this.buf.subarray(maskOff, maskOff + 4);
        payload = Buffer.from(payload.map((x, i) => x ^ mask[i & 3]));
      }
      this.buf = this.buf.subarray(off + len);
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if (opcode === 0x8) {
        this.frame(0x8, Buffer.alloc(0));
        this.sock?.end();
        return;
      }
      if (opcode === 0x9) {
        this.frame(0xa, payload);
        continue;
      }
      if (opcode === 0xa) continue;
      if (opcode === 0x1 || opcode === 0x0) {
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const text = Buffer.concat(this.fragments).toString('utf8');
          this.fragments = [];
          this.message(text);
        }
      }
    }
  }

  private message(text: string): void {
    let json: unknown;
    try {
      json = parseJsonText(text);
    } catch {
      return;
    }
    const msg = json as { type?: string; topic?: string };
    if (!this.acked) {
      if (msg.type === 'ack') {
        this.acked = true;
        this.emit('ready');
      } else {
        this.fail();
      }
      return;
    }
    if (msg.type !== 'data-message' || typeof msg.topic !== 'string') return;
    let ev: ZeekEvent;
    try {
      ev = eventFromData(decodeData(json));
    } catch {
      return;
    }
    this.emit('event', ev, msg.topic);
  }

  private frame(opcode: number, payload: Buffer): void {
    if (!this.sock || this.sock.destroyed) return;
    const len = payload.length;
    const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    if (len < 126) head[1] = 0x80 | len;
    else if (len < 65536) {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    } else {
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    const mask = randomBytes(4);
    const body = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
    this.sock.write(Buffer.concat([head, mask, body]));
  }

  private sendText(text: string): void {
    this.frame(0x1, Buffer.from(text, 'utf8'));
  }

  publish(topic: string, data: BrokerData): void {
    this.sendText(`{"type":"data-message","topic":${JSON.stringify(topic)},${encodeDataFields(data)}}`);
  }

  publishEvent(topic: string, ev: ZeekEvent): void {
    this.publish(topic, eventToData(ev));
  }

  close(): void {
    if (this.sock && !this.sock.destroyed) {
      this.frame(0x8, Buffer.from([0x03, 0xe8]));
      this.sock.end();
    }
    this.sock = null;
  }
}
