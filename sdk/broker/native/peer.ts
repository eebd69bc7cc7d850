// One native Broker peering over a TCP or TLS socket: the handshake, then envelopes.
//
// NativePeer.connect() opens a connection (Broker's "peer"), NativeListener accepts them
// (Broker's "listen"). Once peered:
//   - subscribe() adds topic prefixes to our filter and sends the whole filter in a
//     routing update, as Broker does on every change (core_actor.cc);
//   - publish()/publishEvent() send a data envelope, but only if the other side's
//     filter has a prefix of the topic (Broker forwards nothing else);
//   - received data whose topic matches our filter is emitted as 'data' (and 'event'
//     when it is a Zeek event); other topics are dropped;
//   - a ping is answered with a pong carrying the same bytes; unpeer() sends Broker's
//     BYE ping ("BYE" and 8 bytes) and closes once its pong is back (peering.cc);
//   - with `keepalive` (ours: Broker has no liveness check on a peering, so a link that
//     stalls without closing stays "peered" until TCP gives up, which a stopped relay or a
//     cut cable can put off indefinitely), a peer silent for `intervalMs` gets a ping, and
//     one silent for `timeoutMs` is closed with the reason 'peer_timeout'. Any bytes
//     arriving count as a sign of life. Broker answers pings, so this works against Zeek.
// A bad frame closes the connection; a malformed envelope is reported ('malformed') and
// skipped, as Broker skips envelopes it cannot read. Nothing thrown escapes to the
// socket's event loop.

import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { BrokerData } from '../data';
import { WireError } from '../errors';
import { eventFromData, eventToData, ZeekEvent } from '../event';
import { BinaryLimits, DEFAULT_BINARY_LIMITS } from './data-codec';
import { EndpointId } from './endpoint-id';
import { DEFAULT_MAX_FRAME, frame, FrameReader } from './framing';
import { Handshake, HandshakeError, Peered } from './handshake';
import {
  dataEnvelope, dataOf, decodeEnvelope, decodeHandshake, DEFAULT_TTL, encodeEnvelope, encodeHandshake, Envelope, filterOf,
  HandshakeMessage, RESERVED_TOPIC, routingUpdateEnvelope,
} from './messages';
import { BrokerTlsFiles, clientTlsOptions, serverTlsOptions } from './tls';

export interface NativePeerOptions {
  /** Our endpoint id; random by default. */
  id?: EndpointId;
  /** Topic prefixes we subscribe to from the start. */
  filter?: string[];
  /** Anonymous TLS (true, Broker's default), TLS with certificates, or plain TCP (false). */
  tls?: boolean | BrokerTlsFiles;
  /** Milliseconds for the handshake (TLS included); 10 s by default. */
  handshakeTimeoutMs?: number;
  /** Largest frame accepted, in bytes. */
  maxFrame?: number;
  limits?: BinaryLimits;
  /** Sees every frame's message bytes, in and out (for captures and debugging). */
  tap?: (direction: 'in' | 'out', message: Buffer, phase: 'handshake' | 'peered') => void;
  /** Pings a silent peer and closes one silent too long (see the header); off when absent. */
  keepalive?: KeepaliveOptions;
}

export interface KeepaliveOptions {
  /** A peer we heard nothing from for this long gets a ping (ms). */
  intervalMs: number;
  /** A peer we heard nothing from for this long is closed (ms); 0 turns the check off. */
  timeoutMs: number;
}

/** Is `prefix` a prefix of `topic`? (topic.cc, topic::is_prefix) */
export function topicMatches(filter: readonly string[], topic: string): boolean {
  return filter.some((p) => topic.startsWith(p));
}

const BYE = Buffer.from('BYE', 'latin1');

export declare interface NativePeer {
  on(ev: 'data', fn: (topic: string, value: BrokerData, env: Envelope) => void): this;
  on(ev: 'event', fn: (topic: string, event: ZeekEvent) => void): this;
  on(ev: 'filter', fn: (filter: string[]) => void): this;
  on(ev: 'malformed', fn: (err: WireError) => void): this;
  on(ev: 'close', fn: (reason: string) => void): this;
  on(ev: string, fn: (...args: any[]) => void): this;
}

