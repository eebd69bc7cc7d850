// The messages of Broker's peer protocol, without the 4-byte frame length (framing.ts).
//
// During the handshake (internal/wire_format.hh) every message starts with its
// p2p_message_type byte:
//   6 hello           magic u32, sender id (16), min version u8, max version u8
//   7 probe           magic u32
//   8 version_select  magic u32, sender id (16), selected version u8
//   9 drop_conn       magic u32, sender id (16), error code u8, description (varbyte string)
//  10 originator_syn  filter: varbyte count, then each topic as a varbyte string
//  11 responder_syn_ack  filter, as above
//  12 originator_ack  nothing
// The magic number is 0x5A45454B ("ZEEK"), the protocol version 1.
//
// Once peered, every message is an envelope (envelope.cc, wire_format.cc v1::trait):
//   sender id (16), receiver id (16), type u8 (1 data, 2 command, 3 routing_update,
//   4 ping, 5 pong), ttl u16, topic length u16, topic bytes, payload (the rest).
// A data payload is one value in the binary data format; a routing_update payload is
// the sender's whole filter; ping and pong payloads are opaque bytes echoed back.

import { BrokerData } from '../data';
import { BrokerErrorCode, WireError } from '../errors';
import { ByteReader, ByteWriter } from './bytes';
import { BinaryLimits, DEFAULT_BINARY_LIMITS, decodeBinary, encodeBinary } from './data-codec';
import { ENDPOINT_ID_BYTES, EndpointId } from './endpoint-id';

export const MAGIC = 0x5a45454b;
export const PROTOCOL_VERSION = 1;
/** broker/defaults.hh */
export const DEFAULT_TTL = 16;
/** The topic of routing updates, pings and pongs (broker::topic::reserved). */
export const RESERVED_TOPIC = '<$>';

export const MSG = {
  data: 1, command: 2, routing_update: 3, ping: 4, pong: 5,
  hello: 6, probe: 7, version_select: 8, drop_conn: 9,
  originator_syn: 10, responder_syn_ack: 11, originator_ack: 12,
} as const;

/** Broker's ec values, as carried in drop_conn (broker/error.hh). */
export const EC_CODE: Partial<Record<BrokerErrorCode, number>> = {
  unspecified: 1, peer_incompatible: 2, peer_invalid: 3, peer_unavailable: 4,
  peer_disconnect_during_handshake: 5, peer_timeout: 6, request_timeout: 10, type_clash: 11,
  invalid_data: 12, invalid_topic_key: 17, invalid_tag: 19, invalid_message: 20, invalid_status: 21,
  connection_timeout: 24, shutting_down: 28, unexpected_handshake_message: 31, invalid_handshake_state: 32,
  serialization_failed: 36, deserialization_failed: 37, wrong_magic_number: 38,
  redundant_connection: 39, logic_error: 40,
};

export function ecName(code: number): BrokerErrorCode {
  for (const [name, value] of Object.entries(EC_CODE)) if (value === code) return name as BrokerErrorCode;
  return 'unspecified';
}

export type HandshakeMessage =
  | { kind: 'hello'; magic: number; sender: EndpointId; minVersion: number; maxVersion: number }
  | { kind: 'probe'; magic: number }
  | { kind: 'version_select'; magic: number; sender: EndpointId; version: number }
  | { kind: 'drop_conn'; magic: number; sender: EndpointId; code: number; description: string }
  | { kind: 'originator_syn'; filter: string[] }
  | { kind: 'responder_syn_ack'; filter: string[] }
  | { kind: 'originator_ack' };

