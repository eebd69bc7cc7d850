// The Broker WebSocket JSON API v1 codec: every data type and its edge values survive
// encode -> text -> decode; every JSON example in the reference documentation decodes
// and re-encodes to the same JSON; Zeek events in both layouts; 64-bit precision.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { B, BrokerData, I64_MAX, I64_MIN, U64_MAX } from '../sdk/broker/data';
import { eventFromData, eventToData, ZeekEvent } from '../sdk/broker/event';
import {
  decodeData, DEFAULT_LIMITS, formatTimespan, formatTimestamp, parseJsonText, parseTimespan, parseTimestamp,
} from '../sdk/broker/json-codec';
import { encodeData, encodeDataFields, gluedRuns } from '../sdk/broker/json-encode';
import { decodeDataText, fastDecodeDataText, fastParseDataMessage } from '../sdk/broker/json-fast';
import {
  encodeAck, encodeDataMessage, encodeError, encodeSubscriptions, parseDataMessage, parseServerMessage, parseSubscriptions,
} from '../sdk/broker/messages';
import { extractJsonExamples, RstJsonExample } from './support/rst-json-examples';

const REFERENCE = path.resolve(__dirname, '../../shared/reference');
const REFERENCE_FILES = ['broker/web-socket.rst', 'broker/data.rst', 'zeek-docs/websocket-api.rst'];

/** The general decoding path (JSON.parse or lossless-json, then decodeData), bypassing the one-pass reader. */
function decodeGeneral(text: string): BrokerData {
  return decodeData(parseJsonText(text));
}

/**
 * Encodes, decodes through both decoding paths, and checks that the value, and the
 * text it re-encodes to, are unchanged. Returns the text.
 */
function roundTrip(d: BrokerData): string {
  const text = encodeData(d);
  const viaText = decodeDataText(text);
  assert.deepStrictEqual(viaText, d, `round trip changed ${text}`);
  assert.deepStrictEqual(decodeGeneral(text), d, `general path disagrees on ${text}`);
  assert.deepStrictEqual(fastDecodeDataText(text, DEFAULT_LIMITS), d, `one-pass reader did not take compact ${text}`);
  assert.equal(encodeData(viaText), text);
  return text;
}

