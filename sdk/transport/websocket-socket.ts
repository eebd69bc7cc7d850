// The client side of a WebSocket connection (RFC 6455), written directly on a TCP or
// TLS socket: the HTTP/1.1 upgrade (with Sec-WebSocket-Accept verification), masked
// frames out, and in: text and binary messages (fragmented or not, UTF-8 checked, up to
// a maximum size), ping answered with pong, and the closing handshake. No extensions, no
// subprotocols: Broker's JSON API uses neither.
//
// It is what EndpointClient (the CLI, the controller client, agents) and the emulated
// nodes' BrokerPeer connect with. It exists so that a client does not load the `ws`
// package (with http, https, zlib and stream machinery), which is a large share of the
// CLI's start-up time and of every emulated node's. Servers keep using `ws`.
//
// Events follow the `ws` client's: 'open'; 'message' (text as a string, binary as a
// Buffer; text messages go to a TextMessageSink instead, piece by piece as they arrive,
// once streamText() is on, so that a very large message is never held whole); 'error' (failures before the connection is open, and protocol violations by
// the server, which also close the connection); 'close' (code, reason) exactly once, with
// the code of the server's close frame, 1005 when it had none, 1006 when none arrived.
// As with any EventEmitter, an 'error' without a listener throws: users must listen.