export function encodeHandshake(m: HandshakeMessage): Buffer {
  const w = new ByteWriter(64);
  w.u8(MSG[m.kind]);
  switch (m.kind) {
    case 'hello':
      w.u32(m.magic); w.bytes(m.sender.bytes); w.u8(m.minVersion); w.u8(m.maxVersion);
      break;
    case 'probe':
      w.u32(m.magic);
      break;
    case 'version_select':
      w.u32(m.magic); w.bytes(m.sender.bytes); w.u8(m.version);
      break;
    case 'drop_conn':
      w.u32(m.magic); w.bytes(m.sender.bytes); w.u8(m.code); w.string(m.description);
      break;
    case 'originator_syn':
    case 'responder_syn_ack':
      writeFilter(w, m.filter);
      break;
    case 'originator_ack':
      break;
  }
  return w.finish();
}

function writeFilter(w: ByteWriter, filter: readonly string[]): void {
  w.varbyte(filter.length);
  for (const t of filter) w.string(t);
}

function readFilter(r: ByteReader): string[] {
  const n = r.varbyte('the size of a filter');
  if (n > r.remaining) throw new WireError('invalid_message', `a filter of ${n} topic(s) cannot fit in ${r.remaining} byte(s)`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.string('a filter topic', `$.filter[${i}]`));
  return out;
}

function checkMagic(magic: number, what: string): void {
  if (magic !== MAGIC) throw new WireError('wrong_magic_number', `${what} carries magic number 0x${magic.toString(16)}, not 0x5a45454b`);
}

/**
 * Decodes a handshake message, applying Broker's own checks (wire_format.cc): the magic
 * number, and for hello and version_select a version range that includes version 1.
 * Anything else is a WireError whose code Broker would put in its drop_conn.
 */
export function decodeHandshake(bytes: Buffer): HandshakeMessage {
  const r = new ByteReader(bytes);
  let m: HandshakeMessage;
  try {
    const tag = r.u8('a message type');
    switch (tag) {
      case MSG.hello:
        m = { kind: 'hello', magic: r.u32(), sender: EndpointId.fromBytes(r.bytes(ENDPOINT_ID_BYTES, 'an endpoint id')), minVersion: r.u8(), maxVersion: r.u8() };
        break;
      case MSG.probe:
        m = { kind: 'probe', magic: r.u32() };
        break;
      case MSG.version_select:
        m = { kind: 'version_select', magic: r.u32(), sender: EndpointId.fromBytes(r.bytes(ENDPOINT_ID_BYTES, 'an endpoint id')), version: r.u8() };
        break;
      case MSG.drop_conn:
        m = { kind: 'drop_conn', magic: r.u32(), sender: EndpointId.fromBytes(r.bytes(ENDPOINT_ID_BYTES, 'an endpoint id')), code: r.u8(), description: r.string('a description') };
        break;
      case MSG.originator_syn:
        m = { kind: 'originator_syn', filter: readFilter(r) };
        break;
      case MSG.responder_syn_ack:
        m = { kind: 'responder_syn_ack', filter: readFilter(r) };
        break;
      case MSG.originator_ack:
        m = { kind: 'originator_ack' };
        break;
      default:
        throw new WireError('invalid_message', `message type ${tag} is not a handshake message (6..12)`);
    }
  } catch (err) {
    if (err instanceof WireError && err.code === 'deserialization_failed') throw new WireError('invalid_message', `malformed handshake message: ${err.detail}`);
    throw err;
  }
  if (r.remaining !== 0) throw new WireError('invalid_message', `${r.remaining} byte(s) after the end of a ${m.kind} message`);
  switch (m.kind) {
    case 'hello':
      checkMagic(m.magic, 'hello');
      if (m.minVersion > PROTOCOL_VERSION || m.maxVersion < PROTOCOL_VERSION) {
        throw new WireError('peer_incompatible', `hello offers protocol versions ${m.minVersion}..${m.maxVersion}, this endpoint speaks ${PROTOCOL_VERSION}`);
      }
      break;
    case 'probe':
      checkMagic(m.magic, 'probe');
      break;
    case 'version_select':
      checkMagic(m.magic, 'version_select');
      if (m.version !== PROTOCOL_VERSION) throw new WireError('peer_incompatible', `version_select chose protocol version ${m.version}, this endpoint speaks ${PROTOCOL_VERSION}`);
      break;
    case 'drop_conn':
      checkMagic(m.magic, 'drop_conn');
      break;
    default:
      break;
  }
  return m;
}

