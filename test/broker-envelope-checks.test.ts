// The zod-free envelope checks (sdk/broker/envelope-checks.ts) against the zod schemas
// they stand in for (sdk/broker/envelope-schemas.ts): on a corpus of valid and invalid
// handshakes, acks, error messages and data-message envelopes, including the edges
// (lengths 0/1/1024/1025, surrogate pairs, lone surrogates, numbers kept as text by the
// lossless parse, inherited fields, extra fields), and on thousands of generated
// variants, a check accepts exactly what its schema accepts and returns the same value.
// And messages.ts, which tries the check first and zod only after a no, accepts and
// refuses exactly as the schema does, with zod's issues in the error.

import { strict as assert } from 'node:assert';
import {
  checkAck, checkDataEnvelope, checkErrorMessage, checkSubscriptions, codePointLength, MAX_SUBSCRIPTIONS, MAX_TOPIC_LENGTH,
} from '../sdk/broker/envelope-checks';
import {
  AckSchema, DataEnvelopeSchema, ErrorSchema, issues, SubscriptionsSchema,
} from '../sdk/broker/envelope-schemas';
import { WireError } from '../sdk/broker/errors';
import { parseJsonText } from '../sdk/broker/json-codec';
import { dataMessageFromJson, parseServerMessage, parseSubscriptions } from '../sdk/broker/messages';

const PAIR = '\u{1F600}'; // one code point, two UTF-16 units
const HIGH = '\ud83d';
const LOW = '\ude00';

/** Strings around the length limits, in UTF-16 units and in code points. */
function edgeStrings(): string[] {
  const n = MAX_TOPIC_LENGTH;
  return [
    '', 'a', 'zeek/management/controller', ' ', '\u0000', 'ünï©ødé', PAIR, HIGH, LOW, LOW + HIGH, HIGH + HIGH + LOW,
    'x'.repeat(n - 1), 'x'.repeat(n), 'x'.repeat(n + 1), 'x'.repeat(2 * n), 'x'.repeat(2 * n + 1),
    PAIR.repeat(n / 2), PAIR.repeat(n), PAIR.repeat(n + 1), // 1024 units; 1024 code points in 2048 units; 1025 code points
    'x' + PAIR.repeat(n - 1), 'xx' + PAIR.repeat(n - 1), // 1024 and 1025 code points
    'x'.repeat(n) + HIGH, 'x'.repeat(n - 1) + HIGH, HIGH.repeat(n + 1), // lone surrogates count one each
    PAIR.repeat(n - 1) + HIGH, PAIR.repeat(n - 1) + HIGH + LOW, PAIR.repeat(n - 1) + LOW + HIGH,
    'x'.repeat(n - 1) + PAIR, // 1025 units, 1024 code points
    HIGH + 'x'.repeat(n), LOW + 'x'.repeat(n - 1) + PAIR,
  ];
}

/** Values that are not strings, including what parseJsonText makes of numbers it keeps exact. */
function nonStrings(): unknown[] {
  const kept = parseJsonText('[1.5, 18446744073709551615, 1e3]') as unknown[];
  return [
    undefined, null, 0, 1, -1, NaN, true, false, 1n, [], ['a'], {}, { a: 1 }, ...kept,
    Object.assign(Object.create(null) as object, { x: 1 }), new String('a'), Symbol('s'), () => 'a',
  ];
}

const fieldValues = (): unknown[] => [...edgeStrings(), ...nonStrings()];

/** Deterministic pseudo-random numbers (xorshift32), so a failure can be reproduced. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

type Schema = { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: unknown } };

/** The check and the schema agree on `input`: both refuse, or both accept with the same value. */
function agree(what: string, check: (v: unknown) => unknown, schema: Schema, input: unknown, project: (data: unknown) => unknown = (d) => d): boolean {
  const fast = check(input);
  const r = schema.safeParse(input);
  const show = (): string => {
    try {
      return JSON.stringify(input, (_k, v) => (typeof v === 'string' && v.length > 40 ? `${v.slice(0, 20)}…(${v.length} units, ${codePointLength(v)} code points)` : typeof v === 'bigint' ? `${v}n` : v)) ?? String(input);
    } catch {
      return String(input);
    }
  };
  assert.equal(fast !== undefined, r.success, `${what}: check ${fast !== undefined ? 'accepts' : 'refuses'}, schema ${r.success ? 'accepts' : 'refuses'}: ${show()}`);
  if (r.success) assert.deepStrictEqual(fast, project(r.data), `${what}: different values for ${show()}`);
  return r.success;
}