describe('Broker JSON codec: every data type round-trips', () => {
  it('none', () => {
    assert.equal(roundTrip(B.none()), '{"@data-type":"none","data":{}}');
  });

  it('boolean', () => {
    assert.equal(roundTrip(B.bool(true)), '{"@data-type":"boolean","data":true}');
    assert.equal(roundTrip(B.bool(false)), '{"@data-type":"boolean","data":false}');
  });

  it('count: 0, 2^53-1, 2^53, 2^53+1, 2^64-2, 2^64-1', () => {
    for (const v of [0n, 1n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, U64_MAX - 1n, U64_MAX]) {
      assert.equal(roundTrip(B.count(v)), `{"@data-type":"count","data":${v}}`);
    }
    assert.equal(encodeData(B.count(U64_MAX)), '{"@data-type":"count","data":18446744073709551615}');
  });

  it('integer: 0, ±1, ±(2^53+1), -2^63, 2^63-1', () => {
    for (const v of [0n, 1n, -1n, (1n << 53n) + 1n, -((1n << 53n) + 1n), I64_MIN, I64_MIN + 1n, I64_MAX]) {
      assert.equal(roundTrip(B.int(v)), `{"@data-type":"integer","data":${v}}`);
    }
    assert.equal(encodeData(B.int(I64_MIN)), '{"@data-type":"integer","data":-9223372036854775808}');
  });

  it('real: fractions, whole values, extremes, -0', () => {
    for (const v of [-7.5, 0.1, 1 / 3, 1e300, -1e-300, 5e-324, Number.MAX_VALUE, 1e21, 123456789.125, 2 ** 53 + 2]) roundTrip(B.real(v));
    // Broker reads a real only from a JSON number with a fraction or exponent: whole values get ".0".
    assert.equal(roundTrip(B.real(0)), '{"@data-type":"real","data":0.0}');
    assert.equal(roundTrip(B.real(42)), '{"@data-type":"real","data":42.0}');
    assert.equal(roundTrip(B.real(-3)), '{"@data-type":"real","data":-3.0}');
    assert.equal(roundTrip(B.real(1e21)), '{"@data-type":"real","data":1e+21}');
    const negZero = decodeDataText(roundTrip(B.real(-0)));
    assert.ok(negZero.type === 'real' && Object.is(negZero.value, -0));
    // integers and exponent forms are accepted on input
    assert.deepStrictEqual(decodeDataText('{"@data-type":"real","data":5}'), B.real(5));
    assert.deepStrictEqual(decodeDataText('{"@data-type":"real","data":-2.5E-3}'), B.real(-0.0025));
  });

  it('timespan: every suffix decodes to the right nanoseconds', () => {
    const cases: Array<[string, bigint]> = [
      ['7ns', 7n], ['7us', 7000n], ['7ms', 7000000n], ['7s', 7000000000n], ['7min', 420000000000n], ['7h', 25200000000000n],
      ['7d', 604800000000000n], ['-7ns', -7n], ['-7d', -604800000000000n], ['0ns', 0n], ['0d', 0n], ['1500ms', 1500000000n],
    ];
    for (const [text, ns] of cases) {
      assert.deepStrictEqual(decodeDataText(`{"@data-type":"timespan","data":"${text}"}`), B.timespan(ns), text);
      assert.equal(parseTimespan(text), ns, text);
      roundTrip(B.timespan(ns));
    }
  });

  it('timespan: rendered as Broker renders it (0s; else the coarsest exact of s, ms, us, ns)', () => {
    const cases: Array<[bigint, string]> = [
      [0n, '0s'], [1n, '1ns'], [1500n, '1500ns'], [2000n, '2us'], [1500000000n, '1500ms'], [7000000000n, '7s'],
      [420000000000n, '420s'], [604800000000000n, '604800s'], [-2000n, '-2us'], [I64_MAX, '9223372036854775807ns'],
      [I64_MIN, '-9223372036854775808ns'],
    ];
    for (const [ns, text] of cases) {
      assert.equal(formatTimespan(ns), text);
      assert.equal(roundTrip(B.timespan(ns)), `{"@data-type":"timespan","data":"${text}"}`);
    }
    // Broker's parser (CAF) knows no "d", so it is never produced even for whole days
    assert.ok(!formatTimespan(86400000000000n).endsWith('d'));
  });

  it('timestamp: ISO 8601 with millisecond, microsecond and nanosecond precision', () => {
    const cases: Array<[string, bigint]> = [
      ['2022-04-10T07:00:00.000', 1649574000000000000n],
      ['1970-01-01T00:00:00.000', 0n],
      ['2023-04-18T14:13:14.123', 1681827194123000000n],
      ['2023-04-18T14:13:14.123456', 1681827194123456000n],
      ['2023-04-18T14:13:14.123456789', 1681827194123456789n],
      ['1969-12-31T23:59:59.999', -1000000n],
      ['2024-02-29T23:59:59.000', 1709251199000000000n],
      ['2262-04-11T23:47:16.854775807', I64_MAX],
      ['1677-09-21T00:12:43.145224192', I64_MIN],
    ];
    for (const [text, ns] of cases) {
      assert.equal(parseTimestamp(text), ns, text);
      assert.equal(formatTimestamp(ns), text);
      assert.equal(roundTrip(B.timestamp(ns)), `{"@data-type":"timestamp","data":"${text}"}`);
    }
  });

  it('timestamp: accepts what Broker (CAF) accepts: no fraction, short fractions, Z and UTC offsets', () => {
    const ns = 1649574000000000000n; // 2022-04-10T07:00:00 UTC
    for (const text of ['2022-04-10T07:00:00', '2022-04-10T07:00:00.0', '2022-04-10T07:00:00Z', '2022-04-10T07:00:00.000Z',
      '2022-04-10T09:00:00+02:00', '2022-04-10T09:30:00+0230', '2022-04-10T02:00:00-05', '2022-04-10T07:00:00.000000000+00:00']) {
      assert.equal(parseTimestamp(text), ns, text);
    }
    assert.equal(parseTimestamp('2022-04-10T07:00:00.5'), ns + 500000000n);
  });

  it('timestamp: dates outside 64-bit nanoseconds are rejected, not misread (years below 100 included)', () => {
    // Date.UTC would read year 50 as 1950, which is in range; it must be refused as year 50
    assert.throws(() => parseTimestamp('0050-01-01T00:00:00'), /outside the range/);
    assert.throws(() => parseTimestamp('2262-04-11T23:47:16.854775808'), /outside the range/);
    assert.throws(() => parseTimestamp('1677-09-21T00:12:43.145224191'), /outside the range/);
  });

  it('string: empty, unicode, escapes, control characters, lone surrogates', () => {
    const strings = [
      '', 'Hello World!', 'grüße', '日本語のテキスト', 'emoji 😀👩‍👩‍👧', 'مرحبا', 'e\u0301', '\u0000\u0001\u001f', 'tab\tnewline\nreturn\r',
      'quote " backslash \\ slash /', '\u2028\u2029', '\ud800', 'x\udc00y', '{"@data-type":"count","data":1}', 'a'.repeat(1000),
    ];
    for (const s of strings) roundTrip(B.str(s));
    assert.equal(encodeData(B.str('a"b\\c\n')), '{"@data-type":"string","data":"a\\"b\\\\c\\n"}');
    // escaped input decodes
    assert.deepStrictEqual(decodeDataText('{"@data-type":"string","data":"\\u00fc\\ud83d\\ude00\\/\\b\\f"}'), B.str('ü😀/\b\f'));
  });

  it('enum-value', () => {
    assert.equal(roundTrip(B.enum('Management::RUNNING')), '{"@data-type":"enum-value","data":"Management::RUNNING"}');
    roundTrip(B.enum('foo'));
    roundTrip(B.enum('Supervisor::WORKER'));
  });

  it('address: IPv4 and IPv6', () => {
    for (const a of ['0.0.0.0', '127.0.0.1', '192.168.99.9', '255.255.255.255', '2001:db8::', '::', '::1', 'fe80::1',
      '2001:db8:85a3::8a2e:370:7334', '::ffff:10.0.0.1', '2001:0db8:0000:0000:0000:0000:0000:0001']) {
      assert.equal(roundTrip(B.addr(a)), `{"@data-type":"address","data":"${a}"}`);
    }
  });

  it('subnet: IPv4 and IPv6 prefixes', () => {
    for (const s of ['10.0.0.0/8', '255.255.255.0/24', '0.0.0.0/0', '192.168.1.1/32', '2001:db8::/32', '::/0', '::1/128']) {
      assert.equal(roundTrip(B.subnet(s)), `{"@data-type":"subnet","data":"${s}"}`);
    }
  });

  it('port: tcp, udp, icmp, ? and the number range', () => {
    const cases: Array<[number, 'tcp' | 'udp' | 'icmp' | '?']> = [[8080, 'tcp'], [53, 'udp'], [8, 'icmp'], [0, '?'], [0, 'tcp'], [65535, 'udp'], [1, 'icmp']];
    for (const [n, p] of cases) {
      assert.equal(roundTrip(B.port(n, p)), `{"@data-type":"port","data":"${n}/${p}"}`);
    }
  });

  it('vector and set: empty, mixed, nested', () => {
    assert.equal(roundTrip(B.vec([])), '{"@data-type":"vector","data":[]}');
    assert.equal(roundTrip(B.set([])), '{"@data-type":"set","data":[]}');
    roundTrip(B.vec([B.count(42), B.int(23), B.str('x'), B.none(), B.bool(true), B.real(1.5)]));
    roundTrip(B.set([B.str('foo'), B.str('bar')]));
    roundTrip(B.vec([B.vec([]), B.vec([B.vec([B.set([B.vec([])])])]), B.set([B.vec([B.count(1)])])]));
  });

  it('table: empty, flat, nested tables with vector and table keys', () => {
    assert.equal(roundTrip(B.table([])), '{"@data-type":"table","data":[]}');
    roundTrip(B.table([[B.str('first-name'), B.str('John')], [B.str('last-name'), B.str('Doe')]]));
    const inner = B.table([[B.vec([B.addr('10.0.0.1'), B.port(80, 'tcp')]), B.count(3)], [B.vec([]), B.none()]]);
    const nested = B.table([
      [B.vec([B.str('a'), B.count(1)]), inner],
      [B.vec([B.vec([B.int(-1)])]), B.table([[inner, B.set([inner])]])],
      [B.table([[B.str('k'), B.str('v')]]), B.vec([B.table([])])],
    ]);
    const text = roundTrip(nested);
    assert.ok(text.startsWith('{"@data-type":"table","data":[{"key":{"@data-type":"vector","data":[{"@data-type":"string","data":"a"}'));
  });

  it('everything together, nested to the depth limit', () => {
    const all: BrokerData[] = [
      B.none(), B.bool(true), B.count(U64_MAX), B.int(I64_MIN), B.real(-7.5), B.timespan(1500000000n), B.timestamp(1649574000000000000n),
      B.str('☃'), B.enum('Supervisor::WORKER'), B.addr('2001:db8::'), B.subnet('10.0.0.0/8'), B.port(2151, 'tcp'),
      B.vec([]), B.set([]), B.table([]),
    ];
    let d: BrokerData = B.vec(all);
    for (let i = 0; i < DEFAULT_LIMITS.maxDepth - 1; i++) d = i % 3 === 0 ? B.vec([d]) : i % 3 === 1 ? B.set([d]) : B.table([[B.count(i), d]]);
    roundTrip(d);
  });

  it('the text does not depend on what the writer has glued before, past the limit of its glue table too', () => {
    // JSON.stringify of the plain {"@data-type", "data"} form is the reference for these types.
    const plain = (d: BrokerData): unknown => {
      switch (d.type) {
        case 'none': return { '@data-type': 'none', data: {} };
        case 'count': return { '@data-type': 'count', data: Number(d.value) };
        case 'vector': case 'set': return { '@data-type': d.type, data: d.value.map(plain) };
        case 'table': return { '@data-type': 'table', data: d.value.map(([k, v]) => ({ key: plain(k), value: plain(v) })) };
        case 'port': return { '@data-type': 'port', data: `${d.value.number}/${d.value.protocol}` };
        default: return { '@data-type': d.type, data: d.value };
      }
    };
    const leaves = [B.str('x'), B.none(), B.count(7), B.bool(false), B.port(53, 'udp'), B.enum('A::B')];
    const wraps: Array<(d: BrokerData) => BrokerData> = [
      (d) => B.vec([d]), (d) => B.set([B.none(), d]), (d) => B.table([[d, B.str('v')]]), (d) => B.table([[B.str('k'), d]]),
    ];
    // Every depth and every mix of container kinds leaves a different run of closers and heads between leaves.
    const values: BrokerData[] = [];
    for (let depth = 1; depth <= 30; depth++) {
      for (let w = 0; w < wraps.length; w++) {
        for (const leaf of leaves) {
          let d = leaf;
          for (let k = 0; k < depth; k++) d = wraps[(w + k * (depth % 3 + 1)) % wraps.length](d);
          values.push(d);
        }
      }
    }
    for (let i = 0; i < values.length; i += 7) {
      const d = B.vec(values.slice(i, i + 7));
      assert.equal(encodeData(d), JSON.stringify(plain(d)));
    }
    const glue = gluedRuns();
    assert.equal(glue.count, glue.max, 'the data above should fill the glue table');
    // Once the table is full, the writer still writes the same text.
    const d = B.vec(values.slice(0, 60));
    assert.equal(encodeData(d), JSON.stringify(plain(d)));
    assert.deepStrictEqual(decodeGeneral(encodeData(d)), d);
  });

  it('encodeDataFields gives the members without braces, for embedding', () => {
    assert.equal(encodeDataFields(B.count(1)), '"@data-type":"count","data":1');
    assert.equal(encodeDataFields(B.vec([B.str('x')])), '"@data-type":"vector","data":[{"@data-type":"string","data":"x"}]');
  });
});

