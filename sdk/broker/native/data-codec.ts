// BrokerData <-> Broker's binary data format (format/bin.hh, broker::format::bin::v1).
//
// Every value is one tag byte (the index of the type in broker::variant_tag) and a body:
//   0 none       nothing              7 subnet     16 address bytes, 1 raw prefix length
//   1 boolean    1 byte, 0 or 1       8 port       u16 number, u8 protocol (0 ? 1 tcp 2 udp 3 icmp)
//   2 count      u64                  9 timestamp  i64 nanoseconds since the epoch
//   3 integer    i64                 10 timespan   i64 nanoseconds
//   4 real       8 bytes (CAF pack)  11 enum       varbyte length, name bytes
//   5 string     varbyte length,     12 set        varbyte count, elements
//                UTF-8 bytes         13 table      varbyte count, key value key value ...
//   6 address    16 bytes            14 vector     varbyte count, elements
// Multi-byte numbers are big-endian. See README.md beside this file.

import { BrokerData, I64_MAX, I64_MIN, PortProtocol, U64_MAX } from '../data';
import { WireError } from '../errors';
import { addressToBytes, bytesToAddress, bytesToSubnet, subnetToBytes } from './address';
import { ByteReader, ByteWriter } from './bytes';
import { packDouble, packsAsIeee, unpackDouble, unpacksAsIeee } from './caf-double';

// The tags, as constants for the hot paths (a property of TAG would be loaded on every
// use) and as TAG by type name.
const T_NONE = 0;
const T_BOOLEAN = 1;
const T_COUNT = 2;
const T_INTEGER = 3;
const T_REAL = 4;
const T_STRING = 5;
const T_ADDRESS = 6;
const T_SUBNET = 7;
const T_PORT = 8;
const T_TIMESTAMP = 9;
const T_TIMESPAN = 10;
const T_ENUM_VALUE = 11;
const T_SET = 12;
const T_TABLE = 13;
const T_VECTOR = 14;

export const TAG = {
  none: T_NONE, boolean: T_BOOLEAN, count: T_COUNT, integer: T_INTEGER, real: T_REAL, string: T_STRING,
  address: T_ADDRESS, subnet: T_SUBNET, port: T_PORT, timestamp: T_TIMESTAMP, timespan: T_TIMESPAN,
  'enum-value': T_ENUM_VALUE, set: T_SET, table: T_TABLE, vector: T_VECTOR,
} as const;

const PROTOCOLS: PortProtocol[] = ['?', 'tcp', 'udp', 'icmp'];
const PROTOCOL_CODE: Record<PortProtocol, number> = { '?': 0, tcp: 1, udp: 2, icmp: 3 };

export interface BinaryLimits {
  /** Deepest nesting of containers accepted when decoding. */
  maxDepth: number;
}

export const DEFAULT_BINARY_LIMITS: BinaryLimits = { maxDepth: 64 };

function failEncode(detail: string, path = '$'): never {
  throw new WireError('serialization_failed', detail, path);
}

// Paths are built only for errors: a container catches its element's error and puts the
// element's position in front of the path, so the common case allocates no path strings.
function under(err: unknown, segment: string): unknown {
  if (!(err instanceof WireError)) return err;
  const rest = err.path === '' || err.path === '$' ? '' : err.path.slice(1);
  return new WireError(err.code, err.detail, `$${segment}${rest}`);
}

// Repeated set elements and table keys are found by their encoded bytes. A container of
// a few elements compares each one with those before it. A larger one keeps its elements
// in an open-addressing table by a hash of a sample of their bytes and compares the bytes
// of those with the same hash; should more than a few share one, or a lookup run long
// (only input made for it does either), the container falls back to a Set of every
// element's bytes as a string, so hostile input costs no more than the plain Set would.
// Nothing is sized by a count read from the wire: the table grows with the elements seen.
const COMPARE_UP_TO = 8;
/** Elements with the same hash, and slots looked at, before falling back to the Set. */
const LONGEST_CHAIN = 8;
const LONGEST_PROBE = 64;

