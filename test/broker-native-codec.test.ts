// The native Broker codec (sdk/broker/native): byte layouts derived by hand from
// Broker's sources at the commit Zeek 8.0.9 pins (06d4919), round trips of every data
// type, and hostile input refused with a WireError.

import * as assert from 'node:assert/strict';
import { B, BrokerData, I64_MAX, I64_MIN, U64_MAX } from '../sdk/broker/data';
import { WireError } from '../sdk/broker/errors';
import { eventFromData, eventToData } from '../sdk/broker/event';
import { addressToBytes, bytesToAddress } from '../sdk/broker/native/address';
import { packDouble, unpackDouble } from '../sdk/broker/native/caf-double';
import { ByteReader } from '../sdk/broker/native/bytes';
import { decodeBinary, encodeBinary, readData } from '../sdk/broker/native/data-codec';
import { EndpointId } from '../sdk/broker/native/endpoint-id';
import { frame, FrameReader } from '../sdk/broker/native/framing';
import {
  dataEnvelope, decodeEnvelope, decodeHandshake, encodeEnvelope, encodeHandshake, filterOf, MAGIC, routingUpdateEnvelope,
} from '../sdk/broker/native/messages';
import { seededRandom } from './helpers/seeded-random';

const hex = (b: Buffer): string => b.toString('hex');
const bytes = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

function refuses(fn: () => unknown, code: string, text: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof WireError && err.code === code && text.test(err.message));
}