export class NativePeer extends EventEmitter {
  readonly localId: EndpointId;
  readonly remoteId: EndpointId;
  /** True if we were the handshake's originator. */
  readonly originator: boolean;
  private filter: string[];
  private remote: string[];
  private closed = false;
  private pings = new Map<string, () => void>();
  /** When bytes last arrived from the peer (keepalive). */
  private lastHeard = Date.now();
  private keepaliveTimer: NodeJS.Timeout | null = null;
  /**
   * What arrives before connect()/accept()'s caller could add its listeners (frames that
   * came with the last handshake message, or in the same turn of the event loop), held
   * until the next turn; null once delivered.
   */
  private held: Array<() => void> | null = [];

  private constructor(
    private readonly socket: net.Socket,
    private readonly reader: FrameReader,
    localId: EndpointId,
    localFilter: string[],
    peered: Peered,
    private readonly limits: BinaryLimits,
    private readonly tap?: (direction: 'in' | 'out', message: Buffer, phase: 'handshake' | 'peered') => void,
    private readonly keepalive?: KeepaliveOptions,
  ) {
    super();
    this.localId = localId;
    this.remoteId = peered.remoteId;
    this.originator = peered.originator;
    this.filter = localFilter;
    this.remote = [...peered.remoteFilter];
  }

  get localFilter(): readonly string[] { return this.filter; }
  get remoteFilter(): readonly string[] { return this.remote; }
  get isClosed(): boolean { return this.closed; }

  /** Connects to a Broker endpoint listening at host:port and peers with it. */
  static connect(host: string, port: number, opts: NativePeerOptions = {}): Promise<NativePeer> {
    const useTls = opts.tls ?? true;
    const socket = useTls
      ? tls.connect({ host, port, ...clientTlsOptions(useTls === true ? undefined : useTls) })
      : net.connect({ host, port });
    return NativePeer.handshake(socket, 'connector', opts, useTls ? 'secureConnect' : 'connect');
  }

  /** Runs the acceptor's side of the handshake on a socket a server accepted. */
  static accept(socket: net.Socket, opts: NativePeerOptions = {}): Promise<NativePeer> {
    return NativePeer.handshake(socket, 'acceptor', opts, undefined);
  }

  private static handshake(socket: net.Socket, side: 'connector' | 'acceptor', opts: NativePeerOptions, readyEvent: string | undefined): Promise<NativePeer> {
    const id = opts.id ?? EndpointId.random();
    const filter = [...(opts.filter ?? [])];
    const reader = new FrameReader(opts.maxFrame ?? DEFAULT_MAX_FRAME);
    const hs = new Handshake(id, () => filter, side);
    const limits = opts.limits ?? DEFAULT_BINARY_LIMITS;
    return new Promise<NativePeer>((resolve, reject) => {
      let settled = false;
      const tap = opts.tap;
      const send = (msgs: HandshakeMessage[]): void => {
        for (const m of msgs) {
          const bytes = encodeHandshake(m);
          tap?.('out', bytes, 'handshake');
          socket.write(frame(bytes));
        }
      };
      const finish = (err: WireError | undefined, peer?: NativePeer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve(peer as NativePeer);
      };
      const refuse = (err: WireError): void => {
        // Tell the other side why, unless it told us; then close.
        if (!(err instanceof HandshakeError && err.remote)) {
          try { socket.end(frame(encodeHandshake(hs.dropConn(err)))); } catch { /* socket gone */ }
        }
        const e = err instanceof HandshakeError ? err : new HandshakeError(err.code, err.detail);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        // Keep an error listener: the peer may reset while our drop_conn is in flight.
        socket.on('error', () => undefined);
        setTimeout(() => socket.destroy(), 200).unref();
        reject(e);
      };
      const onData = (chunk: Buffer): void => {
        try {
          const frames = reader.push(chunk);
          for (let i = 0; i < frames.length; i++) {
            tap?.('in', frames[i], 'handshake');
            const step = hs.receive(decodeHandshake(frames[i]));
            send(step.send);
            if (step.peered) {
              const peer = new NativePeer(socket, reader, id, filter, step.peered, limits, tap, opts.keepalive);
              finish(undefined, peer);
              peer.attach();
              // Frames that came with the last handshake message are envelopes already.
              for (const f of frames.slice(i + 1)) peer.later(() => peer.onFrame(f));
              return;
            }
          }
        } catch (err) {
          refuse(err instanceof WireError ? err : new WireError('unspecified', String(err)));
        }
      };
      const onError = (err: Error): void => finish(new HandshakeError('peer_unavailable', `connection failed during the handshake: ${err.message}`));
      const onClose = (): void => finish(new HandshakeError('peer_disconnect_during_handshake', `connection closed in handshake state ${hs.state}`));
      const timer = setTimeout(() => refuse(new HandshakeError('peer_timeout', `no handshake within ${opts.handshakeTimeoutMs ?? 10000} ms (state ${hs.state})`)), opts.handshakeTimeoutMs ?? 10000);
      timer.unref();
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      const begin = (): void => { if (!settled) send(hs.start()); };
      if (readyEvent) socket.once(readyEvent, begin);
      else begin();
    });
  }

