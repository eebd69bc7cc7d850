// A Broker-style WebSocket endpoint (JSON API v1) that peers connect to: it performs the
// subscription handshake, relays each peer's data messages to the other peers whose
// subscriptions match (as Broker does), and hands every message to its owner.
// It survives hostile input: malformed frames get Broker error messages, oversized
// frames and peers that never finish the handshake are disconnected, each with a log line.
// A peer that reads slowly or not at all does not make it hold everything sent to it: as
// Broker does for WebSocket clients, at most Broker::web_socket_buffer_size (8192) messages
// wait for it beyond its socket, and on overflow the oldest are dropped (the policy of
// Broker::web_socket_overflow_policy, drop_oldest by default), with one warning per episode.
//
// With `native`, the same port also accepts Broker's native peering (as Zeek's processes
// speak it): the first byte of a connection decides. 'G' (an HTTP GET) goes to the
// WebSocket server unchanged; 0x16 (a TLS ClientHello) is Broker's anonymous TLS, as Zeek
// uses by default (Broker::disable_ssl=F); anything else is native Broker over plain TCP
// (disable_ssl=T). A native peering becomes a Peer like a WebSocket one: its
// subscriptions are the other side's filter (kept current from its routing updates), and
// data sent to it is encoded natively, so relaying, 'message'/'event' and the owners'
// checks are the same for both wire formats. When the WebSocket side itself uses TLS
// (`tls`), 0x16 stays with it and native peers must use plain TCP.

import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import * as nodeTls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, RawData } from 'ws';
import { BrokerData } from '../broker/data';
import { WireError } from '../broker/errors';
import { eventFromData, eventToData, ZeekEvent } from '../broker/event';
import { DecodeLimits, DEFAULT_LIMITS } from '../broker/json-codec';
import { KnownTexts } from '../broker/json-encode';
import {
  DataMessage, encodeAck, encodeDataMessage, encodeDataMessageParts, encodeError, parseDataMessage, parseSubscriptions, WEBSOCKET_PATH,
} from '../broker/messages';
import { serverTlsOptions, ServerTlsSettings } from './tls';
import { EndpointId } from '../broker/native/endpoint-id';
import { KeepaliveOptions, NativePeer } from '../broker/native/peer';
import { BrokerTlsFiles, serverTlsOptions as brokerServerTlsOptions } from '../broker/native/tls';
import { topicMatches } from './topics';