interface WrittenBytes {
  keyOf(from: number, to: number): string;
  hashOf(from: number, to: number): number;
  sameBytes(a: number, aEnd: number, b: number, bEnd: number): boolean;
}

class RepeatCheck {
  /** from, to of each element so far. */
  private readonly bounds: number[] = [];
  /** Open addressing: 1 + the index of an element, or 0 for a free slot; hashes[i] is element i's hash. */
  private slots: Int32Array | undefined;
  private hashes: number[] | undefined;
  private keys: Set<string> | undefined;

  constructor(private readonly src: WrittenBytes, size: number) {
    if (size > COMPARE_UP_TO) {
      this.slots = new Int32Array(4 * COMPARE_UP_TO);
      this.hashes = [];
    }
  }

  /** Records the element at [from, to); false if an earlier one had the same bytes. */
  add(from: number, to: number): boolean {
    const src = this.src;
    const b = this.bounds;
    if (this.keys !== undefined) return this.addKey(from, to);
    const slots = this.slots;
    const hashes = this.hashes;
    if (slots === undefined || hashes === undefined) {
      for (let j = 0; j < b.length; j += 2) if (src.sameBytes(b[j], b[j + 1], from, to)) return false;
      b.push(from, to);
      return true;
    }
    const h = src.hashOf(from, to);
    const mask = slots.length - 1;
    let chain = 0;
    let probes = 0;
    let i = h & mask;
    for (let e = slots[i]; e !== 0; e = slots[i]) {
      if (hashes[e - 1] === h) {
        if (src.sameBytes(b[2 * e - 2], b[2 * e - 1], from, to)) return false;
        chain++;
      }
      if (chain > LONGEST_CHAIN || ++probes > LONGEST_PROBE) {
        this.keys = new Set<string>();
        for (let j = 0; j < b.length; j += 2) this.keys.add(src.keyOf(b[j], b[j + 1]));
        return this.addKey(from, to);
      }
      i = (i + 1) & mask;
    }
    hashes.push(h);
    b.push(from, to);
    slots[i] = hashes.length;
    if (2 * hashes.length > slots.length) this.grow();
    return true;
  }

  /** Doubles the table, keeping it at most half full. */
  private grow(): void {
    const hashes = this.hashes as number[];
    const slots = new Int32Array(2 * (this.slots as Int32Array).length);
    const mask = slots.length - 1;
    for (let e = 0; e < hashes.length; e++) {
      let i = hashes[e] & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = e + 1;
    }
    this.slots = slots;
  }

  private addKey(from: number, to: number): boolean {
    const keys = this.keys as Set<string>;
    const key = this.src.keyOf(from, to);
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  }
}