describe('Broker envelope checks agree with the zod schemas', () => {
  it('codePointLength counts a surrogate pair once and a lone surrogate once', () => {
    assert.equal(codePointLength(''), 0);
    assert.equal(codePointLength('abc'), 3);
    assert.equal(codePointLength(PAIR), 1);
    assert.equal(codePointLength(PAIR + PAIR + 'x'), 3);
    assert.equal(codePointLength(HIGH), 1);
    assert.equal(codePointLength(LOW + HIGH), 2);
    assert.equal(codePointLength(HIGH + HIGH + LOW), 2);
    assert.equal(codePointLength(HIGH + 'x' + LOW), 3);
  });

  it('handshake: topic arrays at and around the limits, and everything that is not one', () => {
    const corpus: unknown[] = [
      [], [''], ['zeek/a', 'zeek/b'],
      Array(MAX_SUBSCRIPTIONS).fill('t'), Array(MAX_SUBSCRIPTIONS + 1).fill('t'), Array(MAX_SUBSCRIPTIONS - 1).fill('t'),
      Array(MAX_SUBSCRIPTIONS).fill(PAIR.repeat(MAX_TOPIC_LENGTH)), Array(MAX_SUBSCRIPTIONS + 1).fill(1),
      [, 'a'], // a hole reads as undefined
      ...edgeStrings().map((s) => [s]),
      ...edgeStrings().map((s) => ['a', s, 'b']),
      ...nonStrings().map((v) => ['a', v]),
      ...nonStrings(),
      ...edgeStrings(),
      { 0: 'a', length: 1 },
      parseJsonText('["a", ["b"]]'), parseJsonText('[["a"]]'), parseJsonText('{"topics":["a"]}'),
    ];
    let accepted = 0;
    for (const c of corpus) if (agree('subscriptions', checkSubscriptions, SubscriptionsSchema as Schema, c)) accepted++;
    assert.ok(accepted >= 20 && accepted <= corpus.length - 40, `a corpus with both outcomes (${accepted} of ${corpus.length} accepted)`);
  });

  const objectCases = (type: string, fields: [string, string]): unknown[] => {
    const [a, b] = fields;
    const base = { type, [a]: 'x', [b]: 'y' };
    const out: unknown[] = [
      base, { ...base, extra: 1, topic: 't' }, { [b]: 'y', [a]: 'x', type },
      { [a]: 'x', [b]: 'y' }, { type, [a]: 'x' }, { type, [b]: 'y' }, { type },
      { ...base, type: type.toUpperCase() }, { ...base, type: ` ${type}` }, { ...base, type: 'data-message' }, { ...base, type: null },
      Object.create(base), // fields inherited, read as property reads (as zod does)
      Object.assign(Object.create({ type }), { [a]: 'x', [b]: 'y' }),
      [base], [type, 'x', 'y'], Object.assign([], base), null, undefined, 'ack', 0,
      parseJsonText(`{"__proto__":{"type":"${type}","${a}":"x","${b}":"y"}}`),
      parseJsonText(`{"type":"${type}","${a}":"x","${b}":"y","__proto__":{"${a}":1}}`),
      parseJsonText(`{"type":"${type}","${a}":1.5,"${b}":"y"}`),
      parseJsonText(`{"type":"${type}","${a}":"x","${b}":18446744073709551615}`),
    ];
    for (const v of fieldValues()) {
      out.push({ ...base, type: v }, { ...base, [a]: v }, { ...base, [b]: v }, { type, [a]: v, [b]: v });
    }
    return out;
  };

  it('ack: {"type":"ack","endpoint","version"}', () => {
    let accepted = 0;
    for (const c of objectCases('ack', ['endpoint', 'version'])) if (agree('ack', checkAck, AckSchema as Schema, c)) accepted++;
    assert.ok(accepted > 10, `${accepted} accepted`);
  });

  it('error message: {"type":"error","code","context"}', () => {
    let accepted = 0;
    for (const c of objectCases('error', ['code', 'context'])) if (agree('error', checkErrorMessage, ErrorSchema as Schema, c)) accepted++;
    assert.ok(accepted > 10, `${accepted} accepted`);
  });

  it('data-message envelope: type, a topic of 1 to 1024 code points, an "@data-type" string', () => {
    const base = { type: 'data-message', topic: 'zeek/t', '@data-type': 'count', data: 1 };
    const corpus: unknown[] = [
      base, { ...base, extra: [] }, { topic: 't', '@data-type': 'none', type: 'data-message' }, // no data: the codec's concern, not the envelope's
      { ...base, type: 'ack' }, { ...base, type: 'Data-Message' }, Object.create(base), [base], Object.assign([], base), null, 'data-message',
      parseJsonText('{"type":"data-message","topic":"t","@data-type":"count","data":18446744073709551615}'),
      parseJsonText('{"@data-type":"count","data":1.5,"topic":"t","type":"data-message"}'),
      parseJsonText('{"type":"data-message","topic":1.5,"@data-type":"count","data":1}'),
      parseJsonText('{"type":"data-message","topic":"t","@data-type":1e400,"data":1}'),
    ];
    for (const v of fieldValues()) {
      corpus.push({ ...base, topic: v }, { ...base, '@data-type': v }, { ...base, type: v }, { ...base, data: v });
    }
    let accepted = 0;
    for (const c of corpus) {
      if (agree('data envelope', checkDataEnvelope, DataEnvelopeSchema as Schema, c, (d) => (d as { topic: string }).topic)) accepted++;
    }
    assert.ok(accepted > 20 && accepted < corpus.length - 20, `${accepted} of ${corpus.length} accepted`);
  });

  it('thousands of generated envelopes: fields dropped, replaced and added at random', () => {
    const next = rng(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
    const values = fieldValues();
    const keys = ['type', 'endpoint', 'version', 'code', 'context', 'topic', '@data-type', 'data', 'extra'];
    const types = ['ack', 'error', 'data-message', 'data', '', 'ACK'];
    const both = { ack: 0, error: 0, data: 0, subs: 0 };
    for (let i = 0; i < 4000; i++) {
      const o: Record<string, unknown> = { type: pick(types) };
      for (const k of keys.slice(1)) if (next() < 0.7) o[k] = next() < 0.6 ? pick(['x', 't', 'zeek/a', 'count']) : pick(values);
      if (next() < 0.2) delete o.type;
      if (agree('ack', checkAck, AckSchema as Schema, o)) both.ack++;
      if (agree('error', checkErrorMessage, ErrorSchema as Schema, o)) both.error++;
      if (agree('data envelope', checkDataEnvelope, DataEnvelopeSchema as Schema, o, (d) => (d as { topic: string }).topic)) both.data++;
      const arr = Array.from({ length: Math.floor(next() * 4) }, () => (next() < 0.8 ? pick(edgeStrings()) : pick(values)));
      if (agree('subscriptions', checkSubscriptions, SubscriptionsSchema as Schema, arr)) both.subs++;
    }
    // each kind was accepted often enough for the comparison to mean something
    for (const [k, n] of Object.entries(both)) assert.ok(n > 100, `${k}: only ${n} accepted`);
  });
});

describe('messages.ts: zod-free checks first, zod decides and describes the rest', () => {
  /** What the message functions must do: exactly what the zod schema says, with its issues. */
  function viaZod(schema: Schema, json: unknown, prefix: string): unknown {
    const r = schema.safeParse(json);
    if (!r.success) return `${prefix}: ${issues(r.error as never)}`;
    return r.data;
  }
  function outcome(fn: () => unknown): unknown {
    try {
      return fn();
    } catch (err) {
      assert.ok(err instanceof WireError, String(err));
      assert.equal(err.code, 'deserialization_failed');
      return err.message;
    }
  }

  it('parseSubscriptions: the same topics, or the same error, as the schema alone', () => {
    const texts = [
      '[]', '["a","b"]', '[1]', '{"a":1}', '"a"', 'null', '[null]', '[["a"]]', '[1.5]', '[18446744073709551615]',
      JSON.stringify(Array(MAX_SUBSCRIPTIONS + 1).fill('a')), JSON.stringify(['x'.repeat(MAX_TOPIC_LENGTH + 1)]),
      JSON.stringify([PAIR.repeat(MAX_TOPIC_LENGTH)]), JSON.stringify([PAIR.repeat(MAX_TOPIC_LENGTH + 1)]),
    ];
    for (const t of texts) {
      assert.deepStrictEqual(outcome(() => parseSubscriptions(t)),
        viaZod(SubscriptionsSchema as Schema, parseJsonText(t), 'handshake must be a JSON array of topic strings'), t);
    }
  });

  it('parseServerMessage: acks and error messages as the schema alone decides them', () => {
    const texts = [
      '{"type":"ack","endpoint":"e","version":"v"}', '{"type":"ack","endpoint":"e","version":"v","x":[1]}',
      '{"type":"ack","endpoint":1,"version":"v"}', '{"type":"ack","endpoint":"e"}', '{"type":"ack","endpoint":1.5,"version":null}',
      '{"type":"error","code":"c","context":"x"}', '{"type":"error","code":"c"}', '{"type":"error","code":[],"context":{}}',
    ];
    for (const t of texts) {
      const json = parseJsonText(t) as { type: string };
      const expected = json.type === 'ack' ? viaZod(AckSchema as Schema, json, 'malformed ack') : viaZod(ErrorSchema as Schema, json, 'malformed error message');
      assert.deepStrictEqual(outcome(() => parseServerMessage(t)), expected, t);
    }
  });

  it('dataMessageFromJson: envelope errors are zod\'s; a topic of 1024 code points in 2048 units is accepted', () => {
    const base = { type: 'data-message', topic: 't', '@data-type': 'none', data: {} };
    for (const topic of edgeStrings()) {
      const json = { ...base, topic };
      const r = DataEnvelopeSchema.safeParse(json);
      const got = outcome(() => dataMessageFromJson(json));
      if (r.success) assert.deepStrictEqual(got, { type: 'data-message', topic, data: { type: 'none' } });
      else assert.equal(got, `not a data message: ${issues(r.error)}`);
    }
    assert.deepStrictEqual(dataMessageFromJson({ ...base, topic: PAIR.repeat(MAX_TOPIC_LENGTH) }).topic.length, 2 * MAX_TOPIC_LENGTH);
  });
});
