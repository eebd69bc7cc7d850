// Malformed input to the Broker WebSocket JSON codec, messages, events and Management
// records: each is refused with a typed WireError (or its ShapeError subclass) whose
// code is Broker's error code name and whose message names the problem and, where it
// applies, the position.

import * as assert from 'node:assert/strict';
import { B, BrokerData, U64_MAX } from '../sdk/broker/data';
import { ShapeError, WireError } from '../sdk/broker/errors';
import { eventFromData } from '../sdk/broker/event';
import { DecodeLimits, DEFAULT_LIMITS } from '../sdk/broker/json-codec';
import { encodeData } from '../sdk/broker/json-encode';
import { decodeDataText } from '../sdk/broker/json-fast';
import { encodeDataMessage, parseDataMessage, parseServerMessage, parseSubscriptions } from '../sdk/broker/messages';
import {
  configurationFromData, instanceFromData, nodeFromData, nodeOutputsFromData, nodeStatusFromData, nodeToData, optionFromData, resultFromData,
} from '../sdk/model/records';
import { Node } from '../sdk/model/schemas';

interface Expect {
  code: string;
  message: RegExp;
  /** Exact error path, when the problem sits inside a value. */
  path?: string;
  /** ShapeError (a well-formed value of the wrong shape) rather than a plain WireError. */
  shape?: boolean;
}

function refuses(what: () => unknown, e: Expect): WireError {
  let caught: unknown;
  try {
    what();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, 'expected an error, but the input was accepted');
  assert.ok(caught instanceof WireError, `expected a WireError, got ${String(caught)}`);
  assert.equal(caught.code, e.code, `wrong code for: ${caught.message}`);
  assert.match(caught.message, e.message);
  if (e.path !== undefined) assert.equal(caught.path, e.path);
  assert.equal(caught instanceof ShapeError, e.shape === true, `ShapeError expected: ${e.shape === true}`);
  return caught;
}

/** A value as JSON text: `{"@data-type":type,"data":<data text>}`. */
const value = (type: string, dataText: string): string => `{"@data-type":${JSON.stringify(type)},"data":${dataText}}`;
const decode = (text: string, limits: DecodeLimits = DEFAULT_LIMITS) => (): BrokerData => decodeDataText(text, limits);

