// The peering handshake as a state machine without I/O (connector.cc, connect_state).
//
// The endpoint that opened the TCP connection (the connector) sends hello at once; the
// one that accepted it (the acceptor) sends probe and waits for hello. Whoever receives
// a hello from an endpoint whose id is greater becomes the originator: it answers with
// version_select and originator_syn (its filter). Otherwise it answers with its own hello
// and becomes the responder, which waits for version_select, then originator_syn, sends
// responder_syn_ack (its filter), and is done on originator_ack. The originator is done
// after receiving responder_syn_ack and sending originator_ack. probe is ignored while
// waiting for hello or version_select. drop_conn from the other side ends the handshake
// with the error it names.
//
// Differences from Broker, on purpose: one connection is one peer here, so Broker's
// detection of redundant connections to the same endpoint is left to the caller; a peer
// using our own endpoint id is refused; an unexpected message is answered with drop_conn
// (Broker closes without one).

import { BrokerErrorCode, WireError } from '../errors';
import { EndpointId } from './endpoint-id';
import { EC_CODE, ecName, HandshakeMessage, MAGIC, PROTOCOL_VERSION } from './messages';

export type HandshakeState =
  | 'await_hello_or_version_select'
  | 'await_hello'
  | 'await_version_select'
  | 'await_orig_syn'
  | 'await_resp_syn_ack'
  | 'await_orig_ack'
  | 'fin'
  | 'failed';

export interface Peered {
  remoteId: EndpointId;
  remoteFilter: string[];
  /** True if this endpoint was the originator of the handshake (the smaller id). */
  originator: boolean;
}

/** A refused or failed handshake. `remote` is true when the other side sent drop_conn. */
export class HandshakeError extends WireError {
  constructor(code: BrokerErrorCode, detail: string, readonly remote = false) {
    super(code, detail);
  }
}

export interface Step {
  send: HandshakeMessage[];
  peered?: Peered;
}

export class Handshake {
  state: HandshakeState;
  private remoteId?: EndpointId;
  private remoteFilter: string[] = [];
  private originator = false;

  constructor(
    readonly localId: EndpointId,
    private readonly localFilter: () => string[],
    readonly side: 'connector' | 'acceptor',
  ) {
    this.state = side === 'connector' ? 'await_hello_or_version_select' : 'await_hello';
  }

  /** What the side sends first. */
  start(): HandshakeMessage[] {
    return [this.side === 'connector' ? this.hello() : { kind: 'probe', magic: MAGIC }];
  }

  private hello(): HandshakeMessage {
    return { kind: 'hello', magic: MAGIC, sender: this.localId, minVersion: PROTOCOL_VERSION, maxVersion: PROTOCOL_VERSION };
  }

  /** The drop_conn to send for an error of ours. */
  dropConn(err: WireError): HandshakeMessage {
    return { kind: 'drop_conn', magic: MAGIC, sender: this.localId, code: EC_CODE[err.code] ?? 1, description: err.detail };
  }

  private fail(code: BrokerErrorCode, detail: string, remote = false): never {
    this.state = 'failed';
    throw new HandshakeError(code, detail, remote);
  }

  /** Feeds one decoded message; throws HandshakeError to refuse the peering. */
  receive(m: HandshakeMessage): Step {
    if (this.state === 'fin' || this.state === 'failed') this.fail('invalid_handshake_state', `a ${m.kind} message after the handshake ended`);
    if (m.kind === 'drop_conn') {
      this.fail(ecName(m.code), `peer ${m.sender} dropped the connection: ${m.description} (code ${m.code})`, true);
    }
    switch (this.state) {
      case 'await_hello_or_version_select':
        if (m.kind === 'probe') return { send: [] };
        if (m.kind === 'hello') return this.onHello(m);
        if (m.kind === 'version_select') return this.onVersionSelect(m);
        break;
      case 'await_hello':
        if (m.kind === 'probe') return { send: [] };
        if (m.kind === 'hello') return this.onHello(m);
        break;
      case 'await_version_select':
        if (m.kind === 'probe') return { send: [] };
        if (m.kind === 'version_select') return this.onVersionSelect(m);
        break;
      case 'await_orig_syn':
        if (m.kind === 'originator_syn') {
          this.remoteFilter = m.filter;
          this.state = 'await_orig_ack';
          return { send: [{ kind: 'responder_syn_ack', filter: this.localFilter() }] };
        }
        break;
      case 'await_resp_syn_ack':
        if (m.kind === 'responder_syn_ack') {
          this.remoteFilter = m.filter;
          this.state = 'fin';
          return { send: [{ kind: 'originator_ack' }], peered: this.peered() };
        }
        break;
      case 'await_orig_ack':
        if (m.kind === 'originator_ack') {
          this.state = 'fin';
          return { send: [], peered: this.peered() };
        }
        break;
      default:
        break;
    }
    return this.fail('unexpected_handshake_message', `unexpected ${m.kind} message in state ${this.state}`);
  }

  private onHello(m: Extract<HandshakeMessage, { kind: 'hello' }>): Step {
    const order = this.localId.compare(m.sender);
    if (order === 0) this.fail('logic_error', `peer ${m.sender} uses this endpoint's own id`);
    this.remoteId = m.sender;
    if (order < 0) {
      this.originator = true;
      this.state = 'await_resp_syn_ack';
      return {
        send: [
          { kind: 'version_select', magic: MAGIC, sender: this.localId, version: PROTOCOL_VERSION },
          { kind: 'originator_syn', filter: this.localFilter() },
        ],
      };
    }
    this.state = 'await_version_select';
    return { send: [this.hello()] };
  }

  private onVersionSelect(m: Extract<HandshakeMessage, { kind: 'version_select' }>): Step {
    if (m.sender.equals(this.localId)) this.fail('logic_error', `peer ${m.sender} uses this endpoint's own id`);
    if (this.remoteId !== undefined && !this.remoteId.equals(m.sender)) {
      this.fail('peer_invalid', `version_select from ${m.sender}, but hello came from ${this.remoteId}`);
    }
    this.remoteId = m.sender;
    this.originator = false;
    this.state = 'await_orig_syn';
    return { send: [] };
  }

  private peered(): Peered {
    return { remoteId: this.remoteId as EndpointId, remoteFilter: this.remoteFilter, originator: this.originator };
  }
}
