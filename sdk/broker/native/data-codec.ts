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
import { packDouble, unpackDouble } from './caf-double';

export const TAG = {
  none: 0, boolean: 1, count: 2, integer: 3, real: 4, string: 5, address: 6, subnet: 7,
  port: 8, timestamp: 9, timespan: 10, 'enum-value': 11, set: 12, table: 13, vector: 14,
} as const;

const TYPE_OF_TAG: BrokerData['type'][] = [
  'none', 'boolean', 'count', 'integer', 'real', 'string', 'address', 'subnet',
  'port', 'timestamp', 'timespan', 'enum-value', 'set', 'table', 'vector',
];

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

/** Appends the tag and body of `d`; throws WireError for values Broker cannot hold. */
export function writeData(w: ByteWriter, d: BrokerData): void {
  const path = '$';
  switch (d.type) {
    case 'none':
      w.u8(TAG.none);
      return;
    case 'boolean':
      w.u8(TAG.boolean);
      w.u8(d.value ? 1 : 0);
      return;
    case 'count':
      if (d.value < 0n || d.value > U64_MAX) failEncode(`count ${d.value} is outside 0..2^64-1`, path);
      w.u8(TAG.count);
      w.u64(d.value);
      return;
    case 'integer':
    case 'timestamp':
    case 'timespan':
      if (d.value < I64_MIN || d.value > I64_MAX) failEncode(`${d.type} ${d.value} does not fit 64 signed bits`, path);
      w.u8(TAG[d.type]);
      w.u64(d.value);
      return;
    case 'real':
      w.u8(TAG.real);
      w.u64(packDouble(d.value));
      return;
    case 'string':
    case 'enum-value':
      w.u8(TAG[d.type]);
      w.string(d.value);
      return;
    case 'address':
      w.u8(TAG.address);
      w.bytes(addressToBytes(d.value, path));
      return;
    case 'subnet': {
      const { bytes, rawLength } = subnetToBytes(d.value, path);
      w.u8(TAG.subnet);
      w.bytes(bytes);
      w.u8(rawLength);
      return;
    }
    case 'port': {
      const { number, protocol } = d.value;
      if (!Number.isInteger(number) || number < 0 || number > 65535) failEncode(`port number ${number} is outside 0..65535`, path);
      const code = PROTOCOL_CODE[protocol];
      if (code === undefined) failEncode(`port protocol ${JSON.stringify(protocol)} is not tcp, udp, icmp or ?`, path);
      w.u8(TAG.port);
      w.u16(number);
      w.u8(code);
      return;
    }
    case 'vector':
      w.u8(TAG.vector);
      w.varbyte(d.value.length);
      for (let i = 0; i < d.value.length; i++) {
        try { writeData(w, d.value[i]); } catch (err) { throw under(err, `[${i}]`); }
      }
      return;
    case 'set': {
      // Broker's decoder fails the whole message on a repeated element (variant_data.cc
      // inserts into a std::set and checks the result), so one is refused here.
      w.u8(TAG.set);
      w.varbyte(d.value.length);
      const seen = new Set<string>();
      for (let i = 0; i < d.value.length; i++) {
        const start = w.length;
        try { writeData(w, d.value[i]); } catch (err) { throw under(err, `[${i}]`); }
        const key = w.keyOf(start, w.length);
        if (seen.has(key)) failEncode('a set holds this element twice', `$[${i}]`);
        seen.add(key);
      }
      return;
    }
    case 'table': {
      w.u8(TAG.table);
      w.varbyte(d.value.length);
      const seen = new Set<string>();
      for (let i = 0; i < d.value.length; i++) {
        const start = w.length;
        try { writeData(w, d.value[i][0]); } catch (err) { throw under(err, `[${i}].key`); }
        const key = w.keyOf(start, w.length);
        if (seen.has(key)) failEncode('a table holds this key twice', `$[${i}].key`);
        seen.add(key);
        try { writeData(w, d.value[i][1]); } catch (err) { throw under(err, `[${i}].value`); }
      }
      return;
    }
    default:
      failEncode(`unknown data type ${JSON.stringify((d as { type: unknown }).type)}`, path);
  }
}