describe('Broker JSON codec: malformed values', () => {
  const cases: Array<[string, string, Expect]> = [
    ['truncated JSON', '{"@data-type":"count","data":1', { code: 'deserialization_failed', message: /malformed JSON/ }],
    ['trailing garbage', '{"@data-type":"count","data":1} x', { code: 'deserialization_failed', message: /malformed JSON/ }],
    ['not JSON at all', 'How is it going?', { code: 'deserialization_failed', message: /malformed JSON/ }],
    ['raw control character in a string', value('string', '"a\u0001b"'), { code: 'deserialization_failed', message: /malformed JSON/ }],
    ['invalid escape', value('string', '"\\x41"'), { code: 'deserialization_failed', message: /malformed JSON/ }],
    ['not an object', '[1,2,3]', { code: 'invalid_data', message: /expected a \{"@data-type", "data"\} object, got an array/, path: '$' }],
    ['unknown @data-type', value('bignum', '1'), { code: 'invalid_tag', message: /unknown @data-type "bignum"/, path: '$' }],
    ['missing @data-type', '{"data":1}', { code: 'invalid_data', message: /missing "@data-type" string/ }],
    ['@data-type not a string', '{"@data-type":7,"data":1}', { code: 'invalid_data', message: /missing "@data-type" string/ }],
    ['missing data', '{"@data-type":"count"}', { code: 'invalid_data', message: /count value has no "data" field/ }],
    ['count with a decimal point', value('count', '1.0'), { code: 'invalid_data', message: /count must be a whole number without decimal point or exponent, got 1\.0/, path: '$.data' }],
    ['count in exponent notation', value('count', '1e3'), { code: 'invalid_data', message: /count must be a whole number without decimal point or exponent, got 1e3/ }],
    ['integer in exponent notation', value('integer', '-2E2'), { code: 'invalid_data', message: /integer must be a whole number without decimal point or exponent, got -2E2/ }],
    ['count as a string', value('count', '"1"'), { code: 'invalid_data', message: /count must be a JSON integer, got the string "1"/ }],
    ['negative count', value('count', '-1'), { code: 'invalid_data', message: /count must not be negative, got -1/ }],
    ['count of 2^64', value('count', '18446744073709551616'), { code: 'invalid_data', message: /count 18446744073709551616 exceeds 2\^64-1/ }],
    ['count of 400 digits', value('count', '9'.repeat(400)), { code: 'invalid_data', message: /count 9{40}… \(400 characters\) exceeds 2\^64-1/ }],
    ['integer of 2^63', value('integer', '9223372036854775808'), { code: 'invalid_data', message: /integer 9223372036854775808 is outside the 64-bit signed range/ }],
    ['integer below -2^63', value('integer', '-9223372036854775809'), { code: 'invalid_data', message: /integer -9223372036854775809 is outside the 64-bit signed range/ }],
    ['boolean as a string', value('boolean', '"true"'), { code: 'invalid_data', message: /boolean must be true or false, got the string "true"/ }],
    ['real as a string', value('real', '"1.5"'), { code: 'invalid_data', message: /real must be a JSON number, got the string "1\.5"/ }],
    ['real beyond double range', value('real', '1e400'), { code: 'invalid_data', message: /real must be a JSON number, got the number 1e400/ }],
    ['port with an unknown protocol', value('port', '"80/sctp"'), { code: 'invalid_data', message: /port must look like <0-65535>\/<tcp\|udp\|icmp\|\?>, got "80\/sctp"/ }],
    ['port number above 65535', value('port', '"65536/tcp"'), { code: 'invalid_data', message: /port must look like <0-65535>.*"65536\/tcp"/ }],
    ['port without protocol', value('port', '"80"'), { code: 'invalid_data', message: /port must look like .*got "80"/ }],
    ['IPv4 address with an octet > 255', value('address', '"256.1.1.1"'), { code: 'invalid_data', message: /address "256\.1\.1\.1" is not an IPv4 or IPv6 address/ }],
    ['host name as address', value('address', '"localhost"'), { code: 'invalid_data', message: /address "localhost" is not an IPv4 or IPv6 address/ }],
    ['IPv6 address with a zone id', value('address', '"fe80::1%eth0"'), { code: 'invalid_data', message: /address "fe80::1%eth0" is not/ }],
    ['subnet prefix above 32', value('subnet', '"10.0.0.0/33"'), { code: 'invalid_data', message: /subnet "10\.0\.0\.0\/33" is not <address>\/<prefix length>/ }],
    ['IPv6 subnet prefix above 128', value('subnet', '"2001:db8::/129"'), { code: 'invalid_data', message: /subnet "2001:db8::\/129" is not/ }],
    ['subnet without prefix', value('subnet', '"10.0.0.0"'), { code: 'invalid_data', message: /subnet "10\.0\.0\.0" is not/ }],
    ['timespan with an unknown suffix', value('timespan', '"5sec"'), { code: 'invalid_data', message: /timespan must look like <integer><ns\|us\|ms\|s\|min\|h\|d>, got "5sec"/ }],
    ['timespan with a fraction', value('timespan', '"1.5s"'), { code: 'invalid_data', message: /timespan must look like .*got "1\.5s"/ }],
    ['timespan overflowing 64 bits', value('timespan', '"106752d"'), { code: 'invalid_data', message: /timespan 106752d overflows 64-bit nanoseconds/ }],
    ['timestamp on February 30', value('timestamp', '"2023-02-30T00:00:00.000"'), { code: 'invalid_data', message: /timestamp "2023-02-30T00:00:00\.000" is not a valid date and time/ }],
    ['timestamp at hour 24', value('timestamp', '"2023-01-01T24:00:00.000"'), { code: 'invalid_data', message: /is not a valid date and time/ }],
    ['timestamp that is not ISO 8601', value('timestamp', '"yesterday"'), { code: 'invalid_data', message: /timestamp must be ISO 8601 YYYY-MM-DDThh:mm:ss\[\.fraction\], got "yesterday"/ }],
    ['timestamp beyond 2262', value('timestamp', '"2300-01-01T00:00:00"'), { code: 'invalid_data', message: /outside the range of 64-bit nanoseconds/ }],
    ['none with non-empty data', value('none', '{"x":1}'), { code: 'invalid_data', message: /none must have data \{\}, got an object/ }],
    ['none with null data', value('none', 'null'), { code: 'invalid_data', message: /none must have data \{\}, got null/ }],
    ['vector data not an array', value('vector', '{}'), { code: 'invalid_data', message: /vector must be a JSON array, got an object/ }],
    ['vector element not a value', value('vector', `[${value('count', '1')},7]`), { code: 'invalid_data', message: /expected a \{"@data-type", "data"\} object, got the number 7/, path: '$.data[1]' }],
    ['table entry without key', value('table', `[{"value":${value('count', '1')}}]`), { code: 'invalid_data', message: /table entry must be an object with "key" and "value"/, path: '$.data[0]' }],
    ['table entry as a pair array', value('table', `[[${value('count', '1')},${value('count', '2')}]]`), { code: 'invalid_data', message: /table entry must be an object with "key" and "value", got an array/ }],
    ['bad value deep inside, with its path', value('vector', `[${value('none', '{}')},${value('table', `[{"key":${value('port', '"1/xyz"')},"value":${value('none', '{}')}}]`)}]`),
      { code: 'invalid_data', message: /port must look like/, path: '$.data[1].data[0].key.data' }],
  ];
  for (const [name, text, e] of cases) {
    it(name, () => {
      refuses(decode(text), e);
      // a data message carrying the same (well-formed JSON) value is refused the same way
      if (text.startsWith('{"@data-type":"') && !e.message.source.includes('malformed')) {
        refuses(() => parseDataMessage(`{"type":"data-message","topic":"t",${text.slice(1)}`), { ...e, path: undefined });
      }
    });
  }
  assert.ok(cases.length >= 30);
});

