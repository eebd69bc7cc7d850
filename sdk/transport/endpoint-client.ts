// A WebSocket peer of a Broker endpoint (JSON API v1): connects (retrying as
// zeek-client does), sends its subscriptions, waits for the ack, then publishes and
// receives data messages and Zeek events. The WebSocket itself is websocket-socket.ts
// (not the `ws` package, which the CLI would otherwise spend a tenth of its start-up on).
// With a streaming reader, messages are read piece by piece as they arrive instead of
// whole, so that a client can take apart a message too large to hold (the agent does
// with its Supervisor's status replies).

import { EventEmitter } from 'node:events';
import { BrokerData } from '../broker/data';
import { WireError } from '../broker/errors';
import { eventFromData, eventToData, ZeekEvent } from '../broker/event';
import { DecodeLimits, DEFAULT_LIMITS } from '../broker/json-codec';
import {
  encodeDataMessage, encodeSubscriptions, ErrorMessage, parseServerMessage, WEBSOCKET_PATH, DataMessage, ServerMessage,
} from '../broker/messages';
import { ClientTlsSettings, clientTlsOptions } from './tls';
import { ClientWebSocket, TextMessageSink } from './websocket-socket';

/** Reads one message from its pieces (see EndpointClientOptions.streamingReader). */
export interface MessageReader {
  /** The next piece of the message's text. May throw a WireError. */
  write(piece: string): void;
  /** The message read, or its whole text to be read the ordinary way; a WireError when it is not valid. */
  end(): ServerMessage | string;
}

export interface EndpointClientOptions {
  host: string;
  port: number;
  /** Topic prefixes to subscribe to. */
  topics: string[];
  /** wss:// when set (an empty object means TLS without client certificate). */
  tls?: ClientTlsSettings;
  /** Connection attempts before giving up (zeek-client's peering_attempts, default 10). */
  attempts?: number;
  /** Delay between attempts, and the per-attempt timeout (peering_retry_delay_secs, default 1 s). */
  retryDelayMs?: number;
  /** Sent as X-Application-Name. */
  appName?: string;
  /** Further headers of the upgrade request (e.g. Authorization). */
  headers?: Record<string, string>;
  maxMessageBytes?: number;
  /** Called before each retry, e.g. for a log line. */
  onRetry?: (attempt: number, err: Error) => void;
  /** Which failures (the cause of a ConnectError) are worth another attempt; default: refused, reset, unreachable, timed out, 5xx. */
  retryable?: (err: Error) => boolean;
  /** Stop retrying when this signal aborts. */
  signal?: AbortSignal;
  /**
   * After the handshake, text messages go piece by piece, as they arrive, to the reader
   * `open()` gives for each, instead of being read whole; they may then be up to
   * `maxMessageBytes` long (maxMessageBytes still bounds the handshake and anything the
   * reader hands back as text).
   */
  streamingReader?: { open: () => MessageReader; maxMessageBytes: number };
  /**
   * Data messages sent right behind the subscriptions, in the same write, instead of after
   * the ack: a round trip less. A Broker endpoint holds a client's messages that come
   * before its subscriptions are in place and handles them afterwards (Zeek 8's WebSocket
   * server, src/cluster/websocket/WebSocket.cc, queues them until it has sent the ack;
   * Broker's own json_client hands its core the subscriptions and the client's input
   * together), and EndpointServer handles a connection's frames in order; so the answer
   * to a request sent this way comes on the subscribed topics as usual. They go out again
   * with every connection attempt: only for requests that change nothing.
   */
  earlyMessages?: Array<{ topic: string; data: BrokerData }>;
}

export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(message: string, override readonly cause?: Error) {
    super(message);
  }
}

export interface EndpointClientEvents {
  message: [msg: DataMessage];
  event: [ev: ZeekEvent, topic: string];
  'error-message': [msg: ErrorMessage];
  'protocol-error': [err: WireError];
  close: [code: number, reason: string];
}

