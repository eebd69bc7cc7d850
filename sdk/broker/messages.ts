// The messages of Broker's WebSocket JSON API v1: the subscription handshake, the
// server's ack, data messages and error messages. Envelopes are checked with zod; the
// payload goes through the data codec.

import { z } from 'zod';
import { BrokerData } from './data';
import { BrokerErrorCode, WireError } from './errors';
import { decodeData, DecodeLimits, DEFAULT_LIMITS, encodeDataFieldsAfter, parseJsonText } from './json-codec';
import { fastParseDataMessage } from './json-fast';

export const WEBSOCKET_PATH = '/v1/messages/json';

export interface AckMessage { type: 'ack'; endpoint: string; version: string }
export interface DataMessage { type: 'data-message'; topic: string; data: BrokerData }
export interface ErrorMessage { type: 'error'; code: string; context: string }
export type ServerMessage = AckMessage | DataMessage | ErrorMessage;

const Subscriptions = z.array(z.string().max(1024)).max(1024);
const AckSchema = z.object({ type: z.literal('ack'), endpoint: z.string(), version: z.string() });
const ErrorSchema = z.object({ type: z.literal('error'), code: z.string(), context: z.string() });
const DataEnvelope = z.object({
  type: z.literal('data-message'),
  topic: z.string().min(1, 'topic must not be empty').max(1024),
  '@data-type': z.string(),
});

function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; ');
}

/** The first message a client sends: its topic prefixes. */
export function parseSubscriptions(text: string, limits: DecodeLimits = DEFAULT_LIMITS): string[] {
  const json = parseJsonText(text, limits);
  const r = Subscriptions.safeParse(json);
  if (!r.success) throw new WireError('deserialization_failed', `handshake must be a JSON array of topic strings: ${issues(r.error)}`);
  return r.data;
}

export function encodeSubscriptions(topics: string[]): string {
  return JSON.stringify(topics);
}

/** A data message as sent by a client: `{"type":"data-message","topic":…,"@data-type":…,"data":…}`. */
export function parseDataMessage(text: string, limits: DecodeLimits = DEFAULT_LIMITS): DataMessage {
  // The one-pass reader takes well-formed messages; on undefined the general path decides (and reports any error).
  return fastParseDataMessage(text, limits) ?? dataMessageFromJson(parseJsonText(text, limits), limits);
}

/** A data message from already-parsed JSON (numbers beyond 2^53 must have been kept exact, as parseJsonText does). */
export function dataMessageFromJson(json: unknown, limits: DecodeLimits = DEFAULT_LIMITS): DataMessage {
  const env = DataEnvelope.safeParse(json);
  if (!env.success) throw new WireError('deserialization_failed', `not a data message: ${issues(env.error)}`);
  return { type: 'data-message', topic: env.data.topic, data: decodeData(json, limits) };
}

export function encodeDataMessage(topic: string, data: BrokerData): string {
  return encodeDataFieldsAfter(`{"type":"data-message","topic":${JSON.stringify(topic)},`, data);
}

export function encodeAck(endpoint: string, version: string): string {
  return JSON.stringify({ type: 'ack', endpoint, version });
}

export function encodeError(code: BrokerErrorCode | string, context: string): string {
  return JSON.stringify({ type: 'error', code, context });
}

/** Anything a server sends to a client. */
export function parseServerMessage(text: string, limits: DecodeLimits = DEFAULT_LIMITS): ServerMessage {
  const fast = fastParseDataMessage(text, limits);
  if (fast !== undefined) return fast;
  const json = parseJsonText(text, limits);
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (type === 'ack') {
    const r = AckSchema.safeParse(json);
    if (!r.success) throw new WireError('deserialization_failed', `malformed ack: ${issues(r.error)}`);
    return r.data;
  }
  if (type === 'error') {
    const r = ErrorSchema.safeParse(json);
    if (!r.success) throw new WireError('deserialization_failed', `malformed error message: ${issues(r.error)}`);
    return r.data;
  }
  if (type === 'data-message') return dataMessageFromJson(json, limits);
  throw new WireError('deserialization_failed', `unknown message type ${JSON.stringify(type ?? null)}`);
}