describe('Broker JSON codec: resource limits', () => {
  /** `depth` vectors inside each other around a count, as JSON text. */
  function nested(depth: number, count = '1'): string {
    return '{"@data-type":"vector","data":['.repeat(depth) + value('count', count) + ']}'.repeat(depth);
  }

  it('nesting 10,000 deep: a typed error, no stack overflow', () => {
    refuses(decode(nested(10000)), { code: 'invalid_data', message: /values nest deeper than 64 levels/ });
    // the same when a 64-bit number sends the text down the lossless-json path
    refuses(decode(nested(10000, '18446744073709551615')), { code: 'invalid_data', message: /values nest deeper than 64 levels/ });
    refuses(() => parseDataMessage(`{"type":"data-message","topic":"t",${nested(10000).slice(1)}`), { code: 'invalid_data', message: /values nest deeper than 64 levels/ });
  });

  it('the depth limit is exact: 64 levels decode, 65 do not', () => {
    assert.equal(decodeDataText(nested(64)).type, 'vector');
    refuses(decode(nested(65)), { code: 'invalid_data', message: /values nest deeper than 64 levels/ });
  });

  it('nesting beyond what the stack holds, with the depth limit lifted, is still a typed error', () => {
    const limits = { maxDepth: 1e7, maxTextLength: 64 * 1024 * 1024 };
    refuses(decode(nested(200000), limits), { code: 'invalid_data', message: /values nest too deeply to decode/ });
    refuses(decode(nested(200000, '18446744073709551615'), limits), { code: 'deserialization_failed', message: /malformed JSON: nesting too deep/ });
    let d: BrokerData = B.count(1);
    for (let i = 0; i < 200000; i++) d = B.vec([d]);
    refuses(() => encodeData(d), { code: 'serialization_failed', message: /value nests too deeply to encode/ });
  });

  it('plain JSON nested 10,000 deep as a handshake', () => {
    refuses(() => parseSubscriptions('['.repeat(10000) + ']'.repeat(10000)), { code: 'deserialization_failed', message: /handshake must be a JSON array of topic strings/ });
  });

  describe('a 10 MB string', () => {
    const big = 'x'.repeat(10 * 1024 * 1024 - 8) + 'ünï©ødé';
    const text = encodeDataMessage('zeek/test', B.str(big));

    it('decodes within the default 16 MiB limit', () => {
      assert.ok(text.length > 10 * 1024 * 1024 && text.length <= DEFAULT_LIMITS.maxTextLength);
      const m = parseDataMessage(text);
      assert.ok(m.data.type === 'string' && m.data.value === big);
    });

    it('is refused over a configured limit, with sizes in the message', () => {
      const limits = { ...DEFAULT_LIMITS, maxTextLength: 4 * 1024 * 1024 };
      refuses(() => parseDataMessage(text, limits), { code: 'deserialization_failed', message: new RegExp(`message of ${text.length} characters exceeds the limit of 4194304`) });
      refuses(() => parseServerMessage(text, limits), { code: 'deserialization_failed', message: /exceeds the limit of 4194304/ });
      refuses(decode(encodeData(B.str(big)), limits), { code: 'deserialization_failed', message: /exceeds the limit of 4194304/ });
    });
  });
});

