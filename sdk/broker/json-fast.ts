// A single-pass reader from JSON text straight to BrokerData, for the shapes Broker and
// zeek-client actually send: every value an object whose first key is "@data-type"
// and whose second and last key is "data"; table entries {"key", "value"} in that
// order; whitespace anywhere JSON allows it.
//
// It is only a fast path. On anything outside that subset, and on anything invalid,
// it gives up (returns undefined) and the caller takes the general path
// (parseJsonText + decodeData), which is the one authority on what is accepted and on
// the error reported. So whatever this reader accepts, the general path accepts too,
// with the same result; the tests check the two against each other.

import { BrokerData, I64_MAX, I64_MIN, PortProtocol, U64_MAX } from './data';
import type { DataMessage } from './messages';
import {
  checkAddress, checkSubnet, decodeData, DecodeLimits, DEFAULT_LIMITS, parseJsonText, parsePort, parseTimespan, parseTimestamp,
} from './json-codec';

/** Thrown inside the reader to abandon the fast path; never escapes this module. */
class GiveUp {}
const GIVE_UP = new GiveUp();

const NONE: BrokerData = Object.freeze({ type: 'none' }) as BrokerData;
const TRUE: BrokerData = Object.freeze({ type: 'boolean', value: true }) as BrokerData;
const FALSE: BrokerData = Object.freeze({ type: 'boolean', value: false }) as BrokerData;

// A JSON string with escapes, matched as a whole so that JSON.parse can unescape it.
const ESCAPED_STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