  private attach(): void {
    setImmediate(() => {
      const queue = this.held ?? [];
      this.held = null;
      for (const fn of queue) fn();
    });
    this.startKeepalive();
    this.socket.on('data', (chunk: Buffer) => {
      this.lastHeard = Date.now();
      let frames: Buffer[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        const why = `bad frame: ${err instanceof Error ? err.message : String(err)}`;
        this.later(() => this.shut(why));
        return;
      }
      for (const f of frames) this.later(() => { if (!this.closed) this.onFrame(f); });
    });
    this.socket.on('error', (err) => this.later(() => this.shut(`connection error: ${err.message}`)));
    this.socket.on('close', () => this.later(() => this.shut('connection closed by peer')));
  }

  /**
   * The keepalive check, every quarter of the interval (at most a second apart). When the
   * check itself runs late (our own event loop was blocked), the silence it sees is ours,
   * not the peer's: the clock restarts instead.
   */
  private startKeepalive(): void {
    const k = this.keepalive;
    if (!k || !(k.timeoutMs > 0) || !(k.intervalMs > 0)) return;
    const every = Math.max(10, Math.min(1000, k.intervalMs / 4, k.timeoutMs / 4));
    let lastCheck = Date.now();
    this.keepaliveTimer = setInterval(() => {
      const now = Date.now();
      const late = now - lastCheck > every * 2 + 1000;
      lastCheck = now;
      if (this.closed) return;
      if (late) {
        this.lastHeard = now;
        return;
      }
      const silent = now - this.lastHeard;
      if (silent >= k.timeoutMs) {
        this.shut(`peer_timeout: nothing heard from the peer for ${silent} ms`);
        this.socket.destroy();
        return;
      }
      if (silent >= k.intervalMs && this.pings.size === 0) {
        this.ping(randomBytes(8), Math.max(k.timeoutMs - silent, 1)).catch(() => undefined);
      }
    }, every);
    this.keepaliveTimer.unref();
  }

  /** Runs `fn` now, or, while arrivals are held for the caller, after those before it. */
  private later(fn: () => void): void {
    if (this.held) this.held.push(fn);
    else fn();
  }

  private onFrame(f: Buffer): void {
    this.tap?.('in', f, 'peered');
    let env: Envelope;
    try {
      env = decodeEnvelope(f);
    } catch (err) {
      this.emit('malformed', err instanceof WireError ? err : new WireError('invalid_data', String(err)));
      return;
    }
    try {
      this.onEnvelope(env);
    } catch (err) {
      this.emit('malformed', err instanceof WireError ? err : new WireError('invalid_data', String(err)));
    }
  }

  private onEnvelope(env: Envelope): void {
    // Messages addressed to another endpoint are not ours; Broker forwards them, we do not.
    if (!env.receiver.isNil() && !env.receiver.equals(this.localId)) return;
    switch (env.type) {
      case 'data': {
        if (!topicMatches(this.filter, env.topic)) return;
        const value = dataOf(env, this.limits);
        this.emit('data', env.topic, value, env);
        if (this.listenerCount('event') > 0) {
          let ev: ZeekEvent | undefined;
          try { ev = eventFromData(value); } catch { ev = undefined; }
          if (ev) this.emit('event', env.topic, ev);
        }
        return;
      }
      case 'routing_update':
        this.remote = filterOf(env);
        this.emit('filter', [...this.remote]);
        return;
      case 'ping':
        this.write({ sender: this.localId, receiver: env.sender, type: 'pong', ttl: DEFAULT_TTL, topic: RESERVED_TOPIC, payload: env.payload });
        return;
      case 'pong': {
        const key = env.payload.toString('hex');
        const done = this.pings.get(key);
        if (done) { this.pings.delete(key); done(); }
        return;
      }
      case 'command':
        return; // data store commands: not used by the management framework
    }
  }