describe('Broker WebSocket messages: malformed envelopes', () => {
  const dm = (fields: string): string => `{${fields}}`;
  const cases: Array<[string, () => unknown, Expect]> = [
    ['handshake that is not an array', () => parseSubscriptions('{"topics":["a"]}'), { code: 'deserialization_failed', message: /handshake must be a JSON array of topic strings/ }],
    ['handshake array of non-strings', () => parseSubscriptions('["zeek/a", 1, null]'), { code: 'deserialization_failed', message: /handshake must be a JSON array of topic strings: 1: .*expected string/ }],
    ['handshake that is not JSON', () => parseSubscriptions('zeek/a'), { code: 'deserialization_failed', message: /malformed JSON/ }],
    ['data message without topic', () => parseDataMessage(dm('"type":"data-message","@data-type":"count","data":1')), { code: 'deserialization_failed', message: /not a data message: topic: .*expected string/ }],
    ['data message with an empty topic', () => parseDataMessage(dm('"type":"data-message","topic":"","@data-type":"count","data":1')), { code: 'deserialization_failed', message: /topic must not be empty/ }],
    ['data message with a numeric topic', () => parseDataMessage(dm('"type":"data-message","topic":5,"@data-type":"count","data":1')), { code: 'deserialization_failed', message: /not a data message: topic/ }],
    ['data message of another type', () => parseDataMessage(dm('"type":"data","topic":"t","@data-type":"count","data":1')), { code: 'deserialization_failed', message: /not a data message: type/ }],
    ['data message without @data-type', () => parseDataMessage(dm('"type":"data-message","topic":"t","data":1')), { code: 'deserialization_failed', message: /not a data message: @data-type/ }],
    ['data message without data', () => parseDataMessage(dm('"type":"data-message","topic":"t","@data-type":"count"')), { code: 'invalid_data', message: /count value has no "data" field/ }],
    ['data message that is an array', () => parseDataMessage('["data-message"]'), { code: 'deserialization_failed', message: /not a data message/ }],
    ['error message without code', () => parseServerMessage('{"type":"error","context":"x"}'), { code: 'deserialization_failed', message: /malformed error message: code: .*expected string/ }],
    ['error message without context', () => parseServerMessage('{"type":"error","code":"x"}'), { code: 'deserialization_failed', message: /malformed error message: context/ }],
    ['ack without endpoint', () => parseServerMessage('{"type":"ack","version":"2.2.0"}'), { code: 'deserialization_failed', message: /malformed ack: endpoint/ }],
    ['message of unknown type', () => parseServerMessage('{"type":"hello"}'), { code: 'deserialization_failed', message: /unknown message type "hello"/ }],
    ['message without type', () => parseServerMessage('{"topic":"t"}'), { code: 'deserialization_failed', message: /unknown message type null/ }],
  ];
  for (const [name, fn, e] of cases) it(name, () => refuses(fn, e));
});