/** Appends the tag and body of `d`; throws WireError for values Broker cannot hold. */
export function writeData(w: ByteWriter, d: BrokerData): void {
  const path = '$';
  switch (d.type) {
    case 'string':
      w.taggedString(T_STRING, d.value);
      return;
    case 'none':
      w.u8(T_NONE);
      return;
    case 'vector': {
      const xs = d.value;
      w.taggedLength(T_VECTOR, xs.length);
      for (let i = 0; i < xs.length; i++) {
        try { writeData(w, xs[i]); } catch (err) { throw under(err, `[${i}]`); }
      }
      return;
    }
    case 'enum-value':
      w.taggedString(T_ENUM_VALUE, d.value);
      return;
    case 'boolean':
      w.u8u8(T_BOOLEAN, d.value ? 1 : 0);
      return;
    case 'count': {
      const v = d.value;
      const n = Number(v);
      if (Number.isSafeInteger(n) ? n < 0 : v < 0n || v > U64_MAX) failEncode(`count ${v} is outside 0..2^64-1`, path);
      w.u8(T_COUNT);
      w.u64(v);
      return;
    }
    case 'integer':
    case 'timestamp':
    case 'timespan': {
      const v = d.value;
      if (!Number.isSafeInteger(Number(v)) && (v < I64_MIN || v > I64_MAX)) failEncode(`${d.type} ${v} does not fit 64 signed bits`, path);
      w.u8(d.type === 'integer' ? T_INTEGER : d.type === 'timestamp' ? T_TIMESTAMP : T_TIMESPAN);
      w.u64(v);
      return;
    }
    case 'port': {
      const { number, protocol } = d.value;
      if (!Number.isInteger(number) || number < 0 || number > 65535) failEncode(`port number ${number} is outside 0..65535`, path);
      const code = PROTOCOL_CODE[protocol];
      if (code === undefined) failEncode(`port protocol ${JSON.stringify(protocol)} is not tcp, udp, icmp or ?`, path);
      w.u8(T_PORT);
      w.u16(number);
      w.u8(code);
      return;
    }
    case 'real':
      w.u8(T_REAL);
      if (packsAsIeee(d.value)) w.f64(d.value);
      else w.u64(packDouble(d.value));
      return;
    case 'address':
      w.u8(T_ADDRESS);
      w.bytes(addressToBytes(d.value, path));
      return;
    case 'subnet': {
      const { bytes, rawLength } = subnetToBytes(d.value, path);
      w.u8(T_SUBNET);
      w.bytes(bytes);
      w.u8(rawLength);
      return;
    }
    case 'set': {
      // Broker's decoder fails the whole message on a repeated element (variant_data.cc
      // inserts into a std::set and checks the result), so one is refused here.
      const xs = d.value;
      w.taggedLength(T_SET, xs.length);
      const seen = xs.length > 1 ? new RepeatCheck(w, xs.length) : undefined;
      for (let i = 0; i < xs.length; i++) {
        const start = w.length;
        try { writeData(w, xs[i]); } catch (err) { throw under(err, `[${i}]`); }
        if (seen !== undefined && !seen.add(start, w.length)) failEncode('a set holds this element twice', `$[${i}]`);
      }
      return;
    }
    case 'table': {
      const xs = d.value;
      w.taggedLength(T_TABLE, xs.length);
      const seen = xs.length > 1 ? new RepeatCheck(w, xs.length) : undefined;
      for (let i = 0; i < xs.length; i++) {
        const entry = xs[i];
        const start = w.length;
        try { writeData(w, entry[0]); } catch (err) { throw under(err, `[${i}].key`); }
        if (seen !== undefined && !seen.add(start, w.length)) failEncode('a table holds this key twice', `$[${i}].key`);
        try { writeData(w, entry[1]); } catch (err) { throw under(err, `[${i}].value`); }
      }
      return;
    }
    default:
      failEncode(`unknown data type ${JSON.stringify((d as { type: unknown }).type)}`, path);
  }
}

// One writer for every encodeBinary call, so that a large value does not grow a fresh
// buffer from 256 bytes each time; it is dropped if a value made it very large.
let scratch: ByteWriter | undefined;
const KEEP_SCRATCH_UP_TO = 1 << 20;

/** The binary form of one value. */
export function encodeBinary(d: BrokerData): Buffer {
  const w = scratch ?? new ByteWriter(4096);
  scratch = undefined; // a re-entrant call (none today) would take its own writer
  w.reset();
  try {
    writeData(w, d);
    return w.finish();
  } finally {
    w.reset();
    if (w.capacity <= KEEP_SCRATCH_UP_TO) scratch = w;
  }
}