  private write(env: Envelope): void {
    if (this.closed) throw new WireError('peer_unavailable', 'the peering is closed');
    const bytes = encodeEnvelope(env);
    this.tap?.('out', bytes, 'peered');
    this.socket.write(frame(bytes));
  }

  /** Adds topic prefixes to our filter and announces the new filter. */
  subscribe(...topics: string[]): void {
    let changed = false;
    for (const t of topics) if (!this.filter.includes(t)) { this.filter.push(t); changed = true; }
    if (changed) this.write(routingUpdateEnvelope(this.localId, this.remoteId, this.filter));
  }

  unsubscribe(...topics: string[]): void {
    const before = this.filter.length;
    this.filter = this.filter.filter((t) => !topics.includes(t));
    if (this.filter.length !== before) this.write(routingUpdateEnvelope(this.localId, this.remoteId, this.filter));
  }

  /** Sends `value` on `topic` if the peer subscribed to it; returns whether it was sent. */
  publish(topic: string, value: BrokerData): boolean {
    if (!topicMatches(this.remote, topic)) return false;
    this.write(dataEnvelope(this.localId, topic, value));
    return true;
  }

  publishEvent(topic: string, ev: ZeekEvent): boolean {
    return this.publish(topic, eventToData(ev));
  }

  /** Sends a ping and resolves when its pong comes back. */
  ping(payload: Buffer = randomBytes(8), timeoutMs = 10000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const key = payload.toString('hex');
      const timer = setTimeout(() => { this.pings.delete(key); reject(new WireError('request_timeout', `no pong within ${timeoutMs} ms`)); }, timeoutMs);
      timer.unref();
      this.pings.set(key, () => { clearTimeout(timer); resolve(); });
      try {
        this.write({ sender: this.localId, receiver: this.remoteId, type: 'ping', ttl: DEFAULT_TTL, topic: RESERVED_TOPIC, payload });
      } catch (err) {
        clearTimeout(timer);
        this.pings.delete(key);
        reject(err);
      }
    });
  }

  /** Broker's graceful unpeering: BYE ping, wait for its pong (or the timeout), close. */
  async unpeer(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    const token = Buffer.concat([BYE, randomBytes(8)]);
    try {
      await this.ping(token, timeoutMs);
    } catch {
      // timeout or closed: close anyway, as Broker does after unpeer_timeout
    }
    this.close('unpeered');
  }

  /** Closes the connection at once. */
  close(reason = 'closed locally'): void {
    this.shut(reason);
  }

  private shut(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.socket.on('error', () => undefined);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 200).unref();
    this.emit('close', reason);
  }
}

export interface NativeListenerOptions extends NativePeerOptions {
  host?: string;
  port: number;
}

export declare interface NativeListener {
  on(ev: 'peer', fn: (peer: NativePeer) => void): this;
  on(ev: 'refused', fn: (err: WireError, remote: string) => void): this;
  on(ev: string, fn: (...args: any[]) => void): this;
}

/** Accepts Broker peers on a port (Broker's listen). Every refused peering is 'refused'. */
export class NativeListener extends EventEmitter {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();

  constructor(private readonly opts: NativeListenerOptions) {
    super();
  }

  listen(): Promise<number> {
    const useTls = this.opts.tls ?? true;
    const onSocket = (socket: net.Socket): void => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      const remote = `${socket.remoteAddress}:${socket.remotePort}`;
      NativePeer.accept(socket, this.opts).then(
        (peer) => this.emit('peer', peer),
        (err: WireError) => this.emit('refused', err, remote),
      );
    };
    const server = useTls
      ? tls.createServer(serverTlsOptions(useTls === true ? undefined : useTls), onSocket)
      : net.createServer(onSocket);
    if (useTls) {
      server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
        this.emit('refused', new WireError('peer_invalid', `TLS handshake failed: ${err.message}`), `${socket.remoteAddress}:${socket.remotePort}`);
      });
    }
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