describe('Zeek events: vectors of the wrong shape', () => {
  const c1 = B.count(1);
  const body = (...xs: BrokerData[]): BrokerData => B.vec([c1, c1, B.vec(xs)]);
  const name = B.str('Management::Controller::API::get_nodes_request');
  const args = B.vec([B.str('reqid')]);
  const cases: Array<[string, BrokerData, RegExp, string]> = [
    ['not a vector', B.count(1), /an event must be a vector of 3 elements/, '$'],
    ['wrong length (2)', B.vec([c1, c1]), /an event must be a vector of 3 elements/, '$'],
    ['wrong length (4)', B.vec([c1, c1, B.vec([name, args]), c1]), /an event must be a vector of 3 elements/, '$'],
    ['format number 2', B.vec([B.count(2), c1, B.vec([name, args])]), /event format number must be count 1/, '$[0]'],
    ['format number as an integer', B.vec([B.int(1), c1, B.vec([name, args])]), /event format number must be count 1/, '$[0]'],
    ['message type 2', B.vec([c1, B.count(2), B.vec([name, args])]), /event message type must be count 1/, '$[1]'],
    ['body not a vector', B.vec([c1, c1, B.str('x')]), /event body must be a vector \[name, args\] or \[name, args, metadata\]/, '$[2]'],
    ['body too short', body(name), /event body must be a vector/, '$[2]'],
    ['body too long', body(name, args, B.vec([]), B.vec([])), /event body must be a vector/, '$[2]'],
    ['name not a string', body(B.count(7), args), /event name must be a non-empty string/, '$[2][0]'],
    ['empty name', body(B.str(''), args), /event name must be a non-empty string/, '$[2][0]'],
    ['args not a vector', body(name, B.str('reqid')), /event arguments must be a vector/, '$[2][1]'],
    ['args a set', body(name, B.set([])), /event arguments must be a vector/, '$[2][1]'],
    ['metadata not a vector', body(name, args, B.table([])), /event metadata must be a vector/, '$[2][2]'],
    ['metadata entry not a pair', body(name, args, B.vec([B.vec([B.count(1)])])), /metadata entries must be \[count, value\] vectors/, '$[2][2][0]'],
    ['metadata key not a count', body(name, args, B.vec([B.vec([B.count(1), B.none()]), B.vec([B.str('k'), B.none()])])), /metadata entries must be \[count, value\] vectors/, '$[2][2][1]'],
  ];
  for (const [what, d, message, path] of cases) {
    it(what, () => {
      refuses(() => eventFromData(d), { code: 'type_clash', message, path, shape: true });
      // and the same after a trip over the wire
      refuses(() => eventFromData(parseDataMessage(encodeDataMessage('t', d)).data), { code: 'type_clash', message, path, shape: true });
    });
  }
});

