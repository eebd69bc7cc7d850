// Hand-written checks of the envelopes of Broker's WebSocket JSON API v1 messages (the
// handshake's topic array, the ack, the error message and the data message's outer
// fields), equivalent to the zod schemas in envelope-schemas.ts. They let a client
// accept well-formed messages without loading zod, which is the largest part of the
// CLI's start-up. When a check says no, messages.ts runs the zod schema, which stays the
// authority: it decides, and its issues make the error message. So the checks can only
// make acceptance faster, never looser, as long as they accept nothing the schemas
// reject; test/broker-envelope-checks.test.ts checks the two against each other.
//
// They follow zod's rules exactly: an object is any non-null, non-array object and its
// fields are read as plain property reads; a string's maximum length counts Unicode
// code points (a surrogate pair is one), as zod does.

import type { AckMessage, ErrorMessage } from './messages';

/** Most topic prefixes in a handshake, and longest topic, in code points. */
export const MAX_SUBSCRIPTIONS = 1024;
export const MAX_TOPIC_LENGTH = 1024;

/** Unicode code points in `s`: a high surrogate followed by a low one counts once. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

/** A string of at most `max` code points (zod's `.max(max)` on a string). */
function withinMax(s: string, max: number): boolean {
  // A code point is one or two UTF-16 units, so counting is only needed past `max` units.
  return s.length <= max || codePointLength(s) <= max;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The handshake: a JSON array of at most 1024 topic strings of at most 1024 code points. */
export function checkSubscriptions(json: unknown): string[] | undefined {
  if (!Array.isArray(json) || json.length > MAX_SUBSCRIPTIONS) return undefined;
  const out = new Array<string>(json.length);
  for (let i = 0; i < json.length; i++) {
    const t: unknown = json[i];
    if (typeof t !== 'string' || !withinMax(t, MAX_TOPIC_LENGTH)) return undefined;
    out[i] = t;
  }
  return out;
}

/** `{"type":"ack","endpoint":…,"version":…}`; other fields are dropped. */
export function checkAck(json: unknown): AckMessage | undefined {
  if (!isObject(json)) return undefined;
  const { type, endpoint, version } = json;
  if (type !== 'ack' || typeof endpoint !== 'string' || typeof version !== 'string') return undefined;
  return { type, endpoint, version };
}

/** `{"type":"error","code":…,"context":…}`; other fields are dropped. */
export function checkErrorMessage(json: unknown): ErrorMessage | undefined {
  if (!isObject(json)) return undefined;
  const { type, code, context } = json;
  if (type !== 'error' || typeof code !== 'string' || typeof context !== 'string') return undefined;
  return { type, code, context };
}

/**
 * The outer fields of a data message: `"type":"data-message"`, a topic of 1 to 1024
 * code points and an "@data-type" string (the value itself is the data codec's to check).
 * Returns the topic.
 */
export function checkDataEnvelope(json: unknown): string | undefined {
  if (!isObject(json)) return undefined;
  const topic = json.topic;
  if (json.type !== 'data-message' || typeof topic !== 'string' || topic.length < 1 || !withinMax(topic, MAX_TOPIC_LENGTH)) return undefined;
  if (typeof json['@data-type'] !== 'string') return undefined;
  return topic;
}
