// Broker's WebSocket JSON API v1 data representation: every value is
// {"@data-type": <type>, "data": <payload>}. This module turns untrusted JSON text
// into BrokerData (rejecting anything malformed with a WireError that says what and
// where) and BrokerData back into JSON text.

import { parse as parseLossless } from 'lossless-json';
import { BrokerData, BrokerDataType, BROKER_DATA_TYPES, I64_MAX, I64_MIN, PortProtocol, U64_MAX } from './data';
import { WireError } from './errors';

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
    if (!NEEDS_LOSSLESS.test(text)) return JSON.parse(text);
    return parseLossless(text, null, (s: string) => new NumberText(s));
  } catch (err) {
    const why = err instanceof RangeError ? 'nesting too deep' : (err as Error).message;
    throw new WireError('deserialization_failed', `malformed JSON: ${why}`);
  }
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
  if (!INTEGER_TEXT.test(text)) throw new WireError('invalid_data', `${type} must be a whole number without decimal point or exponent, got ${text}`, path);
  const value = BigInt(text);
  if (type === 'count') {
    if (value < 0n) throw new WireError('invalid_data', `count must not be negative, got ${text}`, path);
    if (value > U64_MAX) throw new WireError('invalid_data', `count ${text} exceeds 2^64-1`, path);
  } else if (value < I64_MIN || value > I64_MAX) {
    throw new WireError('invalid_data', `integer ${text} is outside the 64-bit signed range`, path);
  }
  return value;
}

const TIMESPAN = /^(-?\d+)(ns|us|ms|s|min|h|d)$/;
const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1000n, ms: 1000000n, s: 1000000000n, min: 60000000000n, h: 3600000000000n, d: 86400000000000n,
};

export function parseTimespan(text: string, path = '$'): bigint {
  const m = TIMESPAN.exec(text);
  if (!m) throw new WireError('invalid_data', `timespan must look like <integer><ns|us|ms|s|min|h|d>, got ${JSON.stringify(text)}`, path);
  const ns = BigInt(m[1]) * UNIT_NS[m[2]];
  if (ns < I64_MIN || ns > I64_MAX) throw new WireError('invalid_data', `timespan ${text} overflows 64-bit nanoseconds`, path);
  return ns;
}

export function formatTimespan(ns: bigint): string {
  if (ns === 0n) return '0ns';
  for (const unit of ['d', 'h', 'min', 's', 'ms', 'us']) {
    if (ns % UNIT_NS[unit] === 0n) return `${ns / UNIT_NS[unit]}${unit}`;
  }
  return `${ns}ns`;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

export function parseTimestamp(text: string, path = '$'): bigint {
  const m = TIMESTAMP.exec(text);
  if (!m) throw new WireError('invalid_data', `timestamp must be ISO 8601 YYYY-MM-DDThh:mm:ss[.fraction], got ${JSON.stringify(text)}`, path);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (Number.isNaN(ms) || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 60) {
    throw new WireError('invalid_data', `timestamp ${JSON.stringify(text)} is not a valid date and time`, path);
  }
  const frac = (m[7] ?? '').padEnd(9, '0');
  return BigInt(ms) * 1000000n + BigInt(frac);
}

export function formatTimestamp(ns: bigint): string {
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
    throw new WireError('invalid_data', `port must look like <0-65535>/<tcp|udp|icmp|?>, got ${JSON.stringify(text)}`, path);
  }
  return { number: Number(m[1]), protocol: m[2] as PortProtocol };
}

import { isIP } from 'node:net';

export function checkAddress(text: string, path = '$'): string {
  if (isIP(text) === 0) throw new WireError('invalid_data', `address ${JSON.stringify(text)} is not an IPv4 or IPv6 address`, path);
  return text;
}

export function checkSubnet(text: string, path = '$'): string {
  const slash = text.lastIndexOf('/');
  const addr = slash > 0 ? text.slice(0, slash) : '';
  const len = slash > 0 ? text.slice(slash + 1) : '';
  const family = isIP(addr);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || !/^\d{1,3}$/.test(len) || Number(len) > max) {
    throw new WireError('invalid_data', `subnet ${JSON.stringify(text)} is not <address>/<prefix length>`, path);
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
      for (let i = 0; i < items.length; i++) value[i] = decodeData(items[i], limits, `${at}[${i}]`, depth + 1);
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
        value[i] = [decodeData(entry.key, limits, `${ep}.key`, depth + 1), decodeData(entry.value, limits, `${ep}.value`, depth + 1)];
      }
      return { type: 'table', value };
    }
  }
}

/** Appends the JSON text of one value; a hand-written writer since bigints must be emitted exactly. */
function write(d: BrokerData, out: string[]): void {
  switch (d.type) {
    case 'none':
      out.push('{"@data-type":"none","data":{}}');
      return;
    case 'boolean':
      out.push(d.value ? '{"@data-type":"boolean","data":true}' : '{"@data-type":"boolean","data":false}');
      return;
    case 'count':
    case 'integer':
      out.push(`{"@data-type":"${d.type}","data":${d.value.toString()}}`);
      return;
    case 'real':
      if (!Number.isFinite(d.value)) throw new WireError('serialization_failed', `real ${d.value} has no JSON representation`);
      out.push(`{"@data-type":"real","data":${JSON.stringify(d.value)}}`);
      return;
    case 'timespan':
      out.push(`{"@data-type":"timespan","data":"${formatTimespan(d.value)}"}`);
      return;
    case 'timestamp':
      out.push(`{"@data-type":"timestamp","data":"${formatTimestamp(d.value)}"}`);
      return;
    case 'string':
    case 'enum-value':
    case 'address':
    case 'subnet':
      out.push(`{"@data-type":"${d.type}","data":${JSON.stringify(d.value)}}`);
      return;
    case 'port':
      out.push(`{"@data-type":"port","data":"${d.value.number}/${d.value.protocol}"}`);
      return;
    case 'vector':
    case 'set': {
      out.push(`{"@data-type":"${d.type}","data":[`);
      for (let i = 0; i < d.value.length; i++) {
        if (i > 0) out.push(',');
        write(d.value[i], out);
      }
      out.push(']}');
      return;
    }
    case 'table': {
      out.push('{"@data-type":"table","data":[');
      for (let i = 0; i < d.value.length; i++) {
        if (i > 0) out.push(',');
        out.push('{"key":');
        write(d.value[i][0], out);
        out.push(',"value":');
        write(d.value[i][1], out);
        out.push('}');
      }
      out.push(']}');
      return;
    }
  }
}

/** The compact JSON text of a value: `{"@data-type":…,"data":…}`. */
export function encodeData(d: BrokerData): string {
  const out: string[] = [];
  write(d, out);
  return out.join('');
}

/** The value's fields (`"@data-type":…,"data":…`) without braces, for embedding in a message object. */
export function encodeDataFields(d: BrokerData): string {
  const s = encodeData(d);
  return s.slice(1, -1);
}