describe('Broker JSON codec: values with no wire form are refused on encode', () => {
  const cases: Array<[string, BrokerData, RegExp, string]> = [
    ['negative count', { type: 'count', value: -1n }, /count must be a bigint in 0\.\.2\^64-1, got -1/, '$'],
    ['count above 2^64-1', { type: 'count', value: U64_MAX + 1n }, /count must be a bigint/, '$'],
    ['count as a number', { type: 'count', value: 5 as unknown as bigint }, /count must be a bigint in 0\.\.2\^64-1, got number/, '$'],
    ['integer beyond 64 bits', { type: 'integer', value: 1n << 63n }, /integer must be a bigint in -2\^63\.\.2\^63-1/, '$'],
    ['NaN real', B.real(NaN), /real NaN has no JSON representation/, '$'],
    ['infinite real', B.real(-Infinity), /real -Infinity has no JSON representation/, '$'],
    ['timespan beyond 64 bits', B.timespan(1n << 63n), /timespan of 9223372036854775808ns overflows 64-bit nanoseconds/, '$'],
    ['port above 65535', B.port(70000, 'tcp'), /port must have a number in 0\.\.65535/, '$'],
    ['port with a bad protocol', { type: 'port', value: { number: 1, protocol: 'sctp' } } as unknown as BrokerData, /protocol tcp, udp, icmp or \?/, '$'],
    ['host name as address', B.addr('localhost'), /address "localhost" is not an IPv4 or IPv6 address/, '$'],
    ['subnet without prefix', B.subnet('10.0.0.1'), /subnet "10\.0\.0\.1" is not <address>\/<prefix length>/, '$'],
    ['empty enum value', B.enum(''), /enum-value must be a non-empty string/, '$'],
    ['unknown type', { type: 'bignum', value: 1n } as unknown as BrokerData, /unknown Broker data type "bignum"/, '$'],
    ['null inside a vector', B.vec([B.none(), null as unknown as BrokerData]), /expected Broker data, got null/, '$.data[1]'],
    ['bad table value, with its path', B.vec([B.none(), B.table([[B.str('k'), B.vec([B.count(-1n)])]])]), /count must be a bigint/, '$.data[1].data[0].value.data[0]'],
    ['table entry that is not a pair', B.table([[B.str('k')] as unknown as [BrokerData, BrokerData]]), /table entries must be \[key, value\] pairs/, '$.data[0]'],
  ];
  for (const [what, d, message, path] of cases) {
    it(what, () => {
      refuses(() => encodeData(d), { code: 'serialization_failed', message, path });
      refuses(() => encodeDataMessage('t', d), { code: 'serialization_failed', message, path });
    });
  }
});

