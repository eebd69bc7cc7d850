// The one-pass reader (sdk/broker/json-fast.ts) is only a shortcut: the general path
// (parseJsonText + decodeData) decides what is valid. Differential check over random
// values and thousands of random corruptions of their text: whenever the reader
// accepts, the general path accepts the same value; and the public decoders behave
// exactly like the general path (same value, or same error code and message).

import * as assert from 'node:assert/strict';
import { B, BrokerData, I64_MAX, I64_MIN, U64_MAX } from '../sdk/broker/data';
import { WireError } from '../sdk/broker/errors';
import { decodeData, DEFAULT_LIMITS, parseJsonText } from '../sdk/broker/json-codec';
import { encodeData } from '../sdk/broker/json-encode';
import { decodeDataText, fastDecodeDataText, fastParseDataMessage } from '../sdk/broker/json-fast';
import { dataMessageFromJson, encodeDataMessage, parseDataMessage } from '../sdk/broker/messages';
import { seededRandom } from './helpers/seeded-random';

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; message: string };

function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (!(e instanceof WireError)) throw new Error(`untyped error escaped the codec: ${String(e)}`);
    return { ok: false, code: e.code, message: e.message };
  }
}

describe('one-pass reader: differential check against the general path', () => {
  const rnd = seededRandom(Number(process.env.CODEC_FUZZ_SEED ?? 0x5eed)); // CODEC_FUZZ_SEED explores other cases
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const bigint = (lo: bigint, hi: bigint): bigint => {
    const r = BigInt(Math.floor(rnd() * 2 ** 53)) * BigInt(Math.floor(rnd() * 2 ** 13) + 1);
    return lo + (r % (hi - lo + 1n));
  };
  const STRINGS = ['', 'a', 'worker-1', 'Management::RUNNING', 'ü', '😀', 'q"uote', 'back\\slash', 'nl\n', '\u0000', '\ud800', '{"@data-type":"x"}', ' ', '1'];

  function randomValue(depth: number): BrokerData {
    const scalar = (): BrokerData => {
      switch (Math.floor(rnd() * 14)) {
        case 0: return B.none();
        case 1: return B.bool(rnd() < 0.5);
        case 2: return B.count(pick([0n, 1n, 42n, (1n << 53n) + 1n, U64_MAX, bigint(0n, U64_MAX)]));
        case 3: return B.int(pick([0n, -1n, I64_MIN, I64_MAX, bigint(I64_MIN, I64_MAX)]));
        case 4: return B.real(pick([0, -7.5, 0.1, 1e300, -1e-300, 42, 2 ** 60]));
        case 5: return B.timespan(pick([0n, 1n, 1500000000n, -86400000000000n, I64_MAX]));
        case 6: return B.timestamp(pick([0n, 1649574000000000000n, 1681827194123456789n, -1000000n]));
        case 7: return B.str(pick(STRINGS));
        case 8: return B.enum(pick(['Supervisor::WORKER', 'foo', 'Management::NONE']));
        case 9: return B.addr(pick(['10.0.0.1', '2001:db8::', '::', '255.255.255.255']));
        case 10: return B.subnet(pick(['10.0.0.0/8', '::/0', '2001:db8::/32']));
        case 11: return B.port(pick([0, 80, 2151, 65535]), pick(['tcp', 'udp', 'icmp', '?'] as const));
        case 12: return B.str(pick(STRINGS) + pick(STRINGS));
        default: return B.count(Math.floor(rnd() * 1000));
      }
    };
    if (depth <= 0 || rnd() < 0.45) return scalar();
    const n = Math.floor(rnd() * 4);
    const kids = (): BrokerData[] => Array.from({ length: n }, () => randomValue(depth - 1));
    switch (Math.floor(rnd() * 3)) {
      case 0: return B.vec(kids());
      case 1: return B.set(kids());
      default: return B.table(Array.from({ length: n }, () => [randomValue(depth - 1), randomValue(depth - 1)] as [BrokerData, BrokerData]));
    }
  }

  const NOISE = ['{', '}', '[', ']', '"', ',', ':', ' ', '\n', '\\', '-', '.', 'e', '0', '9', '1', 'a', 'x', '/', 'n', 'u', '@', '\u0001'];

  function corrupt(text: string): string {
    const i = Math.floor(rnd() * text.length);
    switch (Math.floor(rnd() * 5)) {
      case 0: return text.slice(0, i) + text.slice(i + 1); // delete
      case 1: return text.slice(0, i) + pick(NOISE) + text.slice(i); // insert
      case 2: return text.slice(0, i) + pick(NOISE) + text.slice(i + 1); // replace
      case 3: { // swap two characters
        const j = Math.floor(rnd() * text.length);
        const a = text.split('');
        [a[i], a[j]] = [a[j], a[i]];
        return a.join('');
      }
      default: return text.slice(0, i); // truncate
    }
  }

  const values = Array.from({ length: 250 }, () => randomValue(4));

  it('valid values: reader, general path and public decoder all give the value', () => {
    for (const d of values) {
      const text = encodeData(d);
      assert.deepStrictEqual(decodeData(parseJsonText(text)), d, text);
      assert.deepStrictEqual(fastDecodeDataText(text, DEFAULT_LIMITS), d, text);
      assert.deepStrictEqual(decodeDataText(text), d, text);
    }
  });

  it('corrupted values: the reader never accepts what the general path refuses, and never disagrees', () => {
    let accepted = 0;
    let refused = 0;
    for (const d of values) {
      const text = encodeData(d);
      for (let k = 0; k < 16; k++) {
        const bad = corrupt(text);
        const general = outcome(() => decodeData(parseJsonText(bad)));
        const fast = fastDecodeDataText(bad, DEFAULT_LIMITS);
        if (fast !== undefined) {
          assert.ok(general.ok, `reader accepted what the general path refuses (${general.ok ? '' : general.message}): ${bad}`);
          assert.deepStrictEqual(fast, general.value, bad);
        }
        assert.deepStrictEqual(outcome(() => decodeDataText(bad)), general, bad);
        if (general.ok) accepted++;
        else refused++;
      }
    }
    // the corruptions exercise both sides
    assert.ok(refused > 2000 && accepted > 50, `accepted ${accepted}, refused ${refused}`);
  });

  it('corrupted data messages: parseDataMessage behaves exactly as the general path', () => {
    let fastTaken = 0;
    for (const d of values.slice(0, 120)) {
      const text = encodeDataMessage('zeek/management/controller', d);
      for (let k = 0; k < 16; k++) {
        const bad = k === 0 ? text : corrupt(text);
        const general = outcome(() => dataMessageFromJson(parseJsonText(bad)));
        const fast = fastParseDataMessage(bad, DEFAULT_LIMITS);
        if (fast !== undefined) {
          fastTaken++;
          assert.ok(general.ok, `reader accepted what the general path refuses (${general.ok ? '' : general.message}): ${bad}`);
          assert.deepStrictEqual(fast, general.value, bad);
        }
        assert.deepStrictEqual(outcome(() => parseDataMessage(bad)), general, bad);
      }
    }
    assert.ok(fastTaken >= 120, 'every uncorrupted message went through the reader');
  });
});