import { isUtf8 } from 'node:buffer';
import { fillRandom, randomBytes, sha1 } from './random';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { TextDecoder } from 'node:util';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Longest HTTP response head accepted (Node's http default). */
const MAX_RESPONSE_HEAD = 16 * 1024;
/** How long a sent close frame waits for the server's before the socket is destroyed. */
const CLOSE_TIMEOUT_MS = 30_000;

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;
export type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;

export interface ClientWebSocketOptions {
  host: string;
  port: number;
  /** The request path, e.g. /v1/messages/json. */
  path: string;
  /** wss: TLS with these node:tls options (certificates, verification); plain TCP when absent. */
  tls?: ConnectionOptions;
  /** Extra request headers, e.g. X-Application-Name. */
  headers?: Record<string, string>;
  /** Connecting plus the upgrade must finish within this (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Largest message accepted, in bytes (default 16 MiB); larger ones close the connection with 1009. */
  maxPayload?: number;
}

/**
 * Receives one text message in pieces, as its frames arrive (see ClientWebSocket.streamText).
 * Neither method may throw.
 */
export interface TextMessageSink {
  /** The next piece of the message's text; a character is never split between pieces. */
  write(piece: string): void;
  /** The message is complete (after its last piece; a message may have none). */
  end(): void;
}

export interface TextStreaming {
  /** The sink of each new text message. */
  open: () => TextMessageSink;
  /** Largest streamed text message, in bytes (it replaces maxPayload for them); larger ones close the connection with 1009. */
  maxMessageBytes: number;
}

export interface ClientWebSocketEvents {
  open: [];
  message: [data: string | Buffer, isBinary: boolean];
  error: [err: Error];
  close: [code: number, reason: string];
}

/** A violation of the protocol by the server; `closeCode` is the code the connection was failed with. */
export class WebSocketProtocolError extends Error {
  override readonly name = 'WebSocketProtocolError';
  constructor(message: string, readonly closeCode: number) {
    super(message);
  }
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_BAD = /[\r\n\0]/;

function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** XORs `buf` in place with the 4-byte `mask`, a word at a time where the buffer is aligned. */
function applyMask(buf: Buffer, mask: Buffer): void {
  const n = buf.length;
  let i = 0;
  if (n >= 32 && (buf.byteOffset & 3) === 0) {
    const words = new Uint32Array(buf.buffer, buf.byteOffset, n >>> 2);
    const m = new Uint32Array(Uint8Array.from(mask).buffer)[0]; // the mask bytes in native byte order
    for (let w = 0; w < words.length; w++) words[w] ^= m;
    i = words.length << 2;
  }
  for (; i < n; i++) buf[i] ^= mask[i & 3];
}

// Receiver phases.
const FRAME_HEAD = 0;
const LENGTH_16 = 1;
const LENGTH_64 = 2;
const PAYLOAD = 3;

export class ClientWebSocket extends EventEmitter<ClientWebSocketEvents> {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;

  readyState: ReadyState = CONNECTING;
  private readonly socket: net.Socket | TLSSocket;
  private readonly key = randomBytes(16).toString('base64');
  private readonly maxPayload: number;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private errorEmitted = false;

  // The HTTP response head, until the upgrade is done.
  private head: Buffer[] = [];
  private headLength = 0;

  // Received bytes not yet taken by the frame reader.
  private chunks: Buffer[] = [];
  private buffered = 0;
  private phase = FRAME_HEAD;
  private fin = false;
  private opcode = 0;
  private payloadLength = 0;
  // A fragmented message being received: its opcode (0: none), fragments and their size.
  private messageOpcode = 0;
  private fragments: Buffer[] = [];
  private fragmentsLength = 0;
  // Text messages piece by piece (streamText): the setting, and the message being streamed.
  private textStreaming: TextStreaming | null = null;
  /** The frame being read belongs to a streamed text message. */
  private frameStreams = false;
  private sink: TextMessageSink | null = null;
  private sinkDecoder: TextDecoder | null = null;
  private streamedLength = 0;
  /** No more frames are read: after a close frame or a protocol error. */
  private readingDone = false;

  private closeFrameSent = false;
  private closeFrameReceived = false;
  private closeCode = 1006;
  private closeReason = '';

  constructor(readonly options: ClientWebSocketOptions) {
    super();
    this.maxPayload = options.maxPayload ?? 16 * 1024 * 1024;
    const headers = options.headers ?? {};
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) throw new TypeError(`invalid HTTP header name ${JSON.stringify(name)}`);
      if (HEADER_VALUE_BAD.test(value)) throw new TypeError(`invalid character in the value of header ${name}`);
    }
    // A host may come bracketed, as in a URL ("[::1]").
    const host = options.host.startsWith('[') && options.host.endsWith(']') ? options.host.slice(1, -1) : options.host;
    const request = [
      `GET ${options.path} HTTP/1.1`,
      `Host: ${host.includes(':') ? `[${host}]` : host}:${options.port}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${this.key}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '', '',
    ].join('\r\n');

    if (options.tls) {
      // node:tls is loaded only for wss://.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const tls = require('node:tls') as typeof import('node:tls');
      this.socket = tls.connect({ servername: net.isIP(host) ? undefined : host, ...options.tls, host, port: options.port });
      this.socket.once('secureConnect', () => this.socket.write(request));
    } else {
      this.socket = net.connect({ host, port: options.port });
      this.socket.once('connect', () => this.socket.write(request));
    }
    const sock = this.socket;
    this.handshakeTimer = setTimeout(() => this.abortHandshake(Object.assign(new Error('Opening handshake has timed out'), { code: 'ETIMEDOUT' })), options.handshakeTimeoutMs ?? 10_000);
    sock.on('data', (d: Buffer) => (this.readyState === CONNECTING ? this.receiveHead(d) : this.receive(d)));
    sock.on('end', () => {
      // The server ended its side: end ours (allowHalfOpen is off) and read nothing more.
      this.readingDone = true;
      if (this.readyState === OPEN) this.readyState = CLOSING;
    });
    sock.on('error', (err: Error) => {
      // Before the upgrade, a socket error is the connection's error; after it, the
      // connection simply closes (1006), as with `ws`.
      if (this.readyState === CONNECTING) this.emitError(err);
      sock.destroy();
    });
    sock.on('close', () => {
      clearTimeout(this.handshakeTimer);
      clearTimeout(this.closeTimer);
      this.readyState = CLOSED;
      this.chunks = [];
      this.fragments = [];
      this.dropStream();
      this.emit('close', this.closeFrameReceived ? this.closeCode : 1006, this.closeFrameReceived ? this.closeReason : '');
    });
  }

  private emitError(err: Error): void {
    if (this.errorEmitted) return;
    this.errorEmitted = true;
    this.emit('error', err);
  }

  private abortHandshake(err: Error): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = CLOSING;
    this.readingDone = true;
    this.emitError(err);
    this.socket.destroy();
  }

  // ---- the upgrade ------------------------------------------------------------

  private receiveHead(d: Buffer): void {
    this.head.push(d);
    this.headLength += d.length;
    const all = this.head.length === 1 ? d : Buffer.concat(this.head, this.headLength);
    const end = all.indexOf('\r\n\r\n', Math.max(0, this.headLength - d.length - 3), 'latin1');
    if (end < 0) {
      if (this.headLength > MAX_RESPONSE_HEAD) this.abortHandshake(new Error(`the server's HTTP response head exceeds ${MAX_RESPONSE_HEAD} bytes`));
      else this.head = [all];
      return;
    }
    this.head = [];
    const lines = all.subarray(0, end).toString('latin1').split('\r\n');
    const rest = all.subarray(end + 4);
    const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]);
    if (!status) return this.abortHandshake(new Error(`invalid HTTP response from the server: ${JSON.stringify(lines[0].slice(0, 80))}`));
    if (status[1] !== '101') return this.abortHandshake(new Error(`Unexpected server response: ${status[1]}`));
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) return this.abortHandshake(new Error(`invalid HTTP header line from the server: ${JSON.stringify(line.slice(0, 80))}`));
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    const accept = sha1(Buffer.from(this.key + WS_GUID, 'latin1')).toString('base64');
    if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return this.abortHandshake(new Error('Invalid Upgrade header'));
    if (!(headers.get('connection') ?? '').split(',').some((t) => t.trim().toLowerCase() === 'upgrade')) {
      return this.abortHandshake(new Error('Invalid Connection header'));
    }
    if (headers.get('sec-websocket-accept') !== accept) return this.abortHandshake(new Error('Invalid Sec-WebSocket-Accept header'));
    if (headers.has('sec-websocket-protocol')) return this.abortHandshake(new Error('Server sent a subprotocol but none was requested'));
    if (headers.has('sec-websocket-extensions')) return this.abortHandshake(new Error('Server sent a Sec-WebSocket-Extensions header but no extension was requested'));

    clearTimeout(this.handshakeTimer);
    this.socket.setNoDelay(true);
    this.readyState = OPEN;
    this.emit('open');
    if (rest.length > 0 && this.readyState === OPEN) this.receive(rest);
  }

  // ---- receiving --------------------------------------------------------------

  private receive(d: Buffer): void {
    if (this.readingDone) return;
    this.chunks.push(d);
    this.buffered += d.length;
    this.readFrames();
  }

  /** Takes the next `n` buffered bytes (without copying when they lie in one chunk). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === first.length) {
      this.chunks.shift();
      return first;
    }
    if (n < first.length) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }

  private readFrames(): void {
    while (!this.readingDone) {
      if (this.phase === FRAME_HEAD) {
        if (this.buffered < 2) return;
        const h = this.take(2);
        if (!this.frameHead(h[0], h[1])) return;
      } else if (this.phase === LENGTH_16) {
        if (this.buffered < 2) return;
        this.payloadLength = this.take(2).readUInt16BE(0);
        if (!this.lengthAllowed()) return;
        this.phase = PAYLOAD;
      } else if (this.phase === LENGTH_64) {
        if (this.buffered < 8) return;
        const b = this.take(8);
        const high = b.readUInt32BE(0);
        if (high > 0x1fffff) {
          this.fail(1009, 'frame payload length exceeds 2^53 - 1');
          return;
        }
        this.payloadLength = high * 0x100000000 + b.readUInt32BE(4);
        if (!this.lengthAllowed()) return;
        this.phase = PAYLOAD;
      } else if (this.frameStreams) {
        // A streamed text message: whatever part of the payload is here goes on now.
        const n = Math.min(this.buffered, this.payloadLength);
        if (n > 0) {
          this.payloadLength -= n;
          this.streamedLength += n;
          if (!this.streamPiece(this.take(n))) return;
        }
        if (this.payloadLength > 0) return;
        this.phase = FRAME_HEAD;
        if (this.opcode !== 0x0) this.messageOpcode = this.opcode;
        if (this.fin) this.endStream();
      } else {
        if (this.buffered < this.payloadLength) return;
        const payload = this.payloadLength > 0 ? this.take(this.payloadLength) : Buffer.alloc(0);
        this.phase = FRAME_HEAD;
        this.frame(payload);
      }
    }
  }

  /** Checks the first two bytes of a frame; false when the connection was failed. */
  private frameHead(b0: number, b1: number): boolean {
    if ((b0 & 0x70) !== 0) return this.fail(1002, 'RSV1, RSV2 and RSV3 must be clear (no extension was negotiated)');
    this.fin = (b0 & 0x80) !== 0;
    this.opcode = b0 & 0x0f;
    const len = b1 & 0x7f;
    if (this.opcode === 0x0) {
      if (this.messageOpcode === 0) return this.fail(1002, 'continuation frame without a message to continue');
    } else if (this.opcode === 0x1 || this.opcode === 0x2) {
      if (this.messageOpcode !== 0) return this.fail(1002, 'new message started inside a fragmented one');
    } else if (this.opcode === 0x8 || this.opcode === 0x9 || this.opcode === 0xa) {
      if (!this.fin) return this.fail(1002, 'control frames must not be fragmented');
      if (len > 125) return this.fail(1002, 'control frame payload longer than 125 bytes');
    } else {
      return this.fail(1002, `invalid opcode ${this.opcode}`);
    }
    if ((b1 & 0x80) !== 0) return this.fail(1002, 'frames from a server must not be masked');
    this.frameStreams = (this.opcode === 0x1 && this.textStreaming !== null) || (this.opcode === 0x0 && this.sink !== null);
    if (this.opcode === 0x1 && this.frameStreams) {
      this.sink = this.textStreaming!.open();
      // fatal: invalid UTF-8 throws; ignoreBOM: a leading BOM stays part of the text, as with toString('utf8').
      this.sinkDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      this.streamedLength = 0;
    }
    if (len === 126) this.phase = LENGTH_16;
    else if (len === 127) this.phase = LENGTH_64;
    else {
      this.payloadLength = len;
      if (!this.lengthAllowed()) return false;
      this.phase = PAYLOAD;
    }
    return true;
  }

  /** A data frame's payload must keep its message within maxPayload (checked before it is buffered). */
  private lengthAllowed(): boolean {
    if (this.opcode >= 0x8) return true;
    const total = (this.frameStreams ? this.streamedLength : this.fragmentsLength) + this.payloadLength;
    const max = this.frameStreams ? this.textStreaming?.maxMessageBytes ?? this.maxPayload : this.maxPayload;
    if (total > max) return this.fail(1009, `message of at least ${total} bytes exceeds the limit of ${max} bytes`);
    return true;
  }

  /**
   * From now on, text messages go piece by piece to the sink `s.open()` gives for each,
   * instead of to 'message' (binary messages are unchanged); null turns that off. A
   * message already begun finishes the way it began.
   */
  streamText(s: TextStreaming | null): void {
    this.textStreaming = s;
  }

  /** Decodes a piece of a streamed message and hands it on; false when it was not UTF-8 (the connection is failed). */
  private streamPiece(bytes: Buffer): boolean {
    let piece: string;
    try {
      piece = this.sinkDecoder!.decode(bytes, { stream: true });
    } catch {
      return this.fail(1007, 'text message is not valid UTF-8');
    }
    if (piece.length > 0) this.sink!.write(piece);
    return true;
  }

  private endStream(): void {
    const sink = this.sink!;
    let rest: string;
    try {
      rest = this.sinkDecoder!.decode();
    } catch {
      this.fail(1007, 'text message is not valid UTF-8');
      return;
    }
    this.dropStream();
    this.messageOpcode = 0;
    if (rest.length > 0) sink.write(rest);
    sink.end();
  }

  private dropStream(): void {
    this.sink = null;
    this.sinkDecoder = null;
    this.frameStreams = false;
    this.streamedLength = 0;
  }

  private frame(payload: Buffer): void {
    const op = this.opcode;
    if (op === 0x8) return this.closeFrame(payload);
    if (op === 0x9) {
      if (this.readyState === OPEN) this.sendFrame(0xa, Buffer.from(payload));
      return;
    }
    if (op === 0xa) return;
    if (op !== 0x0) this.messageOpcode = op;
    if (!this.fin) {
      this.fragments.push(payload);
      this.fragmentsLength += payload.length;
      return;
    }
    const data = this.fragments.length === 0 ? payload : Buffer.concat([...this.fragments, payload], this.fragmentsLength + payload.length);
    const messageOp = this.messageOpcode;
    this.messageOpcode = 0;
    this.fragments = [];
    this.fragmentsLength = 0;
    if (messageOp === 0x2) {
      this.emit('message', data, true);
      return;
    }
    if (!isUtf8(data)) {
      this.fail(1007, 'text message is not valid UTF-8');
      return;
    }
    this.emit('message', data.toString('utf8'), false);
  }

  private closeFrame(payload: Buffer): void {
    let code = 1005;
    let reason = '';
    if (payload.length === 1) return void this.fail(1002, 'close frame payload of 1 byte');
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!validCloseCode(code)) return void this.fail(1002, `invalid close code ${code}`);
      const r = payload.subarray(2);
      if (!isUtf8(r)) return void this.fail(1007, 'close reason is not valid UTF-8');
      reason = r.toString('utf8');
    }
    this.readingDone = true;
    this.closeFrameReceived = true;
    this.closeCode = code;
    this.closeReason = reason;
    if (!this.closeFrameSent) {
      // The server began: our close frame answers it, and goes out before our end of the TCP connection.
      this.sendClose(code === 1005 ? undefined : code, reason);
      this.socket.end();
      return;
    }
    // We began and the server answered: the closing handshake is done, and RFC 6455 (7.1.1)
    // lets the client close the TCP connection now rather than wait for the server to close
    // its end (a round of the server's scheduling on every CLI command's way out).
    this.socket.destroy();
  }

  /** Fails the connection (RFC 6455 7.1.7): an 'error', a close frame with `code`, the socket ended. */
  private fail(code: number, message: string): false {
    this.readingDone = true;
    this.chunks = [];
    this.fragments = [];
    this.dropStream();
    this.emitError(new WebSocketProtocolError(message, code));
    if (!this.closeFrameSent) this.sendClose(code, '');
    this.socket.end();
    return false;
  }

  // ---- sending ----------------------------------------------------------------

  private sendFrame(opcode: number, payload: Buffer): void {
    const sock = this.socket;
    if (sock.destroyed || !sock.writable) return;
    const len = payload.length;
    const lengthBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
    const head = Buffer.allocUnsafe(2 + lengthBytes + 4);
    head[0] = 0x80 | opcode;
    if (lengthBytes === 0) head[1] = 0x80 | len;
    else if (lengthBytes === 2) {
      head[1] = 0x80 | 126;
      head.writeUInt16BE(len, 2);
    } else {
      head[1] = 0x80 | 127;
      head.writeUInt32BE(Math.floor(len / 0x100000000), 2);
      head.writeUInt32BE(len >>> 0, 6);
    }
    const mask = head.subarray(2 + lengthBytes);
    fillRandom(mask);
    applyMask(payload, mask);
    if (len < 16 * 1024) {
      sock.write(Buffer.concat([head, payload], head.length + len));
    } else {
      sock.cork();
      sock.write(head);
      sock.write(payload);
      sock.uncork();
    }
  }

  /** Sends text messages, in one write to the socket. Throws while connecting; once closing or closed, the texts are dropped. */
  sendTexts(texts: readonly string[]): void {
    if (this.readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    this.socket.cork();
    try {
      for (const text of texts) this.sendText(text);
    } finally {
      this.socket.uncork();
    }
  }

  /** Sends a text message. Throws while connecting; once closing or closed, the text is dropped. */
  sendText(text: string): void {
    if (this.readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (this.readyState !== OPEN) return;
    // Buffer.from gives a buffer of our own, masked in place.
    this.sendFrame(0x1, Buffer.from(text, 'utf8'));
  }

  /** Sends a binary message (tests of hostile input use it). */
  sendBinary(data: Uint8Array): void {
    if (this.readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (this.readyState !== OPEN) return;
    this.sendFrame(0x2, Buffer.from(data));
  }

  ping(data: Uint8Array = Buffer.alloc(0)): void {
    if (this.readyState !== OPEN) return;
    if (data.length > 125) throw new RangeError('a ping payload is at most 125 bytes');
    this.sendFrame(0x9, Buffer.from(data));
  }

  private sendClose(code: number | undefined, reason: string): void {
    this.closeFrameSent = true;
    let payload = Buffer.alloc(0);
    if (code !== undefined) {
      const r = Buffer.from(reason, 'utf8');
      payload = Buffer.allocUnsafe(2 + r.length);
      payload.writeUInt16BE(code, 0);
      r.copy(payload, 2);
    }
    this.sendFrame(0x8, payload);
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  /**
   * Starts the closing handshake: a close frame (with `code` and `reason` when a code is
   * given), then the socket is closed once the server's close frame arrives (or after 30 s).
   * Before the connection is open, it is aborted with an 'error'.
   */
  close(code?: number, reason = ''): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this.abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new RangeError(`close code ${code} is not one a client may send`);
    if (Buffer.byteLength(reason) > 123) throw new RangeError('a close reason is at most 123 bytes');
    this.readyState = CLOSING;
    if (this.closeFrameSent) return;
    this.sendClose(code, reason);
    if (this.closeFrameReceived) this.socket.end();
  }

  /** Drops the connection at once, without a closing handshake. */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this.abortHandshake(new Error('WebSocket was closed before the connection was established'));
      return;
    }
    this.readyState = CLOSING;
    this.readingDone = true;
    this.socket.destroy();
  }
}
