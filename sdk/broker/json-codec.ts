// Broker's WebSocket JSON API v1 data representation: every value is
// {"@data-type": <type>, "data": <payload>}. This module turns untrusted JSON text
// into BrokerData (rejecting anything malformed with a WireError that says what and
// where). The way back, BrokerData to JSON text, is json-encode.ts.

import { isIP } from 'node:net';
import type { parse as LosslessParse } from 'lossless-json';
import { BrokerData, BrokerDataType, BROKER_DATA_TYPES, I64_MAX, I64_MIN, PortProtocol, U64_MAX } from './data';
import { WireError } from './errors';

// lossless-json is loaded on first need: most messages never take that path, and
// processes that start by the hundred (emulated nodes) save its load time.
let losslessParse: typeof LosslessParse | undefined;
function parseLossless(): typeof LosslessParse {
  losslessParse ??= (require('lossless-json') as typeof import('lossless-json')).parse;
  return losslessParse;
}

export interface DecodeLimits {
  /** Deepest nesting of Broker containers accepted. */
  maxDepth: number;
  /** Longest JSON text accepted, in UTF-16 code units. */
  maxTextLength: number;
}

export const DEFAULT_LIMITS: DecodeLimits = { maxDepth: 64, maxTextLength: 16 * 1024 * 1024 };

/** A JSON number kept as its source text, from the lossless parse path. */
class NumberText {
  constructor(readonly text: string) {}
}

// A number token with a fraction, an exponent or 16+ digits, in value position. Only
// such texts need the slow, lossless parse; false positives merely cost speed.
const NEEDS_LOSSLESS = /[:[,]\s*-?(?:\d{16,}|\d+(?:\.\d+(?:[eE][+-]?\d+)?|[eE][+-]?\d+))\s*[,}\]]/;

/** Parses JSON text, keeping the exact source text of numbers where precision matters. */
export function parseJsonText(text: string, limits: DecodeLimits = DEFAULT_LIMITS): unknown {
  if (text.length > limits.maxTextLength) {
    throw new WireError('deserialization_failed', `message of ${text.length} characters exceeds the limit of ${limits.maxTextLength}`);
  }
  try {
    if (!NEEDS_LOSSLESS.test(text)) return JSON.parse(text); // V8's JSON.parse is not recursive: any nesting is safe
    // lossless-json recurses per nesting level, so deep input is refused before it runs
    // out of stack. Each Broker level takes at most 3 JSON levels (value, array, table entry).
    const maxJsonDepth = 3 * (limits.maxDepth + 1) + 2;
    if (jsonDepthExceeds(text, maxJsonDepth)) throw new WireError('invalid_data', `values nest deeper than ${limits.maxDepth} levels`);
    return parseLossless()(text, null, (s: string) => new NumberText(s));
  } catch (err) {
    if (err instanceof WireError) throw err;
    const why = err instanceof RangeError ? 'nesting too deep' : (err as Error).message;
    throw new WireError('deserialization_failed', `malformed JSON: ${why}`);
  }
}

/** True if brackets and braces outside strings nest deeper than `max`. */
function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // skip the string, honouring escapes
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof NumberText);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof NumberText) return `the number ${v.text}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `the ${typeof v} ${String(v)}`;
}

const INTEGER_TEXT = /^-?(0|[1-9]\d*)$/;

/** Shortens long offending input for error messages. */
export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}… (${text.length} characters)` : text;
}

function integerOf(raw: unknown, type: 'count' | 'integer', path: string): bigint {
  let text: string;
  if (raw instanceof NumberText) text = raw.text;
  else if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) throw new WireError('invalid_data', `${type} must be a whole number, got ${raw}`, path);
    if (!Number.isSafeInteger(raw)) {
      // Only reachable when the caller parsed the JSON itself: the value already lost precision.
      throw new WireError('invalid_data', `${type} ${raw} is beyond 2^53 and was not parsed losslessly`, path);
    }
    text = String(raw);
  } else throw new WireError('invalid_data', `${type} must be a JSON integer, got ${describe(raw)}`, path);
  if (!INTEGER_TEXT.test(text)) throw new WireError('invalid_data', `${type} must be a whole number without decimal point or exponent, got ${clip(text)}`, path);
  // 2^64-1 has 20 digits: longer texts are out of range, and are not handed to BigInt
  // (whose decimal parse is quadratic in the number of digits).
  if (text.length > 21) {
    throw new WireError('invalid_data', type === 'count' ? `count ${clip(text)} exceeds 2^64-1` : `integer ${clip(text)} is outside the 64-bit signed range`, path);
  }
  const value = BigInt(text);
  if (type === 'count') {
    if (value < 0n) throw new WireError('invalid_data', `count must not be negative, got ${text}`, path);
    if (value > U64_MAX) throw new WireError('invalid_data', `count ${text} exceeds 2^64-1`, path);
  } else if (value < I64_MIN || value > I64_MAX) {
    throw new WireError('invalid_data', `integer ${text} is outside the 64-bit signed range`, path);
  }
  return value;
}