// Whole compact values (or container heads) as Broker and this codec write them, each
// checked by one sticky regex: a regex test runs at native speed, where checking the
// same characters one charCodeAt at a time costs several times more.
const STRING_VALUE = /\{"@data-type":"string","data":"[^"\\\u0000-\u001f]*"\}/y;
const STRING_PREFIX = '{"@data-type":"string","data":"'.length;
const ENUM_VALUE = /\{"@data-type":"enum-value","data":"[^"\\\u0000-\u001f]*"\}/y;
const ENUM_PREFIX = '{"@data-type":"enum-value","data":"'.length;
// At most 19 digits: every such count fits in 64 bits; longer ones take the general path.
const COUNT_VALUE = /\{"@data-type":"count","data":(?:0|[1-9]\d{0,18})\}/y;
const COUNT_PREFIX = '{"@data-type":"count","data":'.length;
const INTEGER_VALUE = /\{"@data-type":"integer","data":(?:0|-?[1-9]\d{0,17})\}/y;
const INTEGER_PREFIX = '{"@data-type":"integer","data":'.length;
const PORT_VALUE = /\{"@data-type":"port","data":"\d{1,5}\/(?:tcp|udp|icmp|\?)"\}/y;
const PORT_PREFIX = '{"@data-type":"port","data":"'.length;
const NONE_VALUE = /\{"@data-type":"none","data":\{\}\}/y;
const TRUE_VALUE = /\{"@data-type":"boolean","data":true\}/y;
const FALSE_VALUE = /\{"@data-type":"boolean","data":false\}/y;
const VECTOR_HEAD = /\{"@data-type":"vector","data":\[/y;
const SET_HEAD = /\{"@data-type":"set","data":\[/y;
const TABLE_HEAD = /\{"@data-type":"table","data":\[/y;
const ENTRY_KEY = /\{"key":/y;
const ENTRY_VALUE = /,"value":/y;

/** The value of the optionally signed decimal digits s[from, to), already checked by a regex. */
function digitsValue(s: string, from: number, to: number): bigint {
  // Up to 15 digits are exact in a double, which skips the string copy BigInt(text) needs.
  const negative = s.charCodeAt(from) === 45;
  const start = negative ? from + 1 : from;
  if (to - start > 15) return BigInt(s.slice(from, to));
  let n = 0;
  for (let i = start; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return BigInt(negative ? -n : n);
}

function at(re: RegExp, s: string, p: number): boolean {
  re.lastIndex = p;
  return re.test(s);
}

class Reader {
  pos = 0;
  constructor(private readonly s: string, private readonly maxDepth: number) {}

  ws(): void {
    const s = this.s;
    let p = this.pos;
    let c = s.charCodeAt(p);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++p);
    this.pos = p;
  }

  /** Skips whitespace, then requires the character `code`. */
  expect(code: number): void {
    this.ws();
    if (this.s.charCodeAt(this.pos) !== code) throw GIVE_UP;
    this.pos++;
  }

  /** Skips whitespace, then requires the literal `lit` (e.g. a quoted key). */
  literal(lit: string): void {
    this.ws();
    if (!this.s.startsWith(lit, this.pos)) throw GIVE_UP;
    this.pos += lit.length;
  }

  string(): string {
    this.ws();
    const s = this.s;
    const start = this.pos + 1;
    if (s.charCodeAt(this.pos) !== 34) throw GIVE_UP;
    const n = s.length;
    for (let i = start; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.pos = i + 1;
        return s.slice(start, i);
      }
      if (c === 92) return this.escapedString();
      if (c < 32) throw GIVE_UP;
    }
    throw GIVE_UP;
  }

  private escapedString(): string {
    ESCAPED_STRING.lastIndex = this.pos;
    const m = ESCAPED_STRING.exec(this.s);
    if (m === null) throw GIVE_UP;
    this.pos += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  /** The text of a JSON number, per JSON's grammar. */
  numberText(): string {
    this.ws();
    const s = this.s;
    const start = this.pos;
    let p = start;
    if (s.charCodeAt(p) === 45) p++;
    let c = s.charCodeAt(p);
    if (c === 48) c = s.charCodeAt(++p);
    else if (c >= 49 && c <= 57) {
      do c = s.charCodeAt(++p); while (c >= 48 && c <= 57);
    } else throw GIVE_UP;
    if (c === 46) {
      c = s.charCodeAt(++p);
      if (!(c >= 48 && c <= 57)) throw GIVE_UP;
      do c = s.charCodeAt(++p); while (c >= 48 && c <= 57);
    }
    if (c === 101 || c === 69) {
      c = s.charCodeAt(++p);
      if (c === 43 || c === 45) c = s.charCodeAt(++p);
      if (!(c >= 48 && c <= 57)) throw GIVE_UP;
      do c = s.charCodeAt(++p); while (c >= 48 && c <= 57);
    }
    this.pos = p;
    return s.slice(start, p);
  }

  /** A whole number within [min, max]; fractions, exponents and anything out of range give up. */
  wholeNumber(min: bigint, max: bigint): bigint {
    const t = this.numberText();
    // Whole numbers only; 20 digits (plus sign) is the most any 64-bit value needs.
    if (t.length > 21 || t.includes('.') || t.includes('e') || t.includes('E')) throw GIVE_UP;
    const v = BigInt(t);
    if (v < min || v > max) throw GIVE_UP;
    return v;
  }

  /** `{"@data-type": …, "data": …}` */
  value(depth: number): BrokerData {
    if (depth > this.maxDepth) throw GIVE_UP;
    const s = this.s;
    const p = this.pos;
    // Dispatch on the first letter(s) of the type name in the compact layout; the
    // regex then confirms every character. Anything else takes the general route.
    switch (s.charCodeAt(p + 15)) {
      case 115: // s
        if (s.charCodeAt(p + 16) === 116) {
          if (at(STRING_VALUE, s, p)) {
            this.pos = STRING_VALUE.lastIndex;
            return { type: 'string', value: s.slice(p + STRING_PREFIX, this.pos - 2) };
          }
        } else if (at(SET_HEAD, s, p)) {
          this.pos = SET_HEAD.lastIndex;
          return this.close({ type: 'set', value: this.elements(depth) });
        }
        break;
      case 118: // v
        if (at(VECTOR_HEAD, s, p)) {
          this.pos = VECTOR_HEAD.lastIndex;
          return this.close({ type: 'vector', value: this.elements(depth) });
        }
        break;
      case 101: // e
        if (at(ENUM_VALUE, s, p)) {
          this.pos = ENUM_VALUE.lastIndex;
          return { type: 'enum-value', value: s.slice(p + ENUM_PREFIX, this.pos - 2) };
        }
        break;
      case 99: // c
        if (at(COUNT_VALUE, s, p)) {
          this.pos = COUNT_VALUE.lastIndex;
          return { type: 'count', value: digitsValue(s, p + COUNT_PREFIX, this.pos - 1) };
        }
        break;
      case 105: // i
        if (at(INTEGER_VALUE, s, p)) {
          this.pos = INTEGER_VALUE.lastIndex;
          return { type: 'integer', value: digitsValue(s, p + INTEGER_PREFIX, this.pos - 1) };
        }
        break;
      case 110: // n
        if (at(NONE_VALUE, s, p)) {
          this.pos = NONE_VALUE.lastIndex;
          return NONE;
        }
        break;
      case 112: // p
        if (at(PORT_VALUE, s, p)) {
          // the regex guarantees 1-5 digits, a slash and one of the four protocols
          let q = p + PORT_PREFIX;
          let number = 0;
          for (let c = s.charCodeAt(q); c !== 47; c = s.charCodeAt(++q)) number = number * 10 + (c - 48);
          if (number <= 65535) {
            const c = s.charCodeAt(q + 1);
            const protocol: PortProtocol = c === 116 ? 'tcp' : c === 117 ? 'udp' : c === 105 ? 'icmp' : '?';
            this.pos = PORT_VALUE.lastIndex;
            return { type: 'port', value: { number, protocol } };
          }
        }
        break;
      case 116: // t
        if (s.charCodeAt(p + 16) === 97 && at(TABLE_HEAD, s, p)) {
          this.pos = TABLE_HEAD.lastIndex;
          return this.close({ type: 'table', value: this.entries(depth) });
        }
        break;
      case 98: // b
        if (at(TRUE_VALUE, s, p)) {
          this.pos = TRUE_VALUE.lastIndex;
          return TRUE;
        }
        if (at(FALSE_VALUE, s, p)) {
          this.pos = FALSE_VALUE.lastIndex;
          return FALSE;
        }
        break;
    }
    return this.general(depth);
  }

  /** Any value, with whitespace and escapes as JSON allows. */
  private general(depth: number): BrokerData {
    this.expect(123); // {
    this.literal('"@data-type"');
    this.expect(58); // :
    const type = this.string();
    this.expect(44); // ,
    this.literal('"data"');
    this.expect(58); // :
    return this.close(this.payload(type, depth));
  }

  /** The closing brace of a value object. */
  private close(d: BrokerData): BrokerData {
    if (this.s.charCodeAt(this.pos) === 125) this.pos++;
    else this.expect(125);
    return d;
  }

  /** Elements of a vector or set, after the opening bracket. */
  private elements(depth: number): BrokerData[] {
    const value: BrokerData[] = [];
    this.ws();
    if (this.s.charCodeAt(this.pos) === 93) {
      this.pos++;
      return value;
    }
    do value.push(this.value(depth + 1));
    while (this.more());
    return value;
  }

  /** Entries of a table, after the opening bracket. */
  private entries(depth: number): Array<[BrokerData, BrokerData]> {
    const value: Array<[BrokerData, BrokerData]> = [];
    const s = this.s;
    this.ws();
    if (s.charCodeAt(this.pos) === 93) {
      this.pos++;
      return value;
    }
    do {
      if (at(ENTRY_KEY, s, this.pos)) this.pos = ENTRY_KEY.lastIndex;
      else {
        this.expect(123);
        this.literal('"key"');
        this.expect(58);
      }
      const k = this.value(depth + 1);
      if (at(ENTRY_VALUE, s, this.pos)) this.pos = ENTRY_VALUE.lastIndex;
      else {
        this.expect(44);
        this.literal('"value"');
        this.expect(58);
      }
      const v = this.value(depth + 1);
      if (s.charCodeAt(this.pos) === 125) this.pos++;
      else this.expect(125);
      value.push([k, v]);
    } while (this.more());
    return value;
  }

  /** After an element of a JSON array: true if another follows, false at the closing bracket. */
  more(): boolean {
    let c = this.s.charCodeAt(this.pos);
    if (c !== 44 && c !== 93) {
      this.ws();
      c = this.s.charCodeAt(this.pos);
    }
    this.pos++;
    if (c === 44) return true;
    if (c === 93) return false;
    throw GIVE_UP;
  }

  payload(type: string, depth: number): BrokerData {
    switch (type) {
      case 'string':
        return { type: 'string', value: this.string() };
      case 'count':
        return { type: 'count', value: this.wholeNumber(0n, U64_MAX) };
      case 'enum-value':
        return { type: 'enum-value', value: this.string() };
      case 'vector':
        this.expect(91);
        return { type: 'vector', value: this.elements(depth) };
      case 'set':
        this.expect(91);
        return { type: 'set', value: this.elements(depth) };
      case 'none':
        this.expect(123);
        this.expect(125);
        return NONE;
      case 'port':
        return { type: 'port', value: parsePort(this.string()) };
      case 'integer':
        return { type: 'integer', value: this.wholeNumber(I64_MIN, I64_MAX) };
      case 'table':
        this.expect(91);
        return { type: 'table', value: this.entries(depth) };
      case 'boolean':
        this.ws();
        if (this.s.startsWith('true', this.pos)) { this.pos += 4; return TRUE; }
        if (this.s.startsWith('false', this.pos)) { this.pos += 5; return FALSE; }
        throw GIVE_UP;
      case 'address':
        return { type: 'address', value: checkAddress(this.string()) };
      case 'subnet':
        return { type: 'subnet', value: checkSubnet(this.string()) };
      case 'real': {
        const v = Number(this.numberText());
        if (!Number.isFinite(v)) throw GIVE_UP;
        return { type: 'real', value: v };
      }
      case 'timespan':
        return { type: 'timespan', value: parseTimespan(this.string()) };
      case 'timestamp':
        return { type: 'timestamp', value: parseTimestamp(this.string()) };
      default:
        throw GIVE_UP;
    }
  }

  end(): void {
    this.ws();
    if (this.pos !== this.s.length) throw GIVE_UP;
  }
}

/** The value of JSON text holding one Broker value, or undefined when the general path must decide. */
export function fastDecodeDataText(text: string, limits: DecodeLimits): BrokerData | undefined {
  if (text.length > limits.maxTextLength) return undefined;
  try {
    const r = new Reader(text, limits.maxDepth);
    const d = r.value(0);
    r.end();
    return d;
  } catch {
    return undefined;
  }
}

/**
 * A data message read in one pass, or undefined when the general path must decide. Keys
 * may come in any order (zeek-client sorts them: "@data-type", "data", "topic", "type"),
 * but "data" must directly follow "@data-type", as in every known sender.
 */
export function fastParseDataMessage(text: string, limits: DecodeLimits): DataMessage | undefined {
  if (text.length > limits.maxTextLength) return undefined;
  try {
    const r = new Reader(text, limits.maxDepth);
    r.expect(123);
    let topic: string | undefined;
    let sawType = false;
    let data: BrokerData | undefined;
    for (;;) {
      const key = r.string();
      r.expect(58);
      if (key === 'type') {
        if (sawType || r.string() !== 'data-message') return undefined;
        sawType = true;
      } else if (key === 'topic') {
        if (topic !== undefined) return undefined;
        topic = r.string();
      } else if (key === '@data-type') {
        if (data !== undefined) return undefined;
        const type = r.string();
        r.expect(44);
        r.literal('"data"');
        r.expect(58);
        data = r.payload(type, 0);
      } else {
        return undefined;
      }
      r.ws();
      const c = text.charCodeAt(r.pos++);
      if (c === 125) break;
      if (c !== 44) return undefined;
    }
    r.end();
    if (!sawType || data === undefined || topic === undefined || topic.length === 0 || topic.length > 1024) return undefined;
    return { type: 'data-message', topic, data };
  } catch {
    return undefined;
  }
}

/** JSON text of one Broker value (`{"@data-type":…,"data":…}`) to BrokerData, or a WireError naming the problem. */
export function decodeDataText(text: string, limits: DecodeLimits = DEFAULT_LIMITS): BrokerData {
  return fastDecodeDataText(text, limits) ?? decodeData(parseJsonText(text, limits), limits);
}
