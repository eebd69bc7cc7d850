// The controller's connections to agents, both directions, behind one interface:
//
// - inbound: agents that connect to the controller's agent port (2150), as WebSocket
//   or native Broker peers of an EndpointServer, subscribed to zeek/management/agent/<name>;
// - outbound: agents the controller connects to (instances given as host:port), in
//   native Broker as Zeek's controller does (Broker::peer; anonymous TLS unless
//   Broker::disable_ssl=T), kept up by a BrokerPeering that retries every
//   Management::connect_retry.
//
// Publishing to an agent follows Broker's rule: the message goes to every inbound peer
// subscribed to a prefix of the topic, and over every outbound connection made for that
// agent. Only these links deliver Management::Agent::API events to the controller.

import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { BrokerData } from '../../sdk/broker/data';
import { KeepaliveOptions } from '../../sdk/broker/native/peer';
import { BrokerTlsFiles } from '../../sdk/broker/native/tls';
import { ZeekEvent } from '../../sdk/broker/event';
import { encodeError } from '../../sdk/broker/messages';
import { BrokerPeering } from '../../sdk/transport/broker-peering';
import { peerRetryMs } from '../../sdk/transport/connect-retry';
import { EndpointServer, NativeBrokerPeer, Peer } from '../../sdk/transport/endpoint-server';
import { topicMatches } from '../../sdk/transport/topics';
import { ManagementLog } from './log';

/**
 * A data message for one agent in the two forms a link may need: the Broker data of the
 * event (native Broker links encode it in the binary format) and the WebSocket API's JSON
 * text (WebSocket peers). Each is made only when a link asks for it, at most once.
 */
export interface PreparedMessage {
  readonly topic: string;
  data(): BrokerData;
  text(): string;
}

export interface AgentLink {
  readonly id: string;
  readonly kind: 'inbound' | 'outbound';
  /** The agent's address as seen by the controller (inbound), or the one it connects to (outbound). */
  readonly host: string;
  /** The remote port: the agent's listening port for outbound links. */
  readonly port: number;
  /** For outbound links: the agent name this connection was made for. */
  readonly expectedName?: string;
  /** The instance name the agent announced in notify_agent_hello. */
  instance?: string;
  /** The agent's Broker endpoint id from the native handshake (outbound links only). */
  readonly endpointId?: string;
  /** Whether a message published on `topic` reaches this agent. */
  receives(topic: string): boolean;
  send(topic: string, ev: ZeekEvent): void;
  /** Sends a prepared data message in this link's wire format. */
  sendPrepared(m: PreparedMessage): void;
  /** Reports a rejected message to the agent where the protocol allows it (inbound only). */
  reject(code: string, context: string): void;
  describe(): string;
}

