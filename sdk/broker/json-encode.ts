// BrokerData to the JSON text of Broker's WebSocket JSON API v1
// ({"@data-type": <type>, "data": <payload>} for every value), checking each value as it
// goes: anything that has no wire form is a WireError with the path of the offending
// element, never malformed output.
//
// Speed. A 1,000-node configuration is some 20,000 values and 900 kB of text. Building
// it by string concatenation costs little per character but a fair amount per piece
// (every `+` of a long enough string makes a rope node that the final flatten walks).
// So the writer tells apart constant text (type heads, brackets, separators, closers),
// which it glues together through a table of interned concatenations, from variable text
// (strings, digits), which it appends as it is: a string inside a vector then costs two
// pieces ("},{"@data-type":"string","data":"  and  the string) instead of five.

import { isIP } from 'node:net';
import { BrokerData, I64_MAX, I64_MIN, U64_MAX } from './data';
import { WireError } from './errors';
import { checkSubnet, clip, formatTimespan, formatTimestamp } from './json-codec';

// ---- constant fragments -------------------------------------------------------------

// Each fragment is a constant piece of output; its index is its id.
const FRAGMENT_TEXTS = [
  '', // 0: nothing (the glue table's root)
  '{', // 1: first element of an array
  ',{', // 2: next element of an array
  ']}', // 3: end of a vector, set or table value
  '}', // 4: end of a number, boolean or table entry
  '"}', // 5: end of a quoted payload
  '{"key":{', // 6: first table entry
  ',{"key":{', // 7: next table entry
  ',"value":{', // 8: from an entry's key to its value
  '"@data-type":"none","data":{}}',
  '"@data-type":"boolean","data":true}',
  '"@data-type":"boolean","data":false}',
  '"@data-type":"count","data":',
  '"@data-type":"integer","data":',
  '"@data-type":"real","data":',
  '"@data-type":"timespan","data":"',
  '"@data-type":"timestamp","data":"',
  '"@data-type":"string","data":"',
  '"@data-type":"enum-value","data":"',
  '"@data-type":"address","data":"',
  '"@data-type":"subnet","data":"',
  '"@data-type":"port","data":"',
  '/tcp"}',
  '/udp"}',
  '/icmp"}',
  '/?"}',
  '"@data-type":"vector","data":[',
  '"@data-type":"set","data":[',
  '"@data-type":"table","data":[',
] as const;

const OPEN = 1;
const NEXT_OPEN = 2;
const ARRAY_END = 3;
const BRACE_END = 4;
const QUOTE_END = 5;
const KEY_OPEN = 6;
const NEXT_KEY_OPEN = 7;
const VALUE_OPEN = 8;
const NONE_BODY = 9;
const TRUE_BODY = 10;
const FALSE_BODY = 11;
const COUNT_HEAD = 12;
const INTEGER_HEAD = 13;
const REAL_HEAD = 14;
const TIMESPAN_HEAD = 15;
const TIMESTAMP_HEAD = 16;
const STRING_HEAD = 17;
const ENUM_HEAD = 18;
const ADDRESS_HEAD = 19;
const SUBNET_HEAD = 20;
const PORT_HEAD = 21;
const PORT_END: Readonly<Record<string, number>> = { tcp: 22, udp: 23, icmp: 24, '?': 25 };
const VECTOR_HEAD = 26;
const SET_HEAD = 27;
const TABLE_HEAD = 28;
const FRAGMENTS = FRAGMENT_TEXTS.length;

// ---- the glue table -------------------------------------------------------------------

/**
 * Interned concatenations of fragments: id 0 is the empty text; `extend(id, f)` is the
 * id of text(id) + fragment f. Between two variable pieces there is only ever a short
 * run of fragments (closers, a separator, a type head), so a handful of ids covers
 * real data. Runs longer than MAX_GLUE_LENGTH characters are not interned, and past
 * MAX_GLUE ids (deliberately odd shapes) nothing more is: extend answers -1 and the
 * writer flushes the run instead. One table, at most ~256 kB, serves every encode.
 */
const MAX_GLUE = 1024;
const MAX_GLUE_LENGTH = 256;
const glueTexts: string[] = [''];
let glueNext = new Int32Array(64 * FRAGMENTS);