describe('Broker JSON codec: the one-pass reader agrees with the general path', () => {
  // Layouts other senders produce: zeek-client's json.dumps (", "/": " separators,
  // sorted keys), pretty-printing, escapes in keys and type names, other key orders.
  const value = B.vec([
    B.count(1), B.count(1),
    B.vec([B.str('Management::Controller::API::get_nodes_request'), B.vec([B.str('reqid-1'), B.table([[B.str('a b'), B.port(1, 'udp')]])])]),
  ]);
  const compact = encodeData(value);
  const variants: Array<[string, string]> = [
    ['compact', compact],
    ['json.dumps style', JSON.stringify(JSON.parse(compact)).replace(/,"/g, ', "').replace(/":/g, '": ')],
    ['pretty-printed', JSON.stringify(JSON.parse(compact), null, 4)],
    ['CRLF and tabs', JSON.stringify(JSON.parse(compact), null, '\t').replace(/\n/g, '\r\n')],
    ['escaped type name', compact.replace('"@data-type":"string"', '"@data-type":"str\\u0069ng"')],
    ['escaped key', compact.replace('"@data-type":"count"', '"\\u0040data-type":"count"')],
    ['data before @data-type', compact.replace('{"@data-type":"port","data":"1/udp"}', '{"data":"1/udp","@data-type":"port"}')],
    ['value before key', compact.replace(/\{"key":(\{[^}]*\}),"value":(\{[^}]*\})\}/, '{"value":$2,"key":$1}')],
    ['extra member', compact.replace('{"@data-type":"count","data":1}', '{"@data-type":"count","data":1,"note":"x"}')],
  ];
  for (const [name, text] of variants) {
    it(name, () => {
      if (name !== 'compact') assert.notEqual(text, compact, 'the variant must differ from the compact text');
      assert.deepStrictEqual(decodeGeneral(text), value);
      assert.deepStrictEqual(decodeDataText(text), value);
      const fast = fastDecodeDataText(text, DEFAULT_LIMITS);
      if (fast !== undefined) assert.deepStrictEqual(fast, value);
    });
  }

  it('takes the zeek-client layout itself (no fallback needed)', () => {
    assert.deepStrictEqual(fastDecodeDataText(variants[1][1], DEFAULT_LIMITS), value);
    assert.deepStrictEqual(fastDecodeDataText(variants[2][1], DEFAULT_LIMITS), value);
  });

  it('data messages: any member order, zeek-client sorted keys with spaces', () => {
    const msg = encodeDataMessage('zeek/management/controller', value);
    const sorted = `{"@data-type": "vector", "data": ${JSON.stringify(JSON.parse(msg).data)}, "topic": "zeek/management/controller", "type": "data-message"}`;
    for (const text of [msg, sorted, JSON.stringify(JSON.parse(msg), null, 2)]) {
      const viaFast = fastParseDataMessage(text, DEFAULT_LIMITS);
      assert.ok(viaFast, 'one-pass reader took the message');
      assert.deepStrictEqual(viaFast, { type: 'data-message', topic: 'zeek/management/controller', data: value });
      assert.deepStrictEqual(parseDataMessage(text), viaFast);
      assert.deepStrictEqual(parseServerMessage(text), viaFast);
    }
  });
});

