// A small Broker WebSocket (JSON API v1) client for emulated nodes: the subscription
// handshake and Zeek events over the SDK's own client WebSocket
// (sdk/transport/websocket-socket.ts, the same one EndpointClient uses), so that a node
// process need not load the `ws` package, http and zod: one emulated node per cluster
// node has to stay small.

import { EventEmitter } from 'node:events';
import { BrokerData } from '../../../sdk/broker/data';
import { eventFromData, eventToData, ZeekEvent } from '../../../sdk/broker/event';
import { decodeData, DEFAULT_LIMITS, parseJsonText } from '../../../sdk/broker/json-codec';
import { encodeDataFields } from '../../../sdk/broker/json-encode';
import { ClientWebSocket } from '../../../sdk/transport/websocket-socket';

// Broker's WebSocket path (as messages.ts's WEBSOCKET_PATH; not imported, to keep the node's start small).
const WEBSOCKET_PATH = '/v1/messages/json';
/** An agent that has not completed the upgrade by then is given up on (and retried). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface BrokerPeerEvents {
  ready: [];
  event: [ev: ZeekEvent, topic: string];
  close: [];
}

export class BrokerPeer extends EventEmitter<BrokerPeerEvents> {
  private ws: ClientWebSocket | null = null;
  private acked = false;

  constructor(readonly host: string, readonly port: number, readonly topics: string[], readonly appName = 'zeek-mgmt-node') {
    super();
  }

  get isReady(): boolean {
    return this.acked && this.ws !== null && this.ws.readyState === ClientWebSocket.OPEN;
  }

  /** Connects (again); 'close' follows when this connection ends or cannot be made. */
  connect(): void {
    this.acked = false;
    const ws = new ClientWebSocket({
      host: this.host,
      port: this.port,
      path: WEBSOCKET_PATH,
      headers: { 'X-Application-Name': this.appName },
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      maxPayload: DEFAULT_LIMITS.maxTextLength,
    });
    this.ws = ws;
    ws.on('open', () => ws.sendText(JSON.stringify(this.topics)));
    ws.on('message', (data, isBinary) => {
      if (!isBinary && this.ws === ws) this.message(data as string);
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.ws === ws) {
        this.ws = null;
        this.emit('close');
      }
    });
  }

  private fail(): void {
    this.ws?.terminate();
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

  publish(topic: string, data: BrokerData): void {
    if (this.ws?.readyState !== ClientWebSocket.OPEN) return;
    this.ws.sendText(`{"type":"data-message","topic":${JSON.stringify(topic)},${encodeDataFields(data)}}`);
  }

  publishEvent(topic: string, ev: ZeekEvent): void {
    this.publish(topic, eventToData(ev));
  }

  /** Closes the connection (closing handshake, code 1000); no 'close' event follows. */
  close(): void {
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
  }
}