describe('Management records: wrong shapes', () => {
  const node: Node = {
    name: 'worker-1', instance: 'agent-1', role: 'WORKER', state: 'RUNNING', port: null, scripts: null, options: null,
    interface: 'eth0', cpu_affinity: null, env: { A: 'b' }, metrics_port: 9991,
  };
  const nodeFields = (): BrokerData[] => {
    const d = nodeToData(node);
    assert.ok(d.type === 'vector');
    return [...d.value];
  };
  const withField = (i: number, v: BrokerData): BrokerData => {
    const f = nodeFields();
    f[i] = v;
    return B.vec(f);
  };
  const shape = (message: RegExp, path: string): Expect => ({ code: 'type_clash', message, path, shape: true });

  const cases: Array<[string, () => unknown, Expect]> = [
    ['Node that is not a vector', () => nodeFromData(B.str('not a vector...')), shape(/Node must be a vector, got string/, '$')],
    ['Node with too few fields', () => nodeFromData(B.vec(nodeFields().slice(0, 3))), shape(/^Management::Node has 11 fields, got a vector of 3: missing fields 'state' \(position 4\), 'p' \(position 5\), .*'metrics_port' \(position 11\)$/, '$')],
    ['Node name that is a count', () => nodeFromData(withField(0, B.count(1))), shape(/node name must be a string, got count/, '$[0]')],
    ['Node role of an unknown value', () => nodeFromData(withField(2, B.enum('Supervisor::ANALYZER'))),
      shape(/cluster role "Supervisor::ANALYZER" is not one of Supervisor::NONE, Supervisor::LOGGER, Supervisor::MANAGER, Supervisor::PROXY, Supervisor::WORKER/, '$[2]')],
    ['Node role in the wrong enum scope', () => nodeFromData(withField(2, B.enum('Management::WORKER'))), shape(/cluster role "Management::WORKER" is not one of/, '$[2]')],
    ['Node role that is a count', () => nodeFromData(withField(2, B.count(4))), shape(/cluster role must be an enum value, got count/, '$[2]')],
    ['Node state of an unknown value', () => nodeFromData(withField(3, B.enum('Management::SLEEPING'))), shape(/state "Management::SLEEPING" is not one of Management::PENDING/, '$[3]')],
    ['Node port that is a count', () => nodeFromData(withField(4, B.count(80))), shape(/node port must be a port, got count/, '$[4]')],
    ['Node scripts that are a string', () => nodeFromData(withField(5, B.str('a.zeek'))), shape(/node scripts must be a vector or set, got string/, '$[5]')],
    ['Node script that is a count', () => nodeFromData(withField(5, B.vec([B.str('a.zeek'), B.count(1)]))), shape(/script must be a string, got count/, '$[5][1]')],
    ['Node option with a count value', () => nodeFromData(withField(6, B.set([B.vec([B.str('x'), B.count(1)])]))), shape(/option value must be a string, got count/, '$[6][0][1]')],
    ['Node cpu_affinity that is a string', () => nodeFromData(withField(8, B.str('3'))), shape(/node cpu_affinity must be an integer, got string/, '$[8]')],
    ['Node env that is a vector', () => nodeFromData(withField(9, B.vec([]))), shape(/node env must be a table, got vector/, '$[9]')],
    ['Node env value that is a count', () => nodeFromData(withField(9, B.table([[B.str('A'), B.count(1)]]))), shape(/env value must be a string, got count/, '$[9][0].value')],
    ['Node metrics_port that is a string', () => nodeFromData(withField(10, B.str('9991/tcp'))), shape(/node metrics_port must be a port, got string/, '$[10]')],
    ['Instance host that is a string', () => instanceFromData(B.vec([B.str('agent-1'), B.str('10.0.0.1'), B.none()])), shape(/instance host must be an address, got string/, '$[1]')],
    ['Instance with one field', () => instanceFromData(B.vec([B.str('agent-1')])), shape(/^Management::Instance has 3 fields, got a vector of 1: missing fields 'host' \(position 2\), 'listen_port' \(position 3\)$/, '$')],
    ['Configuration with a bad node, with its path', () => configurationFromData(B.vec([B.str('id'), B.set([]), B.set([withField(1, B.none())])])),
      shape(/node instance must be a string, got none/, '$[2][0][1]')],
    ['Configuration nodes that are a table', () => configurationFromData(B.vec([B.str('id'), B.set([]), B.table([])])), shape(/nodes must be a vector or set, got table/, '$[2]')],
    ['NodeStatus with one field', () => nodeStatusFromData(B.vec([B.str('worker-1')])), shape(/^Management::NodeStatus has 7 fields, got a vector of 1: missing fields 'state' \(position 2\)/, '$')],
    ['NodeStatus pid that is a string', () => nodeStatusFromData(B.vec([B.str('w'), B.enum('Management::RUNNING'), B.none(), B.none(), B.str('42'), B.none(), B.none()])), shape(/pid must be an integer, got string/, '$[4]')],
    ['NodeStatus mgmt_role of an unknown value', () => nodeStatusFromData(B.vec([B.str('w'), B.enum('Management::RUNNING'), B.enum('Management::BOSS'), B.none(), B.none(), B.none(), B.none()])), shape(/management role "Management::BOSS" is not one of Management::NONE, Management::AGENT/, '$[2]')],
    ['Result success that is a string', () => resultFromData(B.vec([B.str('r'), B.str('true'), B.none(), B.none(), B.none(), B.none()])), shape(/result success must be a boolean, got string/, '$[1]')],
    ['Result without fields', () => resultFromData(B.vec([])), shape(/^Management::Result has 6 fields, got a vector of 0: missing fields 'reqid' \(position 1\), 'success' \(position 2\)/, '$')],
    ['Option with one field', () => optionFromData(B.vec([B.str('x')])), shape(/^Management::Option has 2 fields, got a vector of 1: missing field 'value' \(position 2\)$/, '$')],
    ['NodeOutputs stderr that is none', () => nodeOutputsFromData(B.vec([B.str('out'), B.none()])), shape(/stderr must be a string, got none/, '$[1]')],
  ];
  for (const [name, fn, e] of cases) it(name, () => refuses(fn, e));

  it('extra trailing fields are tolerated: a Node with 13 fields, a NodeStatus with 8', () => {
    assert.deepStrictEqual(nodeFromData(B.vec([...nodeFields(), B.str('future'), B.count(1)])), node);
    const status = B.vec([B.str('worker-1'), B.enum('Management::RUNNING'), B.enum('Management::NODE'), B.enum('Supervisor::WORKER'), B.int(4242), B.port(2200), B.port(9000), B.str('future')]);
    assert.deepStrictEqual(nodeStatusFromData(status), { node: 'worker-1', state: 'RUNNING', mgmt_role: 'NODE', cluster_role: 'WORKER', pid: 4242, port: 2200, metrics_port: 9000 });
  });

  it('a record shorter than its type is refused, even where only &optional or &default fields are missing (as Zeek\'s data_to_val)', () => {
    refuses(() => nodeFromData(B.vec(nodeFields().slice(0, 10))), shape(/^Management::Node has 11 fields, got a vector of 10: missing field 'metrics_port' \(position 11\)$/, '$'));
    refuses(() => configurationFromData(B.vec([B.str('only-id')])), shape(/^Management::Configuration has 3 fields, got a vector of 1: missing fields 'instances' \(position 2\), 'nodes' \(position 3\)$/, '$'));
    refuses(() => configurationFromData(B.vec([B.str('id'), B.set([]), B.set([B.vec(nodeFields().slice(0, 4))])])), shape(/Management::Node has 11 fields, got a vector of 4/, '$[2][0]'));
    refuses(() => resultFromData(B.vec([B.str('r'), B.bool(true)])), shape(/missing fields 'instance' \(position 3\), 'data' \(position 4\), 'error' \(position 5\), 'node' \(position 6\)$/, '$'));
    // none stands for an unset field: &default fields take their default.
    assert.deepStrictEqual(configurationFromData(B.vec([B.str('id'), B.none(), B.none()])), { id: 'id', instances: [], nodes: [] });
    // id's default is unique_id(""): a fresh id each time.
    const a = configurationFromData(B.vec([B.none(), B.set([]), B.set([])]));
    const b = configurationFromData(B.vec([B.none(), B.set([]), B.set([])]));
    assert.match(a.id, /^[0-9a-f-]{36}$/);
    assert.notEqual(a.id, b.id);
  });

  it('older Zeek layouts without metrics_port only where a client reads responses (olderZeek), as zeek-client', () => {
    assert.deepStrictEqual(nodeFromData(B.vec(nodeFields().slice(0, 10)), '$', { olderZeek: true }), { ...node, metrics_port: null });
    refuses(() => nodeFromData(B.vec(nodeFields().slice(0, 9)), '$', { olderZeek: true }), shape(/got a vector of 9: missing fields 'env' \(position 10\), 'metrics_port' \(position 11\)$/, '$'));
    const six = B.vec([B.str('w'), B.enum('Management::RUNNING'), B.none(), B.none(), B.int(1), B.port(2200)]);
    assert.equal(nodeStatusFromData(six, '$', { olderZeek: true }).metrics_port, null);
    refuses(() => nodeStatusFromData(six), shape(/missing field 'metrics_port' \(position 7\)$/, '$'));
  });
});