/** IPv4-mapped IPv6 addresses as plain IPv4, as Zeek shows peers. */
export function normalizeAddress(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

class InboundLink implements AgentLink {
  readonly id = randomUUID();
  readonly kind = 'inbound' as const;
  instance?: string;
  readonly host: string;
  readonly port: number;
  constructor(readonly peer: Peer) {
    this.host = normalizeAddress(peer.remoteAddress);
    this.port = peer.remotePort;
  }
  receives(topic: string): boolean {
    return topicMatches(this.peer.subscriptions, topic);
  }
  send(topic: string, ev: ZeekEvent): void {
    this.peer.sendEvent(topic, ev);
  }
  sendPrepared(m: PreparedMessage): void {
    // An inbound agent peers either over the WebSocket API or in native Broker.
    if (this.peer.wire === 'native') this.peer.send(m.topic, m.data());
    else this.peer.sendText(m.text());
  }
  reject(code: string, context: string): void {
    this.peer.sendText(encodeError(code, context));
  }
  describe(): string {
    return `agent connection from ${this.host}:${this.port}${this.instance ? ` (${this.instance})` : ''}`;
  }
}

class OutboundLink implements AgentLink {
  readonly id = randomUUID();
  readonly kind = 'outbound' as const;
  instance?: string;
  readonly endpointId: string;
  constructor(readonly peer: NativeBrokerPeer, readonly host: string, readonly port: number, readonly expectedName: string) {
    this.endpointId = peer.native.remoteId.toString();
  }
  get open(): boolean {
    return this.peer.open;
  }
  receives(topic: string): boolean {
    // The agent's filter, as its handshake and routing updates announced it.
    return topicMatches(this.peer.subscriptions, topic);
  }
  send(topic: string, ev: ZeekEvent): void {
    this.peer.sendEvent(topic, ev);
  }
  sendPrepared(m: PreparedMessage): void {
    this.peer.send(m.topic, m.data());
  }
  reject(): void {
    // Broker has no error message to send to a peer; the rejection is logged.
  }
  describe(): string {
    return `agent connection to ${this.host}:${this.port} (${this.instance ?? this.expectedName})`;
  }
}

export interface AgentLinksEvents {
  event: [ev: ZeekEvent, topic: string, link: AgentLink];
  /** A data message that is not a Zeek event, or an unusable message (already logged). */
  'bad-message': [link: AgentLink, detail: string];
  up: [link: AgentLink];
  lost: [link: AgentLink];
}

interface Connector {
  key: string;
  name: string;
  host: string;
  port: number;
  link?: OutboundLink;
  peering: BrokerPeering;
}

export interface AgentLinksOptions {
  server?: EndpointServer;
  topicPrefix: string;
  connectRetryMs: number;
  maxMessageBytes: number;
  /** Broker::disable_ssl: connect to agents over plain TCP rather than anonymous TLS. */
  disableSsl?: boolean;
  /** What the connections we make use (brokerTls()); by default anonymous TLS unless disableSsl. */
  tls?: boolean | BrokerTlsFiles;
  /** Our Broker endpoint id (a UUID) on the connections we make; one random id for all of them by default, as Broker has one per endpoint. */
  endpointId?: string;
  /** Liveness of the links we make (ZeekMgmt::peer_ping_interval, ZeekMgmt::peer_timeout). */
  keepalive?: KeepaliveOptions;
  log: ManagementLog;
}

export class AgentLinks extends EventEmitter<AgentLinksEvents> {
  private readonly inbound = new Map<Peer, InboundLink>();
  private readonly connectors = new Map<string, Connector>();
  private closed = false;
  private readonly endpointId: string;

  constructor(private readonly opts: AgentLinksOptions) {
    super();
    this.endpointId = opts.endpointId ?? randomUUID();
    const server = opts.server;
    if (server) {
      server.on('peer', (peer) => {
        const link = new InboundLink(peer);
        this.inbound.set(peer, link);
        opts.log.debug(`broker peer ${link.host}:${link.port} added, subscriptions ${peer.subscriptions.join(', ')}`);
        this.emit('up', link);
      });
      server.on('event', (ev, topic, peer) => {
        const link = this.inbound.get(peer);
        if (link) this.emit('event', ev, topic, link);
      });
      server.on('peer-closed', (peer) => {
        const link = this.inbound.get(peer);
        if (!link) return;
        this.inbound.delete(peer);
        opts.log.debug(`broker peer ${link.host}:${link.port} lost`);
        this.emit('lost', link);
      });
    }
  }

  topicFor(name: string): string {
    return `${this.opts.topicPrefix}/${name}`;
  }

  /** Broker::publish on the agent's topic. Returns how many links it went out on. */
  publish(name: string, ev: ZeekEvent): number {
    const topic = this.topicFor(name);
    let n = 0;
    for (const link of this.inbound.values()) {
      if (link.receives(topic)) {
        link.send(topic, ev);
        n++;
      }
    }
    for (const c of this.connectors.values()) {
      if (c.link && c.name === name && c.link.open && c.link.receives(topic)) {
        c.link.send(topic, ev);
        n++;
      }
    }
    return n;
  }

  /**
   * Like publish, for a message prepared for agent `name` (its topic must be
   * topicFor(name)): lets a large event be converted once for many agents and links.
   */
  publishPrepared(name: string, m: PreparedMessage): number {
    const topic = m.topic;
    let n = 0;
    for (const link of this.inbound.values()) {
      if (link.receives(topic)) {
        link.sendPrepared(m);
        n++;
      }
    }
    for (const c of this.connectors.values()) {
      if (c.link && c.name === name && c.link.open && c.link.receives(topic)) {
        c.link.sendPrepared(m);
        n++;
      }
    }
    return n;
  }

  /** Broker::peer(host, port, connect_retry) for agent `name`; idempotent per name, host and port. */
  connect(name: string, host: string, port: number): void {
    if (this.closed) return;
    const key = `${name}@${host}:${port}`;
    if (this.connectors.has(key)) return;
    const { log } = this.opts;
    const peering = new BrokerPeering({
      host, port,
      topics: [this.topicFor(name)],
      tls: this.opts.tls ?? !this.opts.disableSsl,
      // Broker::peer(..., Management::connect_retry): ZEEK_DEFAULT_CONNECT_RETRY overrides it.
      retryMs: peerRetryMs(this.opts.connectRetryMs / 1000),
      maxMessageBytes: this.opts.maxMessageBytes,
      endpointId: this.endpointId,
      keepalive: this.opts.keepalive,
    });
    const c: Connector = { key, name, host, port, peering };
    this.connectors.set(key, c);
    peering.on('failed', (err, attempt) => {
      if (attempt === 1 || attempt % 60 === 0) log.debug(`connecting to agent ${name} at ${host}:${port} failed (attempt ${attempt}): ${err.message}`);
    });
    peering.on('up', (peer) => {
      const link = new OutboundLink(peer, host, port, name);
      c.link = link;
      log.debug(`broker peer ${host}:${port} added (agent ${name}, endpoint ${link.endpointId}${this.opts.disableSsl ? '' : ', TLS'})`);
      this.emit('up', link);
    });
    peering.on('event', (ev, topic, peer) => {
      if (c.link?.peer === peer) this.emit('event', ev, topic, c.link);
    });
    peering.on('protocol-error', (err, peer) => {
      const link = c.link;
      if (link?.peer !== peer) return;
      log.warning(`discarded malformed message from ${link.describe()}: ${err.message}`);
      this.emit('bad-message', link, err.message);
    });
    peering.on('lost', (peer, reason) => {
      const link = c.link;
      if (link?.peer !== peer) return;
      c.link = undefined;
      log.debug(`broker peer ${host}:${port} lost (agent ${name}): ${reason}`);
      this.emit('lost', link);
    });
    peering.start();
  }

  /** Stops connecting to agent `name` anywhere but at `keepHost`:`keepPort` (a changed location). */
  disconnectOthers(name: string, keepHost: string | null, keepPort: number | null): void {
    for (const c of [...this.connectors.values()]) {
      if (c.name !== name || (c.host === keepHost && c.port === keepPort)) continue;
      this.opts.log.info(`no longer connecting to agent ${name} at ${c.host}:${c.port}`);
      this.stopConnector(c);
    }
  }

  private stopConnector(c: Connector): void {
    this.connectors.delete(c.key);
    const link = c.link;
    c.link = undefined;
    void c.peering.close();
    // BrokerPeering reports no loss after close(): the link is gone now.
    if (link) this.emit('lost', link);
  }

  get connectorCount(): number {
    return this.connectors.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = [...this.connectors.values()].map((c) => c.peering.close());
    this.connectors.clear();
    await Promise.all(closing);
  }
}