describe('Broker JSON codec: the reference documentation examples', () => {
  let examples: RstJsonExample[] = [];

  before(() => {
    const missing = REFERENCE_FILES.map((f) => path.join(REFERENCE, f)).filter((f) => !fs.existsSync(f));
    if (missing.length > 0) {
      throw new Error(`reference documents not found: ${missing.join(', ')} (expected the shared reference tree at ${REFERENCE}, i.e. ../shared/reference next to the repository)`);
    }
    examples = REFERENCE_FILES.flatMap((f) => extractJsonExamples(path.join(REFERENCE, f)));
  });

  it('finds the examples (web-socket.rst: 22, websocket-api.rst: 8; data.rst has none)', () => {
    const count = (f: string): number => examples.filter((e) => e.where.includes(f)).length;
    assert.ok(count('broker/web-socket.rst') >= 22, `web-socket.rst gave ${count('broker/web-socket.rst')} examples`);
    assert.ok(count('zeek-docs/websocket-api.rst') >= 8, `websocket-api.rst gave ${count('zeek-docs/websocket-api.rst')} examples`);
    assert.equal(count('broker/data.rst'), extractJsonExamples(path.join(REFERENCE, 'broker/data.rst')).length);
    // every kind of value and message is represented
    const kinds = new Set(examples.map((e) => {
      const j = e.json as Record<string, unknown>;
      return Array.isArray(j) ? 'handshake' : (j.type as string | undefined) ?? (j['@data-type'] as string);
    }));
    for (const k of ['ack', 'error', 'data-message', 'handshake', 'none', 'boolean', 'count', 'integer', 'real', 'timespan', 'timestamp',
      'string', 'enum-value', 'address', 'subnet', 'port', 'vector', 'set', 'table']) {
      assert.ok(kinds.has(k), `no reference example of ${k}`);
    }
  });

  it('every example decodes and re-encodes to the same JSON', () => {
    assert.ok(examples.length > 0);
    for (const ex of examples) {
      const j = ex.json as Record<string, unknown>;
      let again: string;
      if (Array.isArray(j)) {
        again = encodeSubscriptions(parseSubscriptions(ex.text));
      } else if (j.type === 'ack') {
        const m = parseServerMessage(ex.text);
        assert.equal(m.type, 'ack', ex.where);
        again = m.type === 'ack' ? encodeAck(m.endpoint, m.version) : '';
      } else if (j.type === 'error') {
        const m = parseServerMessage(ex.text);
        assert.equal(m.type, 'error', ex.where);
        again = m.type === 'error' ? encodeError(m.code, m.context) : '';
      } else if (j.type === 'data-message') {
        const m = parseDataMessage(ex.text);
        assert.deepStrictEqual(parseServerMessage(ex.text), m, ex.where);
        again = encodeDataMessage(m.topic, m.data);
      } else {
        again = encodeData(decodeDataText(ex.text));
        assert.equal(encodeData(decodeGeneral(ex.text)), again, ex.where);
      }
      assert.deepStrictEqual(JSON.parse(again), ex.json, `${ex.where}: re-encoded JSON differs`);
    }
  });

  it('the event examples read as Zeek events, with and without metadata, and re-encode unchanged', () => {
    const events = examples.filter((e) => {
      const j = e.json as { type?: string; data?: Array<{ data?: unknown }> };
      return j.type === 'data-message' && Array.isArray(j.data) && j.data.length === 3;
    });
    assert.ok(events.length >= 5, `expected at least 5 event examples, found ${events.length}`);
    let withMetadata = 0;
    for (const ex of events) {
      const m = parseDataMessage(ex.text);
      const ev = eventFromData(m.data);
      assert.ok(ev.name === 'event_1' || ev.name === 'hello', `${ex.where}: ${ev.name}`);
      if (ev.metadata !== undefined) withMetadata++;
      assert.deepStrictEqual(JSON.parse(encodeDataMessage(m.topic, eventToData(ev))), ex.json, ex.where);
    }
    assert.ok(withMetadata >= 4, 'the Zeek 8 transcripts and the NetworkTimestamp example carry metadata');
    const netTime = events.map((e) => eventFromData(parseDataMessage(e.text).data)).find((e) => e.metadata?.length === 1);
    assert.ok(netTime?.metadata);
    assert.equal(netTime.metadata[0][0], 1n);
    assert.deepStrictEqual(netTime.metadata[0][1], B.timestamp(parseTimestamp('2023-04-18T14:13:14.000')));
  });
});