export type LogFn = (level: 'debug' | 'info' | 'warning' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface EndpointServerOptions {
  host: string;
  port: number;
  /**
   * The endpoint id sent in the ack. Defaults to a fresh UUID. When it is a UUID, native
   * peers see it too (Broker's endpoint id); otherwise they see a random one (nativeEndpointId).
   */
  endpointId?: string;
  /** The version string sent in the ack. */
  version?: string;
  tls?: ServerTlsSettings;
  /** Largest accepted frame in bytes (default 16 MiB). */
  maxMessageBytes?: number;
  /** A peer that has not sent its subscriptions by then is closed (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Relay a peer's messages to other matching peers, as Broker does (default true). */
  relay?: boolean;
  maxDepth?: number;
  /** How messages for a peer that does not keep up are bounded (Broker's web_socket_buffer_size and _overflow_policy). */
  peerBuffer?: PeerBufferOptions;
  /**
   * Checked on each WebSocket upgrade request before it is accepted: null lets it in,
   * a text refuses it (HTTP 401, logged with that text), so the peer never gets to send a message.
   */
  authorize?: (req: http.IncomingMessage) => string | null;
  log?: LogFn;
  /**
   * Also accept native Broker peerings on this port; `filter` is the topic prefixes we
   * announce to native peers (what Broker calls our subscriptions). With `tls` certificate
   * files (Broker::ssl_*), a native peer must come over TLS and present a certificate the
   * files' CAs signed, as Broker requires then; plain-TCP native peerings are refused.
   */
  native?: { filter: string[]; tls?: boolean | BrokerTlsFiles; keepalive?: KeepaliveOptions };
}

export const BROKER_VERSION = '2.8.0-zeek-mgmt';

/** One peering, over either wire format. */
export interface Peer {
  readonly id: string;
  readonly wire: 'websocket' | 'native';
  /** Topic prefixes the peer subscribed to (for a native peer, its current filter). */
  subscriptions: string[];
  ready: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly appName: string | undefined;
  readonly open: boolean;
  /** A JSON text message; a native peer sends the data messages among them natively and drops the rest. */
  sendText(text: string): void;
  sendParts(parts: readonly string[]): void;
  send(topic: string, data: BrokerData): void;
  sendEvent(topic: string, ev: ZeekEvent): void;
  close(code?: number, reason?: string): void;
  /** Drops the connection at once. */
  terminate(): void;
}


/** Broker::web_socket_buffer_size: messages held at most for a peer that does not keep up. */
export const WEB_SOCKET_BUFFER_SIZE = 8192;

/**
 * Broker::web_socket_overflow_policy: what happens to a peer whose buffer is full.
 * drop_oldest (Zeek's default) and drop_newest lose messages, disconnect closes the peer.
 */
export type OverflowPolicy = 'drop_oldest' | 'drop_newest' | 'disconnect';

export interface PeerBufferOptions {
  /** Messages held beyond what the socket has taken (default WEB_SOCKET_BUFFER_SIZE). */
  size?: number;
  /** Bytes held at most, besides the messages' count (default 16 MiB); the newest message is always held. */
  maxBytes?: number;
  /** Default drop_oldest, as Zeek's. */
  policy?: OverflowPolicy;
  /** Called once per overflow episode (until the buffer is empty again). */
  onOverflow?: (peer: Peer, policy: OverflowPolicy) => void;
}

/** Bytes a peer's socket may hold unsent before further messages wait in the peer's buffer. */
const SOCKET_BYTES = 1024 * 1024;

type Outgoing = { text: string; bytes: number } | { buffers: Buffer[]; bytes: number };

export class WebSocketPeer implements Peer {
  readonly id = randomUUID();
  readonly wire = 'websocket' as const;
  subscriptions: string[] = [];
  ready = false;
  /**
   * Messages waiting for the socket: once the socket's own buffer is full (a peer that
   * reads slowly or not at all), further messages wait here, bounded as Broker bounds a
   * WebSocket client's buffer, instead of piling up in memory without limit.
   */
  private readonly queue: Outgoing[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private overflowing = false;
  /** Messages dropped (or, with the disconnect policy, not sent) because the buffer was full. */
  dropped = 0;
  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly appName: string | undefined,
    private readonly buffer: PeerBufferOptions = {},
  ) {}

  /** Messages waiting in the peer's buffer (not yet taken by the socket). */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * True when the socket holds SOCKET_BYTES or more not yet taken by the kernel (more than
   * its high-water mark, so 'drain' follows once it has written them). The socket's
   * 16 KB high-water mark itself is too low a bar: frames written in one turn of the
   * event loop are corked together, and a reading peer would then often look full.
   */
  private socketFull(): boolean {
    const tcp = this.tcp as (TcpSocket & { writableLength?: number }) | undefined;
    return (tcp?.writableLength ?? 0) >= SOCKET_BYTES;
  }

  /** True when a message must wait: the socket holds enough already, or earlier messages wait. */
  private mustWait(): boolean {
    return this.queue.length > 0 || this.socketFull();
  }

  private enqueue(item: Outgoing): void {
    const size = Math.max(1, this.buffer.size ?? WEB_SOCKET_BUFFER_SIZE);
    const maxBytes = this.buffer.maxBytes ?? 16 * 1024 * 1024;
    const policy = this.buffer.policy ?? 'drop_oldest';
    const full = (): boolean => this.queue.length >= size || (this.queue.length > 0 && this.queuedBytes + item.bytes > maxBytes);
    if (full()) {
      if (!this.overflowing) {
        this.overflowing = true;
        this.buffer.onOverflow?.(this, policy);
      }
      if (policy === 'disconnect') {
        this.dropped++;
        this.queue.length = 0;
        this.queuedBytes = 0;
        this.socket.terminate();
        return;
      }
      if (policy === 'drop_newest') {
        this.dropped++;
        return;
      }
      while (this.queue.length > 0 && full()) {
        this.queuedBytes -= this.queue.shift()!.bytes;
        this.dropped++;
      }
    }
    this.queue.push(item);
    this.queuedBytes += item.bytes;
    this.awaitDrain();
  }

  private awaitDrain(): void {
    const tcp = this.tcp as (TcpSocket & { once?: (ev: string, fn: () => void) => void }) | undefined;
    if (this.waitingForDrain || !tcp?.once) return;
    this.waitingForDrain = true;
    tcp.once('drain', () => {
      this.waitingForDrain = false;
      this.flush();
    });
  }

  /** Hands waiting messages to the socket until its buffer is full again. */
  private flush(): void {
    while (this.queue.length > 0 && this.open && !this.socketFull()) {
      const item = this.queue.shift()!;
      this.queuedBytes -= item.bytes;
      this.write(item);
    }
    if (this.queue.length === 0) this.overflowing = false;
    else if (this.open) this.awaitDrain();
  }

  private write(item: Outgoing): void {
    this.cork();
    if ('text' in item) this.socket.send(item.text);
    else for (const b of item.buffers) this.tcp!.write(b);
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  private corked = false;

  /**
   * Frames sent to this peer during one turn of the event loop leave in one write: the
   * TCP socket is corked on the first and uncorked once the turn is over. A busy
   * endpoint (a response broadcast to many peers per request) saves a system call per frame.
   */
  sendText(text: string): void {
    if (!this.open) return;
    const item = { text, bytes: text.length };
    if (this.mustWait()) this.enqueue(item);
    else this.write(item);
  }

  private get tcp(): TcpSocket | undefined {
    return (this.socket as unknown as { _socket?: TcpSocket })._socket;
  }

  private cork(): void {
    const tcp = this.tcp;
    if (tcp && !this.corked) {
      this.corked = true;
      tcp.cork();
      setImmediate(() => {
        this.corked = false;
        if (!tcp.destroyed) tcp.uncork();
      });
    }
  }

  /**
   * Sends one text message given as consecutive parts (encodeDataMessageParts): the same
   * single WebSocket frame, byte for byte, as sendText(parts.join('')), without ever
   * making that string. Each distinct part becomes one Buffer, written as often as it
   * occurs; the socket writes Buffers from where they are, so a message repeating one
   * large part N times holds that part once, not N times (as a string, and again as the
   * socket's copy of it). The frame is written at once (now, or from the peer's buffer when
   * the socket is full, as any message), as ws writes
   * its own, so no other frame can come between its pieces. Needs a connection without
   * extensions (the server negotiates none); otherwise, the parts are joined and sent.
   */
  sendParts(parts: readonly string[]): void {
    if (!this.open) return;
    const tcp = this.tcp;
    if (parts.length === 1 || !tcp || this.socket.extensions !== '') {
      this.sendText(parts.join(''));
      return;
    }
    const buffers: Buffer[] = new Array(parts.length);
    const large = new Map<string, Buffer>();
    let length = 0;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      let b = part.length >= 4096 ? large.get(part) : undefined;
      if (b === undefined) {
        b = Buffer.from(part, 'utf8');
        if (part.length >= 4096) large.set(part, b);
      }
      buffers[i] = b;
      length += b.length;
    }
    const item = { buffers: [textFrameHeader(length), ...buffers], bytes: length };
    if (this.mustWait()) this.enqueue(item);
    else this.write(item);
  }

  send(topic: string, data: BrokerData): void {
    this.sendText(encodeDataMessage(topic, data));
  }

  sendEvent(topic: string, ev: ZeekEvent): void {
    this.send(topic, eventToData(ev));
  }

  close(code = 1000, reason = ''): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** A native Broker peering seen as a Peer. */
export class NativeBrokerPeer implements Peer {
  readonly id = randomUUID();
  readonly wire = 'native' as const;
  subscriptions: string[];
  ready = true;
  readonly appName = undefined;
  constructor(readonly native: NativePeer, readonly remoteAddress: string, readonly remotePort: number) {
    this.subscriptions = [...native.remoteFilter];
    native.on('filter', (f: string[]) => { this.subscriptions = f; });
  }

  get open(): boolean {
    return !this.native.isClosed;
  }

  sendText(text: string): void {
    if (!this.open) return;
    let msg: DataMessage;
    try {
      msg = parseDataMessage(text, DEFAULT_LIMITS);
    } catch {
      return; // acks and errors are WebSocket API messages; Broker has no counterpart
    }
    this.send(msg.topic, msg.data);
  }

  sendParts(parts: readonly string[]): void {
    this.sendText(parts.join(''));
  }

  send(topic: string, data: BrokerData): void {
    if (!this.open) return;
    try {
      this.native.publish(topic, data);
    } catch {
      // closed in between, or a value the binary format cannot carry: nothing is sent
    }
  }

  sendEvent(topic: string, ev: ZeekEvent): void {
    this.send(topic, eventToData(ev));
  }

  close(): void {
    void this.native.unpeer();
  }

  terminate(): void {
    this.native.close('terminated');
  }
}

interface TcpSocket { cork(): void; uncork(): void; write(b: Buffer): boolean; destroyed?: boolean }

/** RFC 6455 header of a final, unmasked text frame (as a server sends it) of `length` payload bytes. */
export function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65536) return Buffer.from([0x81, 126, length >> 8, length & 0xff]);
  const h = Buffer.alloc(10);
  h[0] = 0x81;
  h[1] = 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}