function extend(id: number, fragment: number): number {
  const k = id * FRAGMENTS + fragment;
  if (k < glueNext.length) {
    const known = glueNext[k];
    if (known !== 0) return known;
  }
  if (glueTexts.length >= MAX_GLUE || glueTexts[id].length + FRAGMENT_TEXTS[fragment].length > MAX_GLUE_LENGTH) return -1;
  const nid = glueTexts.length;
  // Stored flat: the text is a leaf of every output it lands in.
  glueTexts.push(flat(glueTexts[id] + FRAGMENT_TEXTS[fragment]));
  if (k >= glueNext.length) {
    const grown = new Int32Array(Math.max(glueNext.length * 2, (id + 1) * FRAGMENTS));
    grown.set(glueNext);
    glueNext = grown;
  }
  glueNext[k] = nid;
  return nid;
}

/** How many fragment runs the glue table holds (it stops interning at MAX_GLUE). For tests and diagnostics. */
export function gluedRuns(): { count: number; max: number } {
  return { count: glueTexts.length, max: MAX_GLUE };
}

/** A flat copy of an ASCII string (concatenation may leave a rope). */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

// ---- the text sink ----------------------------------------------------------------

/**
 * Output text. Constant fragments accumulate as one glue id; a variable piece first
 * appends the pending glue text, then itself. Appends go onto a chunk string (V8
 * concatenation builds a rope) and every CHUNK appends the chunk is set aside; the
 * chunks are joined once at the end, which flattens them into one string.
 */
class TextSink {
  private cur = '';
  private n = 0;
  private readonly chunks: string[] = [];
  private glue = 0;

  /** Adds a constant fragment. */
  fragment(f: number): void {
    const next = extend(this.glue, f);
    if (next >= 0) {
      this.glue = next;
      return;
    }
    this.append(glueTexts[this.glue]);
    this.glue = f; // fragment ids are the ids of their own text
  }

  /** Adds variable text. */
  piece(s: string): void {
    if (this.glue !== 0) {
      this.append(glueTexts[this.glue]);
      this.glue = 0;
    }
    if (s.length !== 0) this.append(s);
  }

  /**
   * Adds variable text that goes out as a part of its own in parts() (a long text written
   * many times, such as a shared subtree's: every part that holds it is the same string).
   */
  part(s: string): void {
    this.piece('');
    if (this.cur.length !== 0) {
      this.chunks.push(this.cur);
      this.cur = '';
      this.n = 0;
    }
    this.chunks.push(s);
  }

  private append(x: string): void {
    this.cur += x;
    if (++this.n === CHUNK) {
      this.chunks.push(this.cur);
      this.cur = '';
      this.n = 0;
    }
  }

  text(): string {
    return this.parts().join('');
  }

  /** The text as consecutive parts, not joined. */
  parts(): string[] {
    this.piece('');
    if (this.cur.length !== 0 || this.chunks.length === 0) this.chunks.push(this.cur);
    this.cur = '';
    return this.chunks;
  }
}
const CHUNK = 1024;

// The fragment ids 1..FRAGMENTS-1 must be the ids of their own texts (TextSink.fragment
// relies on it): intern them first, in order.
for (let f = 1; f < FRAGMENTS; f++) extend(0, f);

// ---- values -----------------------------------------------------------------------

const PROTOCOLS: ReadonlySet<string> = new Set(['tcp', 'udp', 'icmp', '?']);

// Characters JSON.stringify would escape: quote, backslash, controls, and surrogates
// (which it escapes when unpaired).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function encodeFailure(detail: string): WireError {
  return new WireError('serialization_failed', detail);
}

/** Re-raises an error from inside a container with the element's position prefixed to its path. */
function nested(err: unknown, segment: string): unknown {
  if (!(err instanceof WireError)) return err;
  return new WireError(err.code, err.detail, `$${segment}${err.path === '$' ? '' : err.path.slice(1)}`);
}

function describeValue(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    if (s !== undefined) return clip(s);
  } catch { /* bigint inside, or cyclic */ }
  return typeof v;
}