describe('Broker JSON codec: Zeek events', () => {
  const ev: ZeekEvent = { name: 'Management::Controller::API::get_id_value_request', args: [B.str('reqid-1'), B.str('Broker::default_port'), B.set([])] };

  it('encodes as [1, 1, [name, args]]', () => {
    assert.deepStrictEqual(eventToData(ev), B.vec([B.count(1), B.count(1), B.vec([B.str(ev.name), B.vec(ev.args)])]));
    assert.equal(
      encodeData(eventToData({ name: 'hello', args: [B.count(3)] })),
      '{"@data-type":"vector","data":[{"@data-type":"count","data":1},{"@data-type":"count","data":1},{"@data-type":"vector","data":[{"@data-type":"string","data":"hello"},{"@data-type":"vector","data":[{"@data-type":"count","data":3}]}]}]}',
    );
  });

  it('round-trips through a data message', () => {
    const text = encodeDataMessage('zeek/management/controller', eventToData(ev));
    const m = parseDataMessage(text);
    assert.equal(m.topic, 'zeek/management/controller');
    assert.deepStrictEqual(eventFromData(m.data), ev);
  });

  it('reads the Zeek 8 form [name, args, metadata], empty or with entries, and keeps the metadata', () => {
    const zeek8 = '{"type":"data-message","topic":"zeek.test","@data-type":"vector","data":[{"@data-type":"count","data":1},{"@data-type":"count","data":1},{"@data-type":"vector","data":[{"@data-type":"string","data":"hello"},{"@data-type":"vector","data":[{"@data-type":"count","data":3}]},{"@data-type":"vector","data":[]}]}]}';
    const e = eventFromData(parseDataMessage(zeek8).data);
    assert.deepStrictEqual(e, { name: 'hello', args: [B.count(3)], metadata: [] });
    assert.equal(encodeDataMessage('zeek.test', eventToData(e)), zeek8);

    const meta: ZeekEvent = { name: 'x', args: [], metadata: [[1n, B.timestamp(1681827194000000000n)], [200n, B.str('mine')], [U64_MAX, B.none()]] };
    assert.deepStrictEqual(eventFromData(decodeDataText(encodeData(eventToData(meta)))), meta);
  });

  it('reads zeek-client\'s event vectors (ZeekEvent.to_broker, serialized with json.dumps)', () => {
    const text = '{"@data-type": "vector", "data": [{"@data-type": "count", "data": 1}, {"@data-type": "count", "data": 1}, {"@data-type": "vector", "data": [{"@data-type": "string", "data": "Management::Controller::API::get_instances_request"}, {"@data-type": "vector", "data": [{"@data-type": "string", "data": "4c7d2b5e"}]}]}]}';
    assert.deepStrictEqual(eventFromData(decodeDataText(text)), { name: 'Management::Controller::API::get_instances_request', args: [B.str('4c7d2b5e')] });
  });
});