/** The binary form of one value. */
export function encodeBinary(d: BrokerData): Buffer {
  const w = new ByteWriter();
  writeData(w, d);
  return w.finish();
}

/** Reads one value at the reader's position. */
export function readData(r: ByteReader, limits: BinaryLimits = DEFAULT_BINARY_LIMITS, depth = 0): BrokerData {
  const path = '$';
  const tag = r.u8('a type tag', path);
  switch (tag) {
    case TAG.none:
      return { type: 'none' };
    case TAG.boolean:
      return { type: 'boolean', value: r.u8('a boolean', path) !== 0 };
    case TAG.count:
      return { type: 'count', value: r.u64('a count', path) };
    case TAG.integer:
      return { type: 'integer', value: BigInt.asIntN(64, r.u64('an integer', path)) };
    case TAG.timestamp:
      return { type: 'timestamp', value: BigInt.asIntN(64, r.u64('a timestamp', path)) };
    case TAG.timespan:
      return { type: 'timespan', value: BigInt.asIntN(64, r.u64('a timespan', path)) };
    case TAG.real:
      return { type: 'real', value: unpackDouble(r.u64('a real', path)) };
    case TAG.string:
      return { type: 'string', value: r.string('a string', path) };
    case TAG['enum-value']:
      return { type: 'enum-value', value: r.string('an enum name', path) };
    case TAG.address: {
      const b = r.bytes(16, 'an address', path);
      return { type: 'address', value: bytesToAddress(b) };
    }
    case TAG.subnet: {
      const b = r.bytes(16, 'a subnet address', path);
      const len = r.u8('a subnet prefix length', path);
      return { type: 'subnet', value: bytesToSubnet(b, 0, len, path) };
    }
    case TAG.port: {
      const number = r.u16('a port number', path);
      const code = r.u8('a port protocol', path);
      const protocol = PROTOCOLS[code];
      if (protocol === undefined) throw new WireError('deserialization_failed', `port protocol code ${code} is not 0..3`, path);
      return { type: 'port', value: { number, protocol } };
    }
    case TAG.set:
    case TAG.vector:
    case TAG.table: {
      const type = TYPE_OF_TAG[tag] as 'set' | 'vector' | 'table';
      if (depth >= limits.maxDepth) throw new WireError('deserialization_failed', `containers nest deeper than ${limits.maxDepth}`, path);
      const n = r.varbyte(type === 'table' ? 'the size of a table' : type === 'set' ? 'the size of a set' : 'the size of a vector', path);
      // Every element takes at least one byte (two for a table entry): a count beyond
      // what is left is refused before anything is allocated for it.
      if (n * (type === 'table' ? 2 : 1) > r.remaining) {
        throw new WireError('deserialization_failed', `truncated: a ${type} of ${n} element(s) cannot fit in the ${r.remaining} byte(s) left`, path);
      }
      // Repeated set elements or table keys make Broker refuse the message; so do we.
      const seen = type === 'vector' ? undefined : new Set<string>();
      const unique = (start: number, what: string, at: string): void => {
        if (!seen) return;
        const key = r.buf.toString('latin1', start, r.pos);
        if (seen.has(key)) throw new WireError('deserialization_failed', `a ${type} holds this ${what} twice`, at);
        seen.add(key);
      };
      if (type === 'table') {
        const entries: Array<[BrokerData, BrokerData]> = [];
        for (let i = 0; i < n; i++) {
          const start = r.pos;
          let k: BrokerData;
          let v: BrokerData;
          try { k = readData(r, limits, depth + 1); } catch (err) { throw under(err, `[${i}].key`); }
          unique(start, 'key', `$[${i}].key`);
          try { v = readData(r, limits, depth + 1); } catch (err) { throw under(err, `[${i}].value`); }
          entries.push([k, v]);
        }
        return { type: 'table', value: entries };
      }
      const items: BrokerData[] = [];
      for (let i = 0; i < n; i++) {
        const start = r.pos;
        try { items.push(readData(r, limits, depth + 1)); } catch (err) { throw under(err, `[${i}]`); }
        unique(start, 'element', `$[${i}]`);
      }
      return { type, value: items };
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