/** Renders a real so that Broker reads it back as a double: always with a fraction or an exponent. */
function formatReal(v: number): string {
  if (!Number.isFinite(v)) throw encodeFailure(`real ${v} has no JSON representation`);
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  return Number.isInteger(v) && !s.includes('e') ? `${s}.0` : s;
}

/** The inside of a JSON string literal for `v`. */
function quotedInside(v: string): string {
  return NEEDS_ESCAPE.test(v) ? JSON.stringify(v).slice(1, -1) : v;
}

/**
 * Texts known in advance: a value (by identity) mapped to its body text, what writeBody
 * would write for it (encodeDataFieldsAfter('', value)). A subtree shared by many parents
 * is then encoded once and written as that one string wherever it occurs.
 */
export type KnownTexts = ReadonlyMap<BrokerData, string>;

/** Writes a value's JSON text without its opening brace (`"@data-type":…,"data":…}`), so that a data message can embed it. */
function writeBody(d: BrokerData, out: TextSink, known?: KnownTexts): void {
  if (typeof d !== 'object' || d === null) throw encodeFailure(`expected Broker data, got ${d === null ? 'null' : typeof d}`);
  if (known !== undefined) {
    const text = known.get(d);
    if (text !== undefined) {
      out.part(text);
      return;
    }
  }
  switch (d.type) {
    case 'none':
      out.fragment(NONE_BODY);
      return;
    case 'boolean':
      if (d.value === true) out.fragment(TRUE_BODY);
      else if (d.value === false) out.fragment(FALSE_BODY);
      else throw encodeFailure(`boolean value must be true or false, got ${typeof d.value}`);
      return;
    case 'count': {
      const v = d.value;
      if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) throw encodeFailure(`count must be a bigint in 0..2^64-1, got ${typeof v === 'bigint' ? v : typeof v}`);
      out.fragment(COUNT_HEAD);
      out.piece(v.toString());
      out.fragment(BRACE_END);
      return;
    }
    case 'integer': {
      const v = d.value;
      if (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX) throw encodeFailure(`integer must be a bigint in -2^63..2^63-1, got ${typeof v === 'bigint' ? v : typeof v}`);
      out.fragment(INTEGER_HEAD);
      out.piece(v.toString());
      out.fragment(BRACE_END);
      return;
    }
    case 'real': {
      const v: unknown = d.value;
      if (typeof v !== 'number') throw encodeFailure(`real must be a number, got ${typeof v}`);
      out.fragment(REAL_HEAD);
      out.piece(formatReal(v));
      out.fragment(BRACE_END);
      return;
    }
    case 'timespan': {
      const v: unknown = d.value;
      if (typeof v !== 'bigint') throw encodeFailure(`timespan must be bigint nanoseconds, got ${typeof v}`);
      out.fragment(TIMESPAN_HEAD);
      out.piece(formatTimespan(v));
      out.fragment(QUOTE_END);
      return;
    }
    case 'timestamp': {
      const v: unknown = d.value;
      if (typeof v !== 'bigint') throw encodeFailure(`timestamp must be bigint nanoseconds since the epoch, got ${typeof v}`);
      out.fragment(TIMESTAMP_HEAD);
      out.piece(formatTimestamp(v));
      out.fragment(QUOTE_END);
      return;
    }
    case 'string': {
      const v: unknown = d.value;
      if (typeof v !== 'string') throw encodeFailure(`string value must be a string, got ${typeof v}`);
      out.fragment(STRING_HEAD);
      out.piece(quotedInside(v));
      out.fragment(QUOTE_END);
      return;
    }
    case 'enum-value': {
      const v: unknown = d.value;
      if (typeof v !== 'string' || v === '') throw encodeFailure(`enum-value must be a non-empty string, got ${describeValue(v)}`);
      out.fragment(ENUM_HEAD);
      out.piece(quotedInside(v));
      out.fragment(QUOTE_END);
      return;
    }
    case 'address': {
      const v: unknown = d.value;
      if (typeof v !== 'string' || isIP(v) === 0 || v.includes('%')) throw encodeFailure(`address ${describeValue(v)} is not an IPv4 or IPv6 address`);
      out.fragment(ADDRESS_HEAD);
      out.piece(v);
      out.fragment(QUOTE_END);
      return;
    }
    case 'subnet': {
      const v: unknown = d.value;
      if (typeof v !== 'string') throw encodeFailure(`subnet must be a string, got ${typeof v}`);
      try { checkSubnet(v); } catch (e) { throw encodeFailure((e as WireError).detail); }
      out.fragment(SUBNET_HEAD);
      out.piece(v);
      out.fragment(QUOTE_END);
      return;
    }
    case 'port': {
      const p = d.value;
      if (typeof p !== 'object' || p === null || !Number.isInteger(p.number) || p.number < 0 || p.number > 65535 || !PROTOCOLS.has(p.protocol)) {
        throw encodeFailure(`port must have a number in 0..65535 and protocol tcp, udp, icmp or ?, got ${describeValue(p)}`);
      }
      out.fragment(PORT_HEAD);
      out.piece(String(p.number));
      out.fragment(PORT_END[p.protocol]);
      return;
    }
    case 'vector':
    case 'set': {
      const xs: unknown = d.value;
      if (!Array.isArray(xs)) throw encodeFailure(`${d.type} value must be an array, got ${typeof xs}`);
      out.fragment(d.type === 'vector' ? VECTOR_HEAD : SET_HEAD);
      let i = 0;
      try {
        for (; i < xs.length; i++) {
          out.fragment(i === 0 ? OPEN : NEXT_OPEN);
          writeBody(xs[i] as BrokerData, out, known);
        }
      } catch (e) {
        throw nested(e, `.data[${i}]`);
      }
      out.fragment(ARRAY_END);
      return;
    }
    case 'table': {
      const xs: unknown = d.value;
      if (!Array.isArray(xs)) throw encodeFailure(`table value must be an array of [key, value] pairs, got ${typeof xs}`);
      out.fragment(TABLE_HEAD);
      for (let i = 0; i < xs.length; i++) {
        const kv: unknown = xs[i];
        if (!Array.isArray(kv) || kv.length !== 2) throw nested(encodeFailure('table entries must be [key, value] pairs'), `.data[${i}]`);
        out.fragment(i === 0 ? KEY_OPEN : NEXT_KEY_OPEN);
        try { writeBody(kv[0] as BrokerData, out, known); } catch (e) { throw nested(e, `.data[${i}].key`); }
        out.fragment(VALUE_OPEN);
        try { writeBody(kv[1] as BrokerData, out, known); } catch (e) { throw nested(e, `.data[${i}].value`); }
        out.fragment(BRACE_END);
      }
      out.fragment(ARRAY_END);
      return;
    }
    default:
      throw encodeFailure(`unknown Broker data type ${describeValue((d as { type?: unknown }).type)}`);
  }
}