// Broker documents ns, us, ms, s, min, h and d; zeek-client sends whole days as "<n>d".
const TIMESPAN = /^(-?\d+)(ns|us|ms|s|min|h|d)$/;
const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1000n, ms: 1000000n, s: 1000000000n, min: 60000000000n, h: 3600000000000n, d: 86400000000000n,
};

export function parseTimespan(text: string, path = '$'): bigint {
  const m = TIMESPAN.exec(text);
  if (!m) throw new WireError('invalid_data', `timespan must look like <integer><ns|us|ms|s|min|h|d>, got ${JSON.stringify(clip(text))}`, path);
  if (m[1].length > 21) throw new WireError('invalid_data', `timespan ${clip(text)} overflows 64-bit nanoseconds`, path);
  const ns = BigInt(m[1]) * UNIT_NS[m[2]];
  if (ns < I64_MIN || ns > I64_MAX) throw new WireError('invalid_data', `timespan ${text} overflows 64-bit nanoseconds`, path);
  return ns;
}

/**
 * Renders a timespan the way Broker does: "0s" for zero, otherwise the coarsest of
 * s, ms, us, ns that keeps the value exact. (Broker's own parser, CAF's, knows no "d"
 * suffix, so none is ever emitted.)
 */
export function formatTimespan(ns: bigint): string {
  if (ns < I64_MIN || ns > I64_MAX) throw new WireError('serialization_failed', `timespan of ${ns}ns overflows 64-bit nanoseconds`);
  if (ns === 0n) return '0s';
  if (ns % 1000n !== 0n) return `${ns}ns`;
  if (ns % 1000000n !== 0n) return `${ns / 1000n}us`;
  if (ns % 1000000000n !== 0n) return `${ns / 1000000n}ms`;
  return `${ns / 1000000000n}s`;
}

// ISO 8601 as Broker (CAF) reads it: date, time, an optional fraction of 1 to 9 digits and
// an optional UTC offset (Z, +hh:mm, +hhmm or +hh). Without an offset the time is UTC.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function utcOffsetSeconds(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hh = Number(digits.slice(0, 2));
  const mm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hh > 23 || mm > 59) return NaN;
  return sign * (hh * 3600 + mm * 60);
}

export function parseTimestamp(text: string, path = '$'): bigint {
  const m = TIMESTAMP.exec(text);
  if (!m) throw new WireError('invalid_data', `timestamp must be ISO 8601 YYYY-MM-DDThh:mm:ss[.fraction], got ${JSON.stringify(clip(text))}`, path);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  // setUTCFullYear, unlike Date.UTC, takes years 0-99 literally.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  const offset = utcOffsetSeconds(m[8]);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59 || Number.isNaN(offset)) {
    throw new WireError('invalid_data', `timestamp ${JSON.stringify(text)} is not a valid date and time`, path);
  }
  const secs = BigInt(date.getTime() / 1000 + h * 3600 + mi * 60 + s - offset);
  const ns = secs * 1000000000n + BigInt((m[7] ?? '').padEnd(9, '0'));
  if (ns < I64_MIN || ns > I64_MAX) {
    throw new WireError('invalid_data', `timestamp ${JSON.stringify(text)} is outside the range of 64-bit nanoseconds since the epoch (1677-09-21 to 2262-04-11)`, path);
  }
  return ns;
}

/**
 * ISO 8601 in UTC, as Broker renders it: milliseconds always shown ("…T07:00:00.000"),
 * more digits only when the value has sub-millisecond precision.
 */
export function formatTimestamp(ns: bigint): string {
  if (ns < I64_MIN || ns > I64_MAX) throw new WireError('serialization_failed', `timestamp ${ns}ns is outside the range of 64-bit nanoseconds`);
  let secs = ns / 1000000000n;
  let frac = ns % 1000000000n;
  if (frac < 0n) { frac += 1000000000n; secs -= 1n; }
  const iso = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  let digits = frac.toString().padStart(9, '0');
  digits = digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits;
  return `${iso}.${digits}`;
}

const PORT = /^(\d{1,5})\/(tcp|udp|icmp|\?)$/;

export function parsePort(text: string, path = '$'): { number: number; protocol: PortProtocol } {
  const m = PORT.exec(text);
  if (!m || Number(m[1]) > 65535) {
    throw new WireError('invalid_data', `port must look like <0-65535>/<tcp|udp|icmp|?>, got ${JSON.stringify(clip(text))}`, path);
  }
  return { number: Number(m[1]), protocol: m[2] as PortProtocol };
}

// Node's isIP accepts IPv6 zone identifiers ("fe80::1%eth0"); Broker's addresses have none.
export function checkAddress(text: string, path = '$'): string {
  if (isIP(text) === 0 || text.includes('%')) throw new WireError('invalid_data', `address ${JSON.stringify(clip(text))} is not an IPv4 or IPv6 address`, path);
  return text;
}