describe('native Broker binary data format', () => {
  it('writes each scalar as Broker does (tag = variant_tag index, big-endian bodies)', () => {
    // variant_tag.hh lists none..list as 0..14; bin.hh encode() writes the tag byte and
    // then the body: bool one byte, count/integer 8 bytes network order, strings a varbyte
    // length and the bytes.
    const cases: Array<[BrokerData, string]> = [
      [B.none(), '00'],
      [B.bool(true), '0101'],
      [B.bool(false), '0100'],
      [B.count(1234567890), '02 00000000499602d2'],
      [B.count(U64_MAX), '02 ffffffffffffffff'],
      [B.int(-1), '03 ffffffffffffffff'],
      [B.int(I64_MIN), '03 8000000000000000'],
      [B.real(1.0), '04 3ff0000000000000'],
      [B.real(-2.5), '04 c004000000000000'],
      [B.str('hi'), '05 02 6869'],
      [B.str(''), '05 00'],
      [B.enum('Management::RUNNING'), '0b 13' + Buffer.from('Management::RUNNING').toString('hex')],
      // address.cc: IPv4 is stored mapped into ::ffff:0:0/96.
      [B.addr('192.168.9.8'), '06 00000000000000000000ffff c0a80908'],
      [B.addr('2001:db8::1'), '06 20010db8000000000000000000000001'],
      // subnet.cc init(): IPv4 lengths get 96 added and the network is masked.
      [B.subnet('192.168.9.0/24'), '07 00000000000000000000ffff c0a80900 78'],
      [B.subnet('2001:db8::/32'), '07 20010db8000000000000000000000000 20'],
      // port.hh: protocol unknown=0 tcp=1 udp=2 icmp=3 after the u16 number.
      [B.port(8080, 'tcp'), '08 1f90 01'],
      [B.port(53, 'udp'), '08 0035 02'],
      [B.port(8, 'icmp'), '08 0008 03'],
      [B.port(0, '?'), '08 0000 00'],
      // timestamps and timespans: the signed nanosecond count, 8 bytes.
      [B.timestamp(1234567890n), '09 00000000499602d2'],
      [B.timespan(-1n), '0a ffffffffffffffff'],
    ];
    for (const [d, h] of cases) {
      assert.equal(hex(encodeBinary(d)), h.replace(/\s+/g, ''), `${d.type}`);
      assert.deepEqual(decodeBinary(bytes(h)), d, `${d.type} decodes back`);
    }
  });

  it('writes containers with a varbyte count; tables as key, value, key, value', () => {
    // bin.hh: set/table/list write varbyte(size) then the elements; tags 12, 13, 14.
    const v = B.vec([B.bool(false), B.count(1), B.str('hello world')]);
    const body = '0100 020000000000000001 050b' + Buffer.from('hello world').toString('hex');
    assert.equal(hex(encodeBinary(v)), ('0e03' + body).replace(/\s+/g, ''));
    assert.equal(hex(encodeBinary(B.set((v as { value: BrokerData[] }).value))), ('0c03' + body).replace(/\s+/g, ''));
    const t = B.table([[B.count(1), B.str('a')]]);
    assert.equal(hex(encodeBinary(t)), '0d01' + '020000000000000001' + '050161');
    assert.deepEqual(decodeBinary(encodeBinary(t)), t);
  });

  it('writes lengths as 7-bit groups, low group first (write_varbyte_impl)', () => {
    assert.equal(hex(encodeBinary(B.str('x'.repeat(127)))).slice(0, 4), '057f');
    assert.equal(hex(encodeBinary(B.str('x'.repeat(128)))).slice(0, 6), '058001');
    assert.equal(hex(encodeBinary(B.str('x'.repeat(300)))).slice(0, 6), '05ac02');
    assert.equal(decodeBinary(encodeBinary(B.str('y'.repeat(70000)))).type, 'string');
  });

  it("packs reals the way CAF's pack754 does, including its swapped infinities", () => {
    // caf/detail/ieee_754.hpp: packed_pinf is 0xFFF0..., packed_ninf 0x7FF0..., NaN all ones.
    assert.equal(packDouble(Infinity), 0xfff0000000000000n);
    assert.equal(packDouble(-Infinity), 0x7ff0000000000000n);
    assert.equal(packDouble(NaN), 0xffffffffffffffffn);
    assert.equal(packDouble(-0), 0x8000000000000000n);
    assert.equal(unpackDouble(0xfff0000000000000n), Infinity);
    assert.equal(unpackDouble(0x7ff0000000000000n), -Infinity);
    assert.ok(Number.isNaN(unpackDouble(0xffffffffffffffffn)));
    assert.ok(Object.is(unpackDouble(0x8000000000000000n), -0));
    // Any other exponent-2047 pattern is an infinity of its sign in unpack754's loop.
    assert.equal(unpackDouble(0x7ff8000000000000n), Infinity);
    for (const x of [0.1, 1e300, -3.75, Number.MAX_VALUE, Number.MIN_VALUE * 2 ** 52, 1 / 3]) {
      assert.equal(unpackDouble(packDouble(x)), x, String(x));
    }
  });

  it('renders addresses as Broker prints them', () => {
    assert.equal(bytesToAddress(addressToBytes('::ffff:10.0.0.1')), '10.0.0.1');
    assert.equal(bytesToAddress(addressToBytes('2001:DB8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
    assert.equal(bytesToAddress(addressToBytes('::')), '::');
    assert.equal(bytesToAddress(addressToBytes('::1')), '::1');
    assert.equal(bytesToAddress(addressToBytes('fe80::1:2')), 'fe80::1:2');
    assert.equal(bytesToAddress(addressToBytes('1:0:2:0:3:0:4:0')), '1:0:2:0:3:0:4:0');
    assert.equal(bytesToAddress(addressToBytes('::1.2.3.4')), '::1.2.3.4');
    assert.deepEqual(decodeBinary(encodeBinary(B.subnet('10.1.2.3/8'))), B.subnet('10.0.0.0/8'));
  });

  it('round-trips every type and its edges', () => {
    const all = B.vec([
      B.none(), B.bool(true), B.count(0), B.count(U64_MAX), B.int(I64_MIN), B.int(I64_MAX), B.real(-0.5),
      B.timespan(I64_MIN), B.timestamp(I64_MAX), B.str('ünïcödé ✓'), B.enum('T::X'), B.addr('127.0.0.1'),
      B.addr('::1'), B.subnet('::/0'), B.subnet('0.0.0.0/0'), B.port(65535, 'udp'),
      B.set([B.str('a'), B.str('b')]), B.table([[B.str('k'), B.vec([])], [B.int(-3), B.set([])]]),
      B.vec([B.vec([B.vec([B.none()])])]),
    ]);
    assert.deepEqual(decodeBinary(encodeBinary(all)), all);
  });

  it('carries a Zeek event as [1, 1, [name, args, metadata]] (zeek.hh)', () => {
    const ev = { name: 'Management::Agent::API::notify_agent_hello', args: [B.str('agent-x'), B.str('id')], metadata: [[1n, B.timestamp(5n)] as [bigint, BrokerData]] };
    const d = decodeBinary(encodeBinary(eventToData(ev)));
    assert.deepEqual(eventFromData(d), ev);
    assert.equal(hex(encodeBinary(eventToData({ name: 'e', args: [] }))), '0e03' + '020000000000000001' + '020000000000000001' + '0e02' + '050165' + '0e00');
  });

  it('refuses hostile data with a WireError naming the problem', () => {
    refuses(() => decodeBinary(bytes('0f')), 'deserialization_failed', /unknown type tag 15/);
    // The path names the element: the second element of the vector inside a table value.
    refuses(() => decodeBinary(bytes('0d01 00 0e02 00 0200')), 'deserialization_failed', /^\$\[0\]\.value\[1\]: truncated: a count/);
    refuses(() => encodeBinary(B.vec([B.none(), B.table([[B.str('k'), B.port(1e6)]])])), 'serialization_failed', /^\$\[1\]\[0\]\.value: port number/);
    refuses(() => decodeBinary(bytes('02 0000')), 'deserialization_failed', /truncated: a count/);
    refuses(() => decodeBinary(bytes('05 05 6869')), 'deserialization_failed', /truncated/);
    refuses(() => decodeBinary(bytes('0e ffffffff0f')), 'deserialization_failed', /cannot fit/);
    refuses(() => decodeBinary(bytes('05 ffffffffff01')), 'deserialization_failed', /varbyte of at most 32 bits/);
    refuses(() => decodeBinary(bytes('08 0000 04')), 'deserialization_failed', /protocol code 4/);
    refuses(() => decodeBinary(bytes('07 00000000000000000000ffff00000000 10')), 'invalid_data', /prefix length 16/);
    refuses(() => decodeBinary(bytes('00 00')), 'deserialization_failed', /after the end/);
    refuses(() => decodeBinary(Buffer.alloc(200, 0x0e).fill(0x01, 199)), 'deserialization_failed', /deeper than 64/);
    // variant_data.cc: a repeated set element or table key fails Broker's decoding.
    refuses(() => decodeBinary(bytes('0c02 0101 0101')), 'deserialization_failed', /set holds this element twice/);
    refuses(() => decodeBinary(bytes('0d02 0100 00 0100 0101')), 'deserialization_failed', /table holds this key twice/);
    refuses(() => encodeBinary(B.set([B.str('a'), B.str('a')])), 'serialization_failed', /twice/);
    refuses(() => encodeBinary(B.table([[B.int(1), B.none()], [B.int(1), B.bool(true)]])), 'serialization_failed', /twice/);
    assert.deepEqual(decodeBinary(encodeBinary(B.vec([B.int(1), B.int(1)]))), B.vec([B.int(1), B.int(1)]));
    refuses(() => encodeBinary(B.addr('300.1.1.1')), 'invalid_data', /not an IPv4 or IPv6/);
    refuses(() => encodeBinary(B.count(-1)), 'serialization_failed', /outside/);
    refuses(() => encodeBinary(B.port(70000)), 'serialization_failed', /outside/);
  });
});

describe('native Broker messages and framing', () => {
  const a = EndpointId.parse('00000000-0000-0000-0000-000000000001');
  const b = EndpointId.parse('ffffffff-0000-0000-0000-000000000002');

  it('lays out hello, probe, version_select, drop_conn and the syn/ack messages (wire_format.hh)', () => {
    // p2p_message_type.hh numbers hello 6 .. originator_ack 12; magic 0x5A45454B ("ZEEK").
    assert.equal(hex(encodeHandshake({ kind: 'hello', magic: MAGIC, sender: a, minVersion: 1, maxVersion: 1 })),
      '06' + '5a45454b' + '00000000000000000000000000000001' + '01' + '01');
    assert.equal(hex(encodeHandshake({ kind: 'probe', magic: MAGIC })), '075a45454b');
    assert.equal(hex(encodeHandshake({ kind: 'version_select', magic: MAGIC, sender: b, version: 1 })),
      '08' + '5a45454b' + 'ffffffff000000000000000000000002' + '01');
    assert.equal(hex(encodeHandshake({ kind: 'drop_conn', magic: MAGIC, sender: a, code: 2, description: 'no' })),
      '09' + '5a45454b' + '00000000000000000000000000000001' + '02' + '02' + '6e6f');
    assert.equal(hex(encodeHandshake({ kind: 'originator_syn', filter: ['zeek/', 'x'] })), '0a' + '02' + '05' + Buffer.from('zeek/').toString('hex') + '0178');
    assert.equal(hex(encodeHandshake({ kind: 'responder_syn_ack', filter: [] })), '0b00');
    assert.equal(hex(encodeHandshake({ kind: 'originator_ack' })), '0c');
    assert.equal(hex(frame(encodeHandshake({ kind: 'probe', magic: MAGIC }))), '00000005' + '075a45454b');
    const h = decodeHandshake(encodeHandshake({ kind: 'hello', magic: MAGIC, sender: b, minVersion: 1, maxVersion: 3 }));
    assert.equal(h.kind, 'hello');
  });

  it("applies Broker's checks to handshake messages (wire_format.cc check())", () => {
    refuses(() => decodeHandshake(bytes('07 5a45454c')), 'wrong_magic_number', /magic number 0x5a45454c/);
    refuses(() => decodeHandshake(encodeHandshake({ kind: 'hello', magic: MAGIC, sender: a, minVersion: 2, maxVersion: 3 })), 'peer_incompatible', /versions 2..3/);
    refuses(() => decodeHandshake(encodeHandshake({ kind: 'version_select', magic: MAGIC, sender: a, version: 0 })), 'peer_incompatible', /version 0/);
    refuses(() => decodeHandshake(bytes('06 5a45454b 0000')), 'invalid_message', /malformed handshake message: truncated/);
    refuses(() => decodeHandshake(bytes('01')), 'invalid_message', /not a handshake message/);
    refuses(() => decodeHandshake(bytes('0c 00')), 'invalid_message', /1 byte\(s\) after/);
  });

  it('lays out envelopes: sender, receiver, type, ttl, topic, payload (envelope.cc)', () => {
    const env = dataEnvelope(a, 't', B.count(7));
    assert.equal(hex(encodeEnvelope(env)),
      '00000000000000000000000000000001' + '00000000000000000000000000000000' + '01' + '0010' + '0001' + '74' + '020000000000000007');
    const back = decodeEnvelope(encodeEnvelope(env));
    assert.equal(back.topic, 't');
    assert.ok(back.sender.equals(a) && back.receiver.isNil());
    // routing_update_envelope.cc: the filter as varbyte count and varbyte strings, topic "<$>".
    const ru = routingUpdateEnvelope(a, b, ['zeek/management/']);
    assert.equal(hex(encodeEnvelope(ru)).slice(64, 80), '03' + '0010' + '0003' + '3c243e');
    assert.deepEqual(filterOf(decodeEnvelope(encodeEnvelope(ru))), ['zeek/management/']);
    refuses(() => decodeEnvelope(Buffer.alloc(36)), 'invalid_data', /at least 37/);
    refuses(() => decodeEnvelope(Buffer.concat([Buffer.alloc(32), bytes('06 0010 0000')])), 'invalid_data', /type 6/);
    refuses(() => decodeEnvelope(Buffer.concat([Buffer.alloc(32), bytes('01 0010 0009 00')])), 'invalid_data', /topic length 9/);
  });

  it('splits frames across arbitrary chunking and refuses empty or oversized ones', () => {
    const msgs = [Buffer.from('a'), Buffer.alloc(1000, 7), Buffer.from('xyz')];
    const stream = Buffer.concat(msgs.map(frame));
    for (const step of [1, 3, 7, 1004, stream.length]) {
      const r = new FrameReader();
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) got.push(...r.push(stream.subarray(i, i + step)));
      assert.deepEqual(got, msgs, `chunks of ${step}`);
      assert.equal(r.pending, 0);
    }
    refuses(() => new FrameReader().push(bytes('00000000')), 'invalid_message', /length 0/);
    refuses(() => new FrameReader(100).push(bytes('00000065')), 'invalid_message', /101 bytes exceeds the limit of 100/);
  });
});

describe('native Broker codec fast paths give what the plain encodings give', () => {
  const varbyte = (n: number): string => {
    const out: number[] = [];
    let x = n;
    while (x > 0x7f) { out.push((x & 0x7f) | 0x80); x = Math.floor(x / 128); }
    out.push(x);
    return Buffer.from(out).toString('hex');
  };
  const u64hex = (v: bigint): string => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt.asUintN(64, v));
    return b.toString('hex');
  };

  it('keeps every 64-bit count and integer exact, on both sides of 2^32 and 2^53', () => {
    const random = seededRandom(64);
    const edges = [0n, 1n, 255n, 256n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n];
    const counts = [...edges, 2n ** 63n, 2n ** 64n - 2n, U64_MAX];
    const ints = [...edges, ...edges.map((v) => -v), I64_MIN, I64_MIN + 1n];
    for (let i = 0; i < 500; i++) {
      const v = BigInt.asUintN(64, (BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 32))) >> BigInt(Math.floor(random() * 64));
      counts.push(v);
      ints.push(BigInt.asIntN(64, v));
    }
    for (const v of counts) {
      const bin = encodeBinary(B.count(v));
      assert.equal(hex(bin), '02' + u64hex(v), `count ${v}`);
      const back = decodeBinary(bin);
      assert.ok(back.type === 'count' && back.value === v, `count ${v} decodes back`);
    }
    for (const v of ints) {
      for (const make of [B.int, B.timespan, B.timestamp]) {
        const d = make(v);
        const bin = encodeBinary(d);
        assert.equal(hex(bin).slice(2), u64hex(v), `${d.type} ${v}`);
        assert.deepEqual(decodeBinary(bin), d, `${d.type} ${v} decodes back`);
      }
    }
    refuses(() => encodeBinary(B.count(U64_MAX + 1n)), 'serialization_failed', /outside 0\.\.2\^64-1/);
    refuses(() => encodeBinary(B.count(-(2n ** 60n))), 'serialization_failed', /outside 0\.\.2\^64-1/);
    refuses(() => encodeBinary(B.int(I64_MAX + 1n)), 'serialization_failed', /does not fit 64 signed bits/);
    refuses(() => encodeBinary(B.timespan(I64_MIN - 1n)), 'serialization_failed', /does not fit 64 signed bits/);
  });

  it('writes and reads reals as pack754/unpack754 do, normal or not', () => {
    const random = seededRandom(754);
    const xs = [0, -0, 1, -1, 2.2250738585072014e-308, -2.2250738585072014e-308, Number.MIN_VALUE, -Number.MIN_VALUE,
      2.225073858507201e-308, Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, NaN, 1e-310];
    const scratch = Buffer.alloc(8);
    for (let i = 0; i < 300; i++) {
      for (let j = 0; j < 8; j++) scratch[j] = Math.floor(random() * 256);
      xs.push(scratch.readDoubleBE(0));
    }
    for (const x of xs) {
      assert.equal(hex(encodeBinary(B.real(x))), '04' + u64hex(packDouble(x)), `real ${x}`);
    }
    // Every exponent class read back as unpack754 reads it (0, subnormal, normal, 2047).
    for (let i = 0; i < 300; i++) {
      for (let j = 0; j < 8; j++) scratch[j] = Math.floor(random() * 256);
      if (i % 4 === 0) scratch[0] &= 0x80, scratch[1] &= 0x0f; // exponent 0
      if (i % 4 === 1) scratch[0] |= 0x7f, scratch[1] |= 0xf0; // exponent 2047
      const back = decodeBinary(Buffer.concat([bytes('04'), scratch]));
      const want = unpackDouble(scratch.readBigUInt64BE(0));
      assert.ok(back.type === 'real' && Object.is(back.value, want), `real bits ${hex(scratch)}`);
    }
    for (const cut of [1, 3, 4, 5, 8]) refuses(() => decodeBinary(bytes('04 3ff0000000000000').subarray(0, 9 - cut)), 'deserialization_failed', new RegExp(`truncated: a real needs 8 byte\\(s\\), ${8 - cut} left`));
  });

  it('writes strings as their UTF-8 bytes and reads any bytes as Buffer decodes UTF-8', () => {
    const random = seededRandom(8);
    const texts = ['', 'a', 'x'.repeat(12), 'x'.repeat(13), 'y'.repeat(40), 'y'.repeat(41), 'z'.repeat(127), 'z'.repeat(128),
      'é', 'abcé', 'é'.repeat(64), '✓'.repeat(43), '\u{1f600}', 'a\ud800b', '\udc00', 'x'.repeat(126) + 'é'];
    const alphabet = ['a', 'Z', '0', ' ', '\u007f', '\u0080', 'ß', '€', '\u{10348}', '\ud83d'];
    for (let i = 0; i < 300; i++) {
      let s = '';
      const n = Math.floor(random() * 200);
      const ascii = random() < 0.5;
      for (let j = 0; j < n; j++) s += ascii ? String.fromCharCode(32 + Math.floor(random() * 95)) : alphabet[Math.floor(random() * alphabet.length)];
      texts.push(s);
    }
    for (const s of texts) {
      const utf8 = Buffer.from(s, 'utf8');
      const bin = encodeBinary(B.str(s));
      assert.equal(hex(bin), '05' + varbyte(utf8.length) + utf8.toString('hex'), JSON.stringify(s));
      assert.deepEqual(decodeBinary(bin), B.str(utf8.toString('utf8')), JSON.stringify(s));
    }
    for (let i = 0; i < 300; i++) {
      const body = Buffer.alloc(Math.floor(random() * 100));
      const high = random() < 0.3;
      for (let j = 0; j < body.length; j++) body[j] = high ? Math.floor(random() * 256) : 32 + Math.floor(random() * 95);
      const bin = Buffer.concat([bytes('0e02 0b' + varbyte(body.length)), body, bytes('05' + varbyte(body.length)), body]);
      assert.deepEqual(decodeBinary(bin), B.vec([B.enum(body.toString('utf8')), B.str(body.toString('utf8'))]), hex(body));
    }
    // A reader that starts inside its buffer cuts its strings from the right place.
    const r = new ByteReader(Buffer.concat([bytes('ffff'), bytes('05' + varbyte(15)), Buffer.from('fifteen chars..'), bytes('0502'), Buffer.from('ok')]), 2);
    assert.deepEqual(readData(r), B.str('fifteen chars..'));
    assert.deepEqual(readData(r), B.str('ok'));
    refuses(() => decodeBinary(bytes('05 ffffffff0f 6869')), 'deserialization_failed', /truncated: a string needs 4294967295 byte\(s\), 2 left/);
  });

  it('finds a repeated element in a set or table of any size, also when many elements look alike', () => {
    const many = (n: number): BrokerData[] => Array.from({ length: n }, (_, i) => B.str(`element-${i}`));
    for (const n of [2, 8, 9, 100, 1000]) {
      const xs = many(n);
      assert.deepEqual(decodeBinary(encodeBinary(B.set(xs))), B.set(xs), `set of ${n}`);
      const withRepeat = [...xs.slice(0, n - 1), B.str('element-0'), ...xs.slice(n - 1)];
      refuses(() => encodeBinary(B.set(withRepeat)), 'serialization_failed', new RegExp(`^\\$\\[${n - 1}\\]: a set holds this element twice`));
      const wire = Buffer.concat([bytes('0c' + varbyte(n + 1)), ...withRepeat.map((d) => encodeBinary(d))]);
      refuses(() => decodeBinary(wire), 'deserialization_failed', new RegExp(`^\\$\\[${n - 1}\\]: a set holds this element twice`));
      const entries = xs.map((k, i): [BrokerData, BrokerData] => [k, B.count(i)]);
      assert.deepEqual(decodeBinary(encodeBinary(B.table(entries))), B.table(entries), `table of ${n}`);
      const repeatedKey = [...entries, [xs[n >> 1], B.none()] as [BrokerData, BrokerData]];
      refuses(() => encodeBinary(B.table(repeatedKey)), 'serialization_failed', new RegExp(`^\\$\\[${n}\\]\\.key: a table holds this key twice`));
      const tableWire = Buffer.concat([bytes('0d' + varbyte(n + 1)), ...repeatedKey.flatMap(([k, v]) => [encodeBinary(k), encodeBinary(v)])]);
      refuses(() => decodeBinary(tableWire), 'deserialization_failed', new RegExp(`^\\$\\[${n}\\]\\.key: a table holds this key twice`));
    }
    // Elements alike in their first 64 and last 16 bytes share the cheap hash: the check
    // then compares whole elements, and after a few such collisions keeps every element.
    const alike = Array.from({ length: 50 }, (_, i) => B.str(`${'h'.repeat(70)}${String(i).padStart(4, '0')}${'t'.repeat(30)}`));
    assert.deepEqual(decodeBinary(encodeBinary(B.set(alike))), B.set(alike));
    for (const at of [3, 20, 49]) {
      const xs = [...alike.slice(0, at), alike[at - 1], ...alike.slice(at)];
      refuses(() => encodeBinary(B.set(xs)), 'serialization_failed', new RegExp(`^\\$\\[${at}\\]: a set holds this element twice`));
      const wire = Buffer.concat([bytes('0c' + varbyte(xs.length)), ...xs.map((d) => encodeBinary(d))]);
      refuses(() => decodeBinary(wire), 'deserialization_failed', new RegExp(`^\\$\\[${at}\\]: a set holds this element twice`));
    }
    // Elements that are equal but for a byte both samples miss are still different.
    const middle = [B.str(`${'m'.repeat(64)}a${'m'.repeat(16)}`), B.str(`${'m'.repeat(64)}b${'m'.repeat(16)}`)];
    assert.deepEqual(decodeBinary(encodeBinary(B.set([...many(20), ...middle]))), B.set([...many(20), ...middle]));
  });

  it('reads dotted quads by hand exactly as the general parser would', () => {
    assert.equal(hex(Buffer.from(addressToBytes('01.002.3.4'))), '00000000000000000000ffff01020304');
    assert.equal(hex(Buffer.from(addressToBytes('255.255.255.255'))), '00000000000000000000ffffffffffff');
    assert.equal(hex(Buffer.from(addressToBytes('::ffff:1.2.3.4'))), '00000000000000000000ffff01020304');
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '1..3.4', '1.2.3.256', '1.2.3.-1', ' 1.2.3.4', '1.2.3.4 ', '1234.1.1.1', '1.2.3.4/8', '١.2.3.4']) {
      refuses(() => addressToBytes(bad), 'invalid_data', /not an IPv4 or IPv6 address/);
    }
  });

  it('hands out independent buffers from its reused writer, also after a failed encoding', () => {
    const a = encodeBinary(B.str('first'));
    refuses(() => encodeBinary(B.vec([B.str('x'.repeat(5000)), B.port(1e6)])), 'serialization_failed', /port number/);
    const big = encodeBinary(B.vec(Array.from({ length: 40000 }, (_, i) => B.str(`value ${i} ${'p'.repeat(20)}`))));
    const b = encodeBinary(B.count(7));
    assert.equal(hex(a), '0505' + Buffer.from('first').toString('hex'));
    assert.equal(hex(b), '020000000000000007');
    assert.equal((decodeBinary(big) as { value: BrokerData[] }).value.length, 40000);
  });
});