describe('Broker JSON codec: 64-bit values keep their precision', () => {
  const big = B.vec([B.count((1n << 53n) + 1n), B.count(U64_MAX), B.int(I64_MIN), B.int(I64_MAX), B.int(-((1n << 53n) + 1n))]);

  it('through encodeDataMessage and parseDataMessage', () => {
    const text = encodeDataMessage('t', big);
    assert.ok(text.includes('9007199254740993') && text.includes('18446744073709551615') && text.includes('-9223372036854775808'));
    assert.deepStrictEqual(parseDataMessage(text).data, big);
  });

  it('through the general (lossless) path too', () => {
    const text = encodeData(big);
    const json = parseJsonText(text);
    assert.deepStrictEqual(decodeData(json), big);
    // with a layout the one-pass reader leaves to the general path
    const odd = text.replace('{"@data-type":"count","data":9007199254740993}', '{"data":9007199254740993,"@data-type":"count"}');
    assert.equal(fastDecodeDataText(odd, DEFAULT_LIMITS), undefined);
    assert.deepStrictEqual(decodeDataText(odd), big);
  });

  it('bigints are the values, not rounded doubles', () => {
    const d = decodeDataText('{"@data-type":"count","data":9007199254740993}');
    assert.ok(d.type === 'count');
    assert.equal(typeof d.value, 'bigint');
    assert.equal(d.value, 9007199254740993n);
    assert.notEqual(d.value, BigInt(Number(9007199254740993n)));
  });

  it('event metadata keys and event arguments keep precision', () => {
    const ev: ZeekEvent = { name: 'e', args: [B.count(U64_MAX)], metadata: [[U64_MAX, B.count((1n << 64n) - 2n)]] };
    assert.deepStrictEqual(eventFromData(parseDataMessage(encodeDataMessage('t', eventToData(ev))).data), ev);
  });
});