export function checkSubnet(text: string, path = '$'): string {
  const slash = text.lastIndexOf('/');
  const addr = slash > 0 ? text.slice(0, slash) : '';
  const len = slash > 0 ? text.slice(slash + 1) : '';
  const family = addr.includes('%') ? 0 : isIP(addr);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || !/^\d{1,3}$/.test(len) || Number(len) > max) {
    throw new WireError('invalid_data', `subnet ${JSON.stringify(clip(text))} is not <address>/<prefix length>`, path);
  }
  return text;
}

function stringOf(raw: unknown, type: string, path: string): string {
  if (typeof raw !== 'string') throw new WireError('invalid_data', `${type} must be a JSON string, got ${describe(raw)}`, path);
  return raw;
}

function arrayOf(raw: unknown, type: string, path: string): unknown[] {
  if (!Array.isArray(raw)) throw new WireError('invalid_data', `${type} must be a JSON array, got ${describe(raw)}`, path);
  return raw;
}

const TYPE_SET = new Set<string>(BROKER_DATA_TYPES);

/** Turns a parsed JSON value into BrokerData, or throws a WireError naming the problem and its path. */
export function decodeData(json: unknown, limits: DecodeLimits = DEFAULT_LIMITS, path = '$', depth = 0): BrokerData {
  try {
    return decodeValue(json, limits, path, depth);
  } catch (err) {
    // Only reachable with a maxDepth set beyond what the stack can hold.
    if (err instanceof RangeError) throw new WireError('invalid_data', `values nest too deeply to decode (${err.message})`, path);
    throw err;
  }
}

function decodeValue(json: unknown, limits: DecodeLimits, path: string, depth: number): BrokerData {
  if (depth > limits.maxDepth) throw new WireError('invalid_data', `values nest deeper than ${limits.maxDepth} levels`, path);
  if (!isPlainObject(json)) throw new WireError('invalid_data', `expected a {"@data-type", "data"} object, got ${describe(json)}`, path);
  const type = json['@data-type'];
  if (typeof type !== 'string') throw new WireError('invalid_data', 'missing "@data-type" string', path);
  if (!TYPE_SET.has(type)) throw new WireError('invalid_tag', `unknown @data-type ${JSON.stringify(type)}`, path);
  if (!('data' in json)) throw new WireError('invalid_data', `${type} value has no "data" field`, path);
  const raw = json.data;
  const at = `${path}.data`;
  switch (type as BrokerDataType) {
    case 'none':
      if (!isPlainObject(raw) || Object.keys(raw).length !== 0) throw new WireError('invalid_data', `none must have data {}, got ${describe(raw)}`, at);
      return { type: 'none' };
    case 'boolean':
      if (typeof raw !== 'boolean') throw new WireError('invalid_data', `boolean must be true or false, got ${describe(raw)}`, at);
      return { type: 'boolean', value: raw };
    case 'count':
      return { type: 'count', value: integerOf(raw, 'count', at) };
    case 'integer':
      return { type: 'integer', value: integerOf(raw, 'integer', at) };
    case 'real': {
      const value = raw instanceof NumberText ? Number(raw.text) : raw;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new WireError('invalid_data', `real must be a JSON number, got ${describe(raw)}`, at);
      return { type: 'real', value };
    }
    case 'timespan':
      return { type: 'timespan', value: parseTimespan(stringOf(raw, 'timespan', at), at) };
    case 'timestamp':
      return { type: 'timestamp', value: parseTimestamp(stringOf(raw, 'timestamp', at), at) };
    case 'string':
      return { type: 'string', value: stringOf(raw, 'string', at) };
    case 'enum-value':
      return { type: 'enum-value', value: stringOf(raw, 'enum-value', at) };
    case 'address':
      return { type: 'address', value: checkAddress(stringOf(raw, 'address', at), at) };
    case 'subnet':
      return { type: 'subnet', value: checkSubnet(stringOf(raw, 'subnet', at), at) };
    case 'port':
      return { type: 'port', value: parsePort(stringOf(raw, 'port', at), at) };
    case 'vector':
    case 'set': {
      const items = arrayOf(raw, type, at);
      const value = new Array<BrokerData>(items.length);
      for (let i = 0; i < items.length; i++) value[i] = decodeValue(items[i], limits, `${at}[${i}]`, depth + 1);
      return { type, value } as BrokerData;
    }
    case 'table': {
      const items = arrayOf(raw, 'table', at);
      const value = new Array<[BrokerData, BrokerData]>(items.length);
      for (let i = 0; i < items.length; i++) {
        const entry = items[i];
        const ep = `${at}[${i}]`;
        if (!isPlainObject(entry) || !('key' in entry) || !('value' in entry)) {
          throw new WireError('invalid_data', `table entry must be an object with "key" and "value", got ${describe(entry)}`, ep);
        }
        value[i] = [decodeValue(entry.key, limits, `${ep}.key`, depth + 1), decodeValue(entry.value, limits, `${ep}.value`, depth + 1)];
      }
      return { type: 'table', value };
    }
  }
}