export interface EndpointServerEvents {
  peer: [peer: Peer];
  message: [msg: DataMessage, peer: Peer];
  event: [ev: ZeekEvent, topic: string, peer: Peer];
  'peer-closed': [peer: Peer];
}

/** Answers a refused upgrade request and closes; a peer that does not close its side in a second is cut off. */
function refuse(sock: Duplex, response: string): void {
  sock.end(response);
  setTimeout(() => sock.destroy(), 1000).unref();
}

export class EndpointServer extends EventEmitter<EndpointServerEvents> {
  readonly endpointId: string;
  /** The endpoint id of every native peering on this port, as Broker has one per endpoint. */
  readonly nativeId: EndpointId;
  readonly peers = new Set<Peer>();
  private http?: http.Server | https.Server;
  /** With `native`: the listening server that sniffs each connection's first byte. */
  private front?: net.Server;
  private nativeTls?: nodeTls.Server;
  private readonly rawSockets = new Set<net.Socket>();
  private wss?: WebSocketServer;
  private readonly limits: DecodeLimits;
  private readonly log: LogFn;

  constructor(readonly options: EndpointServerOptions) {
    super();
    this.endpointId = options.endpointId ?? randomUUID();
    let nativeId: EndpointId;
    try {
      nativeId = EndpointId.parse(this.endpointId);
    } catch {
      nativeId = EndpointId.random();
    }
    this.nativeId = nativeId;
    this.limits = {
      maxDepth: options.maxDepth ?? DEFAULT_LIMITS.maxDepth,
      maxTextLength: options.maxMessageBytes ?? DEFAULT_LIMITS.maxTextLength,
    };
    this.log = options.log ?? (() => undefined);
  }