/** Reads one value at the reader's position. */
export function readData(r: ByteReader, limits: BinaryLimits = DEFAULT_BINARY_LIMITS, depth = 0): BrokerData {
  const path = '$';
  const tag = r.u8('a type tag', path);
  switch (tag) {
    case T_STRING:
      return { type: 'string', value: r.string('a string', path) };
    case T_NONE:
      return { type: 'none' };
    case T_ENUM_VALUE:
      return { type: 'enum-value', value: r.string('an enum name', path) };
    case T_BOOLEAN:
      return { type: 'boolean', value: r.u8('a boolean', path) !== 0 };
    case T_COUNT:
      return { type: 'count', value: r.u64('a count', path) };
    case T_INTEGER:
      return { type: 'integer', value: r.i64('an integer', path) };
    case T_TIMESTAMP:
      return { type: 'timestamp', value: r.i64('a timestamp', path) };
    case T_TIMESPAN:
      return { type: 'timespan', value: r.i64('a timespan', path) };
    case T_REAL:
      return { type: 'real', value: unpacksAsIeee(r.peekHigh32('a real', path)) ? r.f64('a real', path) : unpackDouble(r.u64('a real', path)) };
    case T_ADDRESS: {
      const b = r.bytes(16, 'an address', path);
      return { type: 'address', value: bytesToAddress(b) };
    }
    case T_SUBNET: {
      const b = r.bytes(16, 'a subnet address', path);
      const len = r.u8('a subnet prefix length', path);
      return { type: 'subnet', value: bytesToSubnet(b, 0, len, path) };
    }
    case T_PORT: {
      const number = r.u16('a port number', path);
      const code = r.u8('a port protocol', path);
      const protocol = PROTOCOLS[code];
      if (protocol === undefined) throw new WireError('deserialization_failed', `port protocol code ${code} is not 0..3`, path);
      return { type: 'port', value: { number, protocol } };
    }
    case T_VECTOR:
    case T_SET: {
      const type = tag === T_VECTOR ? 'vector' : 'set';
      if (depth >= limits.maxDepth) throw new WireError('deserialization_failed', `containers nest deeper than ${limits.maxDepth}`, path);
      const n = r.varbyte(type === 'set' ? 'the size of a set' : 'the size of a vector', path);
      // Every element takes at least one byte: a count beyond what is left is refused
      // before anything is allocated for it.
      if (n > r.remaining) {
        throw new WireError('deserialization_failed', `truncated: a ${type} of ${n} element(s) cannot fit in the ${r.remaining} byte(s) left`, path);
      }
      // Repeated set elements make Broker refuse the message; so do we.
      const seen = type === 'set' && n > 1 ? new RepeatCheck(r, n) : undefined;
      const items: BrokerData[] = [];
      for (let i = 0; i < n; i++) {
        const start = r.pos;
        try { items.push(readData(r, limits, depth + 1)); } catch (err) { throw under(err, `[${i}]`); }
        if (seen !== undefined && !seen.add(start, r.pos)) throw new WireError('deserialization_failed', 'a set holds this element twice', `$[${i}]`);
      }
      return { type, value: items };
    }
    case T_TABLE: {
      if (depth >= limits.maxDepth) throw new WireError('deserialization_failed', `containers nest deeper than ${limits.maxDepth}`, path);
      const n = r.varbyte('the size of a table', path);
      // Every entry takes at least two bytes.
      if (n * 2 > r.remaining) {
        throw new WireError('deserialization_failed', `truncated: a table of ${n} element(s) cannot fit in the ${r.remaining} byte(s) left`, path);
      }
      // Repeated table keys make Broker refuse the message; so do we.
      const seen = n > 1 ? new RepeatCheck(r, n) : undefined;
      const entries: Array<[BrokerData, BrokerData]> = [];
      for (let i = 0; i < n; i++) {
        const start = r.pos;
        let k: BrokerData;
        let v: BrokerData;
        try { k = readData(r, limits, depth + 1); } catch (err) { throw under(err, `[${i}].key`); }
        if (seen !== undefined && !seen.add(start, r.pos)) throw new WireError('deserialization_failed', 'a table holds this key twice', `$[${i}].key`);
        try { v = readData(r, limits, depth + 1); } catch (err) { throw under(err, `[${i}].value`); }
        entries.push([k, v]);
      }
      return { type: 'table', value: entries };
    }
    default:
      throw new WireError('deserialization_failed', `unknown type tag ${tag}`, path);
  }
}

/** Decodes exactly one value filling all of `bytes`; trailing bytes are an error, as in Broker. */
export function decodeBinary(bytes: Buffer, limits: BinaryLimits = DEFAULT_BINARY_LIMITS): BrokerData {
  const r = new ByteReader(bytes);
  const d = readData(r, limits);
  if (r.remaining !== 0) throw new WireError('deserialization_failed', `${r.remaining} byte(s) after the end of the value`);
  return d;
}