export type EnvelopeType = 'data' | 'command' | 'routing_update' | 'ping' | 'pong';
const ENVELOPE_TYPES: EnvelopeType[] = ['data', 'command', 'routing_update', 'ping', 'pong'];

export interface Envelope {
  sender: EndpointId;
  receiver: EndpointId;
  type: EnvelopeType;
  ttl: number;
  topic: string;
  /** The payload bytes as they came or will go. */
  payload: Buffer;
}

/** 16 + 16 + 1 + 2 + 2: the fixed part before the topic. */
export const ENVELOPE_HEADER = 37;

export function encodeEnvelope(e: Envelope): Buffer {
  const topicLength = Buffer.byteLength(e.topic, 'utf8');
  if (topicLength > 0xffff) throw new WireError('serialization_failed', `topic of ${topicLength} bytes exceeds Broker's 65,535`);
  const w = new ByteWriter(ENVELOPE_HEADER + topicLength + e.payload.length);
  w.bytes(e.sender.bytes);
  w.bytes(e.receiver.bytes);
  w.u8(MSG[e.type]);
  w.u16(e.ttl);
  w.u16(topicLength);
  w.bytes(Buffer.from(e.topic, 'utf8'));
  w.bytes(e.payload);
  return w.finish();
}

export function decodeEnvelope(bytes: Buffer): Envelope {
  if (bytes.length < ENVELOPE_HEADER) throw new WireError('invalid_data', `an envelope needs at least ${ENVELOPE_HEADER} bytes, got ${bytes.length}`);
  const r = new ByteReader(bytes);
  const sender = EndpointId.fromBytes(r.bytes(16, 'a sender id'));
  const receiver = EndpointId.fromBytes(r.bytes(16, 'a receiver id'));
  const code = r.u8();
  const type = ENVELOPE_TYPES[code - 1];
  if (type === undefined) throw new WireError('invalid_data', `envelope type ${code} is not 1..5`);
  const ttl = r.u16();
  const topicLength = r.u16();
  if (topicLength > r.remaining) throw new WireError('invalid_data', `topic length ${topicLength} exceeds the ${r.remaining} byte(s) left`);
  const topic = r.bytes(topicLength, 'a topic').toString('utf8');
  const payload = Buffer.from(r.bytes(r.remaining, 'a payload'));
  if (type === 'data' && payload.length === 0) throw new WireError('deserialization_failed', 'a data message without a value');
  return { sender, receiver, type, ttl, topic, payload };
}

export function dataEnvelope(sender: EndpointId, topic: string, value: BrokerData): Envelope {
  return { sender, receiver: EndpointId.NIL, type: 'data', ttl: DEFAULT_TTL, topic, payload: encodeBinary(value) };
}

export function dataOf(e: Envelope, limits: BinaryLimits = DEFAULT_BINARY_LIMITS): BrokerData {
  return decodeBinary(e.payload, limits);
}

/** A routing update announcing `filter` (routing_update_envelope.cc). */
export function routingUpdateEnvelope(sender: EndpointId, receiver: EndpointId, filter: readonly string[]): Envelope {
  const w = new ByteWriter(64);
  writeFilter(w, filter);
  return { sender, receiver, type: 'routing_update', ttl: DEFAULT_TTL, topic: RESERVED_TOPIC, payload: w.finish() };
}

export function filterOf(e: Envelope): string[] {
  const r = new ByteReader(e.payload);
  let f: string[];
  try {
    f = readFilter(r);
  } catch (err) {
    throw new WireError('invalid_message', `malformed routing update: ${err instanceof WireError ? err.detail : String(err)}`);
  }
  if (r.remaining !== 0) throw new WireError('invalid_message', `${r.remaining} byte(s) after the filter of a routing update`);
  return f;
}
