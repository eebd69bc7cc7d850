// A Broker-style WebSocket endpoint (JSON API v1) that peers connect to: it performs the
// subscription handshake, relays each peer's data messages to the other peers whose
// subscriptions match (as Broker does), and hands every message to its owner.
// It survives hostile input: malformed frames get Broker error messages, oversized
// frames and peers that never finish the handshake are disconnected, each with a log line.
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
import { NativePeer } from '../broker/native/peer';
import { serverTlsOptions as brokerServerTlsOptions } from '../broker/native/tls';
import { topicMatches } from './topics';

export type LogFn = (level: 'debug' | 'info' | 'warning' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface EndpointServerOptions {
  host: string;
  port: number;
  /** The endpoint id sent in the ack. Defaults to a fresh UUID. */
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
  log?: LogFn;
  /**
   * Also accept native Broker peerings on this port; `filter` is the topic prefixes we
   * announce to native peers (what Broker calls our subscriptions).
   */
  native?: { filter: string[] };
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

export class WebSocketPeer implements Peer {
  readonly id = randomUUID();
  readonly wire = 'websocket' as const;
  subscriptions: string[] = [];
  ready = false;
  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly appName: string | undefined,
  ) {}

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
    this.cork();
    this.socket.send(text);
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
   * socket's copy of it). The frame is written at once, within this call, as ws writes
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
    this.cork();
    tcp.write(textFrameHeader(length));
    for (const b of buffers) tcp.write(b);
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

export class EndpointServer extends EventEmitter<EndpointServerEvents> {
  readonly endpointId: string;
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
    const server = this.options.tls ? https.createServer(serverTlsOptions(this.options.tls)) : http.createServer();
    server.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end(`WebSocket endpoint: ${WEBSOCKET_PATH}\n`);
    });
    server.on('tlsClientError', (err) => this.log('warning', `TLS handshake failed: ${err.message}`));
    server.on('clientError', (_err, sock) => sock.destroy());
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.maxMessageBytes });
    server.on('upgrade', (req, sock, head) => {
      const url = (req.url ?? '').split('?')[0];
      const app = req.headers['x-application-name'];
      const appName = Array.isArray(app) ? app[0] : app;
      if (url !== WEBSOCKET_PATH) {
        this.log('warning', `rejected WebSocket upgrade for path ${url}`, { remote: req.socket.remoteAddress });
        sock.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      if (appName !== undefined && !/^[-/_.=:*@a-zA-Z0-9]+$/.test(appName)) {
        this.log('warning', 'rejected WebSocket client with invalid X-Application-Name', { remote: req.socket.remoteAddress });
        sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
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
    const tlsServer = nodeTls.createServer({ ...brokerServerTlsOptions(), handshakeTimeout: this.options.handshakeTimeoutMs ?? 10000 });
    tlsServer.on('secureConnection', (sock: nodeTls.TLSSocket) => this.acceptNative(sock, 'TLS'));
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
        else this.acceptNative(sock, 'TCP');
        sock.resume();
      });
    });
    front.on('error', (err) => this.log('error', `listener error: ${err.message}`));
    this.front = front;
    return front;
  }

  private acceptNative(sock: net.Socket, how: 'TLS' | 'TCP'): void {
    const remoteAddress = sock.remoteAddress ?? '';
    const remotePort = sock.remotePort ?? 0;
    sock.on('error', () => undefined); // NativePeer reports errors itself; never crash on one
    NativePeer.accept(sock, {
      filter: [...(this.options.native?.filter ?? [])],
      handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? 10000,
      maxFrame: this.maxMessageBytes,
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
    const peer = new WebSocketPeer(ws, remoteAddress, remotePort, appName);
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