/**
 * `prefix` followed by the value's fields and closing brace: `prefix + '"@data-type":…,"data":…}'`.
 * Used to put a value's fields straight into an enclosing object, e.g. a data message.
 */
export function encodeDataFieldsAfter(prefix: string, d: BrokerData): string {
  return writeAfter(prefix, d).text();
}

/**
 * encodeDataFieldsAfter(prefix, d) as consecutive parts instead of one string: each known
 * subtree (see KnownTexts) is a part of its own, the very string given, so a text that
 * repeats one large subtree many times takes the memory of that subtree once plus the rest.
 * Joined, the parts are exactly encodeDataFieldsAfter(prefix, d).
 */
export function encodeDataFieldsAfterParts(prefix: string, d: BrokerData, known: KnownTexts): string[] {
  return writeAfter(prefix, d, known).parts();
}

function writeAfter(prefix: string, d: BrokerData, known?: KnownTexts): TextSink {
  const out = new TextSink();
  out.piece(prefix);
  try {
    writeBody(d, out, known);
  } catch (err) {
    if (err instanceof RangeError) throw encodeFailure(`value nests too deeply to encode (${err.message})`);
    throw err;
  }
  return out;
}

/** The JSON text of one value: `{"@data-type":…,"data":…}`. */
export function encodeData(d: BrokerData): string {
  return encodeDataFieldsAfter('{', d);
}

/** A value's fields without the enclosing braces, for embedding in another object. */
export function encodeDataFields(d: BrokerData): string {
  return encodeDataFieldsAfter('', d).slice(0, -1);
}