/** host as it stands before ":port": IPv6 addresses in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export class EndpointClient extends EventEmitter<EndpointClientEvents> {
  endpointId = '';
  version = '';
  private closed = false;
  private readonly limits: DecodeLimits;

  private constructor(private readonly ws: ClientWebSocket, readonly options: EndpointClientOptions) {
    super();
    this.limits = { ...DEFAULT_LIMITS, maxTextLength: options.maxMessageBytes ?? DEFAULT_LIMITS.maxTextLength };
  }

  get url(): string {
    return EndpointClient.urlFor(this.options);
  }

  static urlFor(o: Pick<EndpointClientOptions, 'host' | 'port' | 'tls'>): string {
    return `${o.tls ? 'wss' : 'ws'}://${formatHost(o.host)}:${o.port}${WEBSOCKET_PATH}`;
  }

  /** Connects and completes the handshake, retrying refused or timed-out attempts. */
  static async connect(options: EndpointClientOptions): Promise<EndpointClient> {
    const attempts = Math.max(1, options.attempts ?? 10);
    const delay = options.retryDelayMs ?? 1000;
    const tls = options.tls ? clientTlsOptions(options.tls) : undefined;
    let last: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (options.signal?.aborted) break;
      try {
        return await EndpointClient.attempt(options, tls, delay);
      } catch (err) {
        last = err as Error;
        const cause = err instanceof ConnectError ? (err.cause ?? err) : last;
        if (!(options.retryable ?? isRetryable)(cause)) {
          throw err instanceof ConnectError ? err : new ConnectError(`websocket error with ${formatHost(options.host)}:${options.port}: ${last.message}`, last);
        }
        if (attempt < attempts) {
          options.onRetry?.(attempt, last);
          await sleep(delay, options.signal);
        }
      }
    }
    throw new ConnectError(
      `websocket connection to ${formatHost(options.host)}:${options.port} failed after ${attempts} attempt(s): ${last?.message ?? 'aborted'}`,
      last,
    );
  }

  private static attempt(options: EndpointClientOptions, tls: object | undefined, timeoutMs: number): Promise<EndpointClient> {
    return new Promise((resolve, reject) => {
      const ws = new ClientWebSocket({
        host: options.host,
        port: options.port,
        path: WEBSOCKET_PATH,
        tls,
        handshakeTimeoutMs: Math.max(timeoutMs, 1000),
        maxPayload: options.maxMessageBytes ?? DEFAULT_LIMITS.maxTextLength,
        headers: options.appName || options.headers ? { ...(options.appName ? { 'X-Application-Name': options.appName } : {}), ...options.headers } : undefined,
      });
      const client = new EndpointClient(ws, options);
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(err);
      };
      const ackTimer = setTimeout(() => fail(new ConnectError('timed out waiting for the handshake ack', new Error('ETIMEDOUT'))), Math.max(timeoutMs * 5, 5000));
      let upgraded = false;
      ws.once('open', () => {
        upgraded = true;
        const early = options.earlyMessages ?? [];
        ws.sendTexts([encodeSubscriptions(options.topics), ...early.map((m) => encodeDataMessage(m.topic, m.data))]);
      });
      ws.on('error', (err) => fail(err));
      // A server that closes without answering the upgrade request may not speak plain
      // WebSocket at all (e.g. it expects TLS): said apart from a close after the upgrade.
      ws.once('close', (code, reason) => fail(upgraded
        ? new ConnectError(`connection closed during handshake (${code} ${reason})`, new Error('ECONNRESET'))
        : new ConnectError('connection closed by the server before it answered the WebSocket upgrade request', new Error('ECONNRESET'))));
      ws.once('message', (raw) => {
        clearTimeout(ackTimer);
        let msg;
        try {
          msg = parseServerMessage(raw.toString(), client.limits);
        } catch (err) {
          return fail(new ConnectError(`protocol data error in handshake: ${(err as Error).message}`));
        }
        if (msg.type === 'error') return fail(new ConnectError(`handshake refused: ${msg.code}: ${msg.context}`));
        if (msg.type !== 'ack') return fail(new ConnectError('expected a handshake ack, got a data message'));
        settled = true;
        ws.removeAllListeners();
        client.endpointId = msg.endpoint;
        client.version = msg.version;
        client.attach();
        resolve(client);
      });
    });
  }

  private attach(): void {
    // Messages that arrive together with the ack (the server may send them in the same
    // write) are held until connect()'s caller has had a chance to add its listeners.
    let held: Array<() => void> | null = [];
    setImmediate(() => {
      const queue = held ?? [];
      held = null;
      for (const fn of queue) fn();
    });
    const run = (fn: () => void): void => {
      if (held) held.push(fn);
      else fn();
    };
    this.ws.on('message', (raw, isBinary) => run(() => this.receive(raw, isBinary)));
    this.ws.on('error', () => undefined);
    this.ws.on('close', (code, reason) => {
      this.closed = true;
      run(() => this.emit('close', code, reason));
    });
    const streaming = this.options.streamingReader;
    if (streaming) this.ws.streamText({ maxMessageBytes: streaming.maxMessageBytes, open: () => this.readerSink(streaming.open(), run) });
  }

  /** Feeds a streamed message to its reader; what it makes is delivered like a message read whole. */
  private readerSink(reader: MessageReader, run: (fn: () => void) => void): TextMessageSink {
    let failure: unknown;
    return {
      write: (piece) => {
        if (failure !== undefined) return;
        try {
          reader.write(piece);
        } catch (err) {
          failure = err;
        }
      },
      end: () => {
        let msg: ServerMessage | string;
        try {
          if (failure !== undefined) throw failure;
          msg = reader.end();
        } catch (err) {
          run(() => this.protocolError(err));
          return;
        }
        run(() => (typeof msg === 'string' ? this.receive(msg, false) : this.deliver(msg)));
      },
    };
  }

  private protocolError(err: unknown): void {
    this.emit('protocol-error', err instanceof WireError ? err : new WireError('deserialization_failed', String(err)));
  }

  private receive(raw: string | Buffer, isBinary: boolean): void {
    if (isBinary) return;
    let msg;
    try {
      msg = parseServerMessage(raw.toString(), this.limits);
    } catch (err) {
      this.protocolError(err);
      return;
    }
    this.deliver(msg);
  }

  private deliver(msg: ServerMessage): void {
    if (msg.type === 'error') {
      this.emit('error-message', msg);
      return;
    }
    if (msg.type !== 'data-message') return;
    this.emit('message', msg);
    if (this.listenerCount('event') === 0) return;
    let ev: ZeekEvent;
    try {
      ev = eventFromData(msg.data);
    } catch (err) {
      this.emit('protocol-error', err as WireError);
      return;
    }
    this.emit('event', ev, msg.topic);
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === ClientWebSocket.OPEN;
  }

  publish(topic: string, data: BrokerData): void {
    if (!this.isOpen) throw new ConnectError(`cannot publish on ${topic}: connection to ${this.url} is closed`);
    this.ws.sendText(encodeDataMessage(topic, data));
  }

  publishEvent(topic: string, ev: ZeekEvent): void {
    this.publish(topic, eventToData(ev));
  }

  /** Sends raw text, for tests of hostile input. */
  sendRaw(text: string): void {
    this.ws.sendText(text);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === ClientWebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 1000);
      this.ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.ws.close();
    });
  }
}

function isRetryable(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  return /ECONNREFUSED|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|timed out|Opening handshake has timed out|socket hang up|Unexpected server response: 5/.test(String(code) + ' ' + err.message);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