  get maxMessageBytes(): number {
    return this.options.maxMessageBytes ?? 16 * 1024 * 1024;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async listen(): Promise<AddressInfo> {
    // A client that never finishes its upgrade request's head is closed after the handshake timeout too.
    const handshakeMs = this.options.handshakeTimeoutMs ?? 10000;
    const httpOptions = { headersTimeout: handshakeMs, requestTimeout: handshakeMs, connectionsCheckingInterval: Math.min(1000, handshakeMs) };
    const server = this.options.tls ? https.createServer({ ...serverTlsOptions(this.options.tls), ...httpOptions }) : http.createServer(httpOptions);
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end(`WebSocket endpoint: ${WEBSOCKET_PATH}\n`);
    });
    server.on('tlsClientError', (err) => this.log('warning', `TLS handshake failed: ${err.message}`));
    server.on('clientError', (_err, sock) => sock.destroy());
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.maxMessageBytes });
    server.on('upgrade', (req, sock, head) => {
      // The socket is ours from here: a peer that resets it while being refused must not take the process down.
      sock.on('error', () => undefined);
      const url = (req.url ?? '').split('?')[0];
      const app = req.headers['x-application-name'];
      const appName = Array.isArray(app) ? app[0] : app;
      if (url !== WEBSOCKET_PATH) {
        this.log('warning', `rejected WebSocket upgrade for path ${url}`, { remote: req.socket.remoteAddress });
        refuse(sock, 'HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      if (appName !== undefined && !/^[-/_.=:*@a-zA-Z0-9]+$/.test(appName)) {
        this.log('warning', 'rejected WebSocket client with invalid X-Application-Name', { remote: req.socket.remoteAddress });
        refuse(sock, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        return;
      }
      const refusal = this.options.authorize?.(req) ?? null;
      if (refusal !== null) {
        this.log('warning', `refused connection from ${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}: ${refusal}`, { remote: req.socket.remoteAddress, port: req.socket.remotePort });
        refuse(sock, 'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, sock, head, (ws) => this.accept(ws, req.socket.remoteAddress ?? '', req.socket.remotePort ?? 0, appName));
    });
    this.http = server;
    this.wss = wss;
    const listening: net.Server = this.options.native ? this.sniffingFront(server) : server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(this.options.port, this.options.host, () => {
        listening.off('error', reject);
        resolve();
      });
    });
    return listening.address() as AddressInfo;
  }

  get address(): AddressInfo | undefined {
    return ((this.front ?? this.http)?.address() as AddressInfo | null) ?? undefined;
  }

  /** The TCP server for `native`: each connection goes to WebSocket, native TLS or native TCP by its first byte. */
  private sniffingFront(web: http.Server | https.Server): net.Server {
    const files = typeof this.options.native?.tls === 'object' ? this.options.native.tls : undefined;
    const tlsServer = nodeTls.createServer({ ...brokerServerTlsOptions(files), handshakeTimeout: this.options.handshakeTimeoutMs ?? 10000 });
    tlsServer.on('secureConnection', (sock: nodeTls.TLSSocket) => this.acceptNative(sock, files ? 'TLS with a verified certificate' : 'TLS'));
    tlsServer.on('tlsClientError', (err: Error, sock: nodeTls.TLSSocket) => {
      this.log('warning', `native Broker TLS handshake failed: ${err.message}`, { remote: sock.remoteAddress, port: sock.remotePort });
      sock.destroy();
    });
    this.nativeTls = tlsServer;
    const timeoutMs = this.options.handshakeTimeoutMs ?? 10000;
    const front = net.createServer((sock) => {
      this.rawSockets.add(sock);
      sock.on('close', () => this.rawSockets.delete(sock));
      const remote = { remote: sock.remoteAddress, port: sock.remotePort };
      const onError = (err: Error): void => this.log('warning', `connection error before the first byte: ${err.message}`, remote);
      const timer = setTimeout(() => {
        this.log('warning', 'connection sent nothing in time, closing', remote);
        sock.destroy();
      }, timeoutMs);
      timer.unref();
      sock.on('error', onError);
      sock.once('data', (chunk: Buffer) => {
        clearTimeout(timer);
        sock.pause();
        sock.off('error', onError);
        sock.unshift(chunk);
        const first = chunk[0];
        // The new owner attaches its listeners synchronously; the paused socket then flows
        // again, starting with the chunk read here. A TLS wrapper takes the pending chunk
        // and reads the socket's handle itself, so that socket must stay paused.
        if (first === 0x16) {
          (this.options.tls ? web : tlsServer).emit('connection', sock);
          return;
        }
        if (first === 0x47 /* 'G' */) web.emit('connection', sock);
        else if (files) {
          this.log('warning', 'refused native Broker peering over plain TCP: Broker::ssl_* certificates are set, so peers must use TLS', remote);
          sock.destroy();
          return;
        } else this.acceptNative(sock, 'TCP');
        sock.resume();
      });
    });
    front.on('error', (err) => this.log('error', `listener error: ${err.message}`));
    this.front = front;
    return front;
  }

  private acceptNative(sock: net.Socket, how: string): void {
    const remoteAddress = sock.remoteAddress ?? '';
    const remotePort = sock.remotePort ?? 0;
    sock.on('error', () => undefined); // NativePeer reports errors itself; never crash on one
    NativePeer.accept(sock, {
      id: this.nativeId,
      filter: [...(this.options.native?.filter ?? [])],
      handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? 10000,
      maxFrame: this.maxMessageBytes,
      keepalive: this.options.native?.keepalive,
    }).then((native) => {
      const peer = new NativeBrokerPeer(native, remoteAddress, remotePort);
      this.log('info', `native Broker peer ${native.remoteId.toString()} over ${how}`, { remote: remoteAddress, port: remotePort });
      this.peers.add(peer);
      native.on('data', (topic: string, data: BrokerData) => this.dispatch({ type: 'data-message', topic, data }, undefined, peer));
      native.on('malformed', (err: WireError) => this.log('warning', `discarded malformed native message: ${err.message}`, { peer: peer.id, remote: remoteAddress }));
      native.on('close', (reason: string) => {
        this.log('info', `native Broker peer closed: ${reason}`, { remote: remoteAddress, port: remotePort });
        if (this.peers.delete(peer)) this.emit('peer-closed', peer);
      });
      this.emit('peer', peer);
    }, (err: WireError) => {
      this.log('warning', `refused native Broker peering over ${how}: ${err.message}`, { remote: remoteAddress, port: remotePort });
    });
  }

  private accept(ws: WebSocket, remoteAddress: string, remotePort: number, appName: string | undefined): void {
    const peer = new WebSocketPeer(ws, remoteAddress, remotePort, appName, {
      ...this.options.peerBuffer,
      onOverflow: (p, policy) => {
        this.log('warning', `peer does not keep up: its buffer of ${this.options.peerBuffer?.size ?? WEB_SOCKET_BUFFER_SIZE} messages is full; ${policy === 'disconnect' ? 'disconnecting it' : policy === 'drop_newest' ? 'dropping new messages' : 'dropping the oldest messages'}`, { remote: p.remoteAddress, port: p.remotePort, app: p.appName });
        this.options.peerBuffer?.onOverflow?.(p, policy);
      },
    });
    this.peers.add(peer);
    const timer = setTimeout(() => {
      if (!peer.ready) {
        this.log('warning', 'peer did not complete the handshake in time, closing', { remote: remoteAddress, port: remotePort });
        peer.sendText(encodeError('peer_timeout', 'handshake not completed in time'));
        peer.close(1008, 'handshake timeout');
      }
    }, this.options.handshakeTimeoutMs ?? 10000);
    timer.unref();
    ws.on('message', (raw: RawData, isBinary: boolean) => this.receive(peer, raw, isBinary));
    ws.on('error', (err) => {
      // ws reports oversized frames and protocol violations here, then closes.
      this.log('warning', `connection error: ${err.message}`, { remote: remoteAddress, port: remotePort });
    });
    ws.on('close', () => {
      clearTimeout(timer);
      this.peers.delete(peer);
      if (peer.ready) this.emit('peer-closed', peer);
    });
  }

  private receive(peer: WebSocketPeer, raw: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.log('warning', 'binary frame rejected', { peer: peer.id });
      peer.sendText(encodeError('deserialization_failed', 'only JSON text messages are accepted'));
      return;
    }
    const text = raw.toString();
    if (!peer.ready) {
      try {
        peer.subscriptions = parseSubscriptions(text, this.limits);
      } catch (err) {
        const e = err as WireError;
        this.log('warning', `bad handshake: ${e.message}`, { remote: peer.remoteAddress });
        peer.sendText(encodeError(e.code ?? 'deserialization_failed', e.message));
        peer.close(1008, 'bad handshake');
        return;
      }
      peer.ready = true;
      peer.sendText(encodeAck(this.endpointId, this.options.version ?? BROKER_VERSION));
      this.emit('peer', peer);
      return;
    }
    let msg: DataMessage;
    try {
      msg = parseDataMessage(text, this.limits);
    } catch (err) {
      const e = err instanceof WireError ? err : new WireError('deserialization_failed', String(err));
      this.log('warning', `discarded malformed message: ${e.message}`, { peer: peer.id, remote: peer.remoteAddress });
      peer.sendText(encodeError(e.code, `input #1 rejected: ${e.message}`));
      return;
    }
    this.dispatch(msg, text, peer);
  }

  /** A data message from a peer: relayed, then handed to the owner. `text` is its JSON form when it came as one. */
  private dispatch(msg: DataMessage, text: string | undefined, peer: Peer): void {
    if (this.options.relay !== false) this.relay(msg.topic, text, peer, msg.data);
    this.emit('message', msg, peer);
    if (this.listenerCount('event') > 0) {
      let ev: ZeekEvent;
      try {
        ev = eventFromData(msg.data);
      } catch (err) {
        const e = err as WireError;
        this.log('warning', `discarded data message that is not a Zeek event: ${e.message}`, { peer: peer.id, topic: msg.topic });
        if (peer.wire === 'websocket') peer.sendText(encodeError('invalid_data', `not a Zeek event: ${e.message}`));
        return;
      }
      this.emit('event', ev, msg.topic, peer);
    }
  }

  private relay(topic: string, text: string | undefined, from: Peer | undefined, data: BrokerData): void {
    for (const p of this.peers) {
      if (p === from || !p.ready || !topicMatches(p.subscriptions, topic)) continue;
      if (p.wire === 'native') p.send(topic, data);
      else p.sendText(text ??= encodeDataMessage(topic, data));
    }
  }

  /**
   * Sends data to every peer subscribed to a prefix of `topic`. With `known` (shared
   * subtrees and their encoded texts, see json-encode's KnownTexts), the message is
   * encoded and sent in parts (Peer.sendParts): the same text, never made whole.
   */
  publish(topic: string, data: BrokerData, known?: KnownTexts): void {
    if (known === undefined || known.size === 0) {
      this.relay(topic, undefined, undefined, data);
      return;
    }
    let parts: string[] | undefined;
    for (const p of this.peers) {
      if (!p.ready || !topicMatches(p.subscriptions, topic)) continue;
      if (p.wire === 'native') {
        p.send(topic, data);
        continue;
      }
      parts ??= encodeDataMessageParts(topic, data, known);
      p.sendParts(parts);
    }
  }

  publishEvent(topic: string, ev: ZeekEvent, known?: KnownTexts): void {
    this.publish(topic, eventToData(ev), known);
  }

  async close(): Promise<void> {
    for (const p of this.peers) p.terminate();
    this.peers.clear();
    for (const s of this.rawSockets) s.destroy();
    if (this.front) await new Promise<void>((resolve) => this.front!.close(() => resolve()));
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => {
      if (!this.http) return resolve();
      this.http.close(() => resolve());
      this.http.closeAllConnections?.();
    });
  }
}
