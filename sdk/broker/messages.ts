// The messages of Broker's WebSocket JSON API v1: the subscription handshake, the
// server's ack, data messages and error messages. Envelopes are checked against the zod
// schemas of envelope-schemas.ts; the payload goes through the data codec. Well-formed
// envelopes are accepted by the equivalent zod-free checks of envelope-checks.ts, and
// zod is loaded only to decide on (and describe) the others: start-up time matters to
// the CLI, and zod is the largest module it would load.

import { BrokerData } from './data';
import { checkAck, checkDataEnvelope, checkErrorMessage, checkSubscriptions } from './envelope-checks';
import { BrokerErrorCode, WireError } from './errors';
import { decodeData, DecodeLimits, DEFAULT_LIMITS, parseJsonText } from './json-codec';
import { encodeDataFieldsAfter, encodeDataFieldsAfterParts, KnownTexts } from './json-encode';
import { fastParseDataMessage } from './json-fast';

export const WEBSOCKET_PATH = '/v1/messages/json';

export interface AckMessage { type: 'ack'; endpoint: string; version: string }
export interface DataMessage { type: 'data-message'; topic: string; data: BrokerData }
export interface ErrorMessage { type: 'error'; code: string; context: string }
export type ServerMessage = AckMessage | DataMessage | ErrorMessage;

type EnvelopeSchemas = typeof import('./envelope-schemas');
let envelopeSchemas: EnvelopeSchemas | undefined;
/** The zod schemas, loaded on the first envelope the zod-free checks turn down. */
function schemas(): EnvelopeSchemas {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  envelopeSchemas ??= require('./envelope-schemas') as EnvelopeSchemas;
  return envelopeSchemas;
}

/** The first message a client sends: its topic prefixes. */
export function parseSubscriptions(text: string, limits: DecodeLimits = DEFAULT_LIMITS): string[] {
  const json = parseJsonText(text, limits);
  const fast = checkSubscriptions(json);
  if (fast !== undefined) return fast;
  const { SubscriptionsSchema, issues } = schemas();
  const r = SubscriptionsSchema.safeParse(json);
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
  let topic = checkDataEnvelope(json);
  if (topic === undefined) {
    const { DataEnvelopeSchema, issues } = schemas();
    const env = DataEnvelopeSchema.safeParse(json);
    if (!env.success) throw new WireError('deserialization_failed', `not a data message: ${issues(env.error)}`);
    topic = env.data.topic;
  }
  return { type: 'data-message', topic, data: decodeData(json, limits) };
}

export function encodeDataMessage(topic: string, data: BrokerData): string {
  return encodeDataFieldsAfter(`{"type":"data-message","topic":${JSON.stringify(topic)},`, data);
}

/**
 * encodeDataMessage(topic, data) as consecutive parts, each subtree of `known` being the
 * one string given for it (json-encode's encodeDataFieldsAfterParts): for a message that
 * repeats a large subtree many times. Joined, the parts are encodeDataMessage's text.
 */
export function encodeDataMessageParts(topic: string, data: BrokerData, known: KnownTexts): string[] {
  return encodeDataFieldsAfterParts(`{"type":"data-message","topic":${JSON.stringify(topic)},`, data, known);
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
    const fastAck = checkAck(json);
    if (fastAck !== undefined) return fastAck;
    const { AckSchema, issues } = schemas();
    const r = AckSchema.safeParse(json);
    if (!r.success) throw new WireError('deserialization_failed', `malformed ack: ${issues(r.error)}`);
    return r.data;
  }
  if (type === 'error') {
    const fastError = checkErrorMessage(json);
    if (fastError !== undefined) return fastError;
    const { ErrorSchema, issues } = schemas();
    const r = ErrorSchema.safeParse(json);
    if (!r.success) throw new WireError('deserialization_failed', `malformed error message: ${issues(r.error)}`);
    return r.data;
  }
  if (type === 'data-message') return dataMessageFromJson(json, limits);
  throw new WireError('deserialization_failed', `unknown message type ${JSON.stringify(type ?? null)}`);
}
