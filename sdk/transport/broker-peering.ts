// Broker::peer(host, port, retry) in native Broker: a connection we make to another Broker
// endpoint and keep up. It connects (anonymous TLS unless Broker::disable_ssl=T, as Broker
// does), peers with our filter, and when the attempt fails or the peering is lost later
// tries again every `retryMs`, until closed. The wire work is NativePeer's
// (sdk/broker/native); this adds the retrying, and presents the current peering as a
// `Peer` (NativeBrokerPeer, as the native side of EndpointServer does), so that owners
// send to it as to any other peer.
//
// Used for the links Zeek makes with Broker::peer: the controller to agents given as
// host:port, and the agent to its controller (Management::Agent::controller).

import { EventEmitter } from 'node:events';
import { BrokerData } from '../broker/data';
import { WireError } from '../broker/errors';
import { eventFromData, eventToData, ZeekEvent } from '../broker/event';
import { EndpointId } from '../broker/native/endpoint-id';
import { KeepaliveOptions, NativePeer } from '../broker/native/peer';
import { BrokerTlsFiles } from '../broker/native/tls';
import { NativeBrokerPeer } from './endpoint-server';
import { formatHost } from './endpoint-client';

export interface BrokerPeeringOptions {
  host: string;
  port: number;
  /** Our filter: the topic prefixes we subscribe to. */
  topics: string[];
  /** Anonymous TLS (true: Broker::disable_ssl=F, Broker's default), TLS with certificates, or plain TCP (false). */
  tls: boolean | BrokerTlsFiles;
  /**
   * Pause after a failed attempt or a lost peering, in ms; null: one attempt, and no new
   * one once the peering is lost (Broker::peer with a retry of 0). Callers give
   * peerRetryMs(Management::connect_retry), which ZEEK_DEFAULT_CONNECT_RETRY overrides.
   */
  retryMs: number | null;
  /** Our endpoint id, as text (a UUID); random when not given. The id is the same across reconnections. */
  endpointId?: string;
  /** Largest frame accepted, in bytes (Broker's default 16 MiB otherwise). */
  maxMessageBytes?: number;
  /** Milliseconds for each attempt's handshake, TLS included (10 s). */
  handshakeTimeoutMs?: number;
  /** Ping a silent peer, close one silent too long (NativePeer's keepalive); a closed peering is retried as a lost one. */
  keepalive?: KeepaliveOptions;
}

export interface BrokerPeeringEvents {
  /** A peering is up; `peer` is how to send to it, until 'lost'. */
  up: [peer: NativeBrokerPeer];
  /** The peering went away (closed by the other side, or a bad frame); a new attempt follows. */
  lost: [peer: NativeBrokerPeer, reason: string];
  /** An attempt failed (connection refused, TLS or handshake refused); `attempt` counts since the last success. */
  failed: [err: Error, attempt: number];
  /** Data on a topic of our filter. */
  message: [topic: string, data: BrokerData, peer: NativeBrokerPeer];
  /** ... that is a Zeek event. */
  event: [ev: ZeekEvent, topic: string, peer: NativeBrokerPeer];
  /** Data that is not a Zeek event, or an envelope that could not be read (skipped, as Broker does). */
  'protocol-error': [err: WireError, peer: NativeBrokerPeer];
}

export class BrokerPeering extends EventEmitter<BrokerPeeringEvents> {
  private readonly stop = new AbortController();
  private readonly id: EndpointId;
  private current: NativeBrokerPeer | null = null;
  private running: Promise<void> | null = null;

  constructor(readonly options: BrokerPeeringOptions) {
    super();
    this.id = options.endpointId !== undefined ? EndpointId.parse(options.endpointId) : EndpointId.random();
  }

  /** host:port as Broker prints a peer. */
  get address(): string {
    return `${formatHost(this.options.host)}:${this.options.port}`;
  }

  /** Our endpoint id as text (what notify_agent_hello carries). */
  get endpointId(): string {
    return this.id.toString();
  }

  /** The peering if it is up. */
  get peer(): NativeBrokerPeer | null {
    return this.current?.open ? this.current : null;
  }

  get isOpen(): boolean {
    return this.peer !== null;
  }

  get closed(): boolean {
    return this.stop.signal.aborted;
  }

  /** Starts connecting (once); keeps the peering up until close(). */
  start(): this {
    if (!this.running && !this.closed) this.running = this.run();
    return this;
  }

  /** Sends `value` on `topic` if peered and the other side subscribed to it; returns whether it went out. */
  publish(topic: string, value: BrokerData): boolean {
    const p = this.peer;
    if (!p) return false;
    try {
      return p.native.publish(topic, value);
    } catch {
      return false; // closed in between, or a value the binary format cannot carry
    }
  }

  publishEvent(topic: string, ev: ZeekEvent): boolean {
    return this.publish(topic, eventToData(ev));
  }

  /**
   * Stops retrying and unpeers (Broker's BYE) if peered. An attempt under way is not
   * waited for: it unpeers as soon as it completes.
   */
  async close(): Promise<void> {
    this.stop.abort();
    const p = this.current;
    if (p?.open) await p.native.unpeer(1000);
  }

  private async run(): Promise<void> {
    const o = this.options;
    let attempt = 0;
    while (!this.closed) {
      let native: NativePeer;
      try {
        native = await NativePeer.connect(o.host, o.port, {
          id: this.id, filter: [...o.topics], tls: o.tls, maxFrame: o.maxMessageBytes, handshakeTimeoutMs: o.handshakeTimeoutMs, keepalive: o.keepalive,
        });
      } catch (err) {
        attempt++;
        if (!this.closed) this.emit('failed', err instanceof Error ? err : new Error(String(err)), attempt);
        if (o.retryMs === null) return;
        await sleep(o.retryMs, this.stop.signal);
        continue;
      }
      if (this.closed) {
        await native.unpeer(1000);
        return;
      }
      attempt = 0;
      const peer = new NativeBrokerPeer(native, o.host, o.port);
      this.current = peer;
      const lost = new Promise<string>((resolve) => native.once('close', resolve));
      native.on('data', (topic: string, data: BrokerData) => {
        this.emit('message', topic, data, peer);
        if (this.listenerCount('event') === 0) return;
        let ev: ZeekEvent;
        try {
          ev = eventFromData(data);
        } catch (err) {
          this.emit('protocol-error', err instanceof WireError ? err : new WireError('deserialization_failed', String(err)), peer);
          return;
        }
        this.emit('event', ev, topic, peer);
      });
      native.on('malformed', (err: WireError) => this.emit('protocol-error', err, peer));
      this.emit('up', peer);
      const reason = await lost;
      if (this.current === peer) this.current = null;
      if (this.closed) return;
      this.emit('lost', peer, reason);
      if (o.retryMs === null) return;
      await sleep(o.retryMs, this.stop.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
