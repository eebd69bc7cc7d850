// The Python json.dumps()-compatible printer that all zeek-client style output goes through.

import { strict as assert } from 'node:assert';
import { LosslessNumber } from 'lossless-json';
import { PythonFloat, pythonFloatRepr, pythonJsonDumps } from '../sdk/config/python-json';
import { seededRandom } from './helpers/seeded-random';
import { python3Available, runPython } from './python3-oracle';

const ZC = { sortKeys: true, indent: 2 } as const; // zeek-client's json_dumps with pretty_json

describe('config python-json: json.dumps-compatible output', () => {
  it('uses "," at line ends and ": " after keys with an indent; ", " and ": " without', () => {
    const v = { b: [1, 2], a: { x: null } };
    assert.equal(pythonJsonDumps(v, ZC), '{\n  "a": {\n    "x": null\n  },\n  "b": [\n    1,\n    2\n  ]\n}');
    assert.equal(pythonJsonDumps(v), '{"b": [1, 2], "a": {"x": null}}');
    assert.equal(pythonJsonDumps(v, { sortKeys: true }), '{"a": {"x": null}, "b": [1, 2]}');
  });

  it('writes empty containers as [] and {} even when indenting', () => {
    assert.equal(pythonJsonDumps({ errors: [], results: {} }, ZC), '{\n  "errors": [],\n  "results": {}\n}');
  });

  it('supports indent 0 and string indents as Python does', () => {
    assert.equal(pythonJsonDumps([1, [2]], { indent: 0 }), '[\n1,\n[\n2\n]\n]');
    assert.equal(pythonJsonDumps({ a: 1 }, { indent: '\t' }), '{\n\t"a": 1\n}');
  });

  it('escapes everything outside printable ASCII as lowercase \\uXXXX, astral characters as surrogate pairs', () => {
    assert.equal(pythonJsonDumps('é\u00ff\u0100\u{1F600}\x7f'), '"\\u00e9\\u00ff\\u0100\\ud83d\\ude00\\u007f"');
    assert.equal(pythonJsonDumps('"\\\b\f\n\r\t\x00\x1f/'), '"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f/"');
    assert.equal(pythonJsonDumps({ 'ké': 1 }), '{"k\\u00e9": 1}');
  });

  it('keeps non-ASCII with ensureAscii false, escaping only controls, quote and backslash', () => {
    assert.equal(pythonJsonDumps('é\x7f\n"', { ensureAscii: false }), '"é\x7f\\n\\""');
  });

  it('sorts keys by code point, not UTF-16 code unit', () => {
    assert.equal(pythonJsonDumps({ '\u{1F600}': 1, '\uFFFF': 2, B: 3, a: 4 }, { sortKeys: true, ensureAscii: false }), '{"B": 3, "a": 4, "\uFFFF": 2, "\u{1F600}": 1}');
  });

  it('prints whole numbers as ints and floats as Python\'s repr()', () => {
    assert.equal(pythonJsonDumps([1, -0, 2 ** 53 - 1, 10n ** 30n]), '[1, 0, 9007199254740991, 1000000000000000000000000000000]');
    assert.equal(pythonJsonDumps([0.5, 1e-5, 1e-4, 123.456, -2.5e-7, 1.5e300]), '[0.5, 1e-05, 0.0001, 123.456, -2.5e-07, 1.5e+300]');
    // Whole numbers beyond 2^53 can only have come from floats (ints that large are bigint).
    assert.equal(pythonJsonDumps([2 ** 53, 1.5e16]), '[9007199254740992.0, 1.5e+16]');
    assert.equal(pythonJsonDumps([new PythonFloat(1), new PythonFloat(1e16), new PythonFloat(-0), new PythonFloat(1e15)]), '[1.0, 1e+16, -0.0, 1000000000000000.0]');
    assert.equal(pythonJsonDumps([NaN, Infinity, -Infinity]), '[NaN, Infinity, -Infinity]');
  });

  it('prints lossless-json numbers as Python\'s json.loads() would have read them', () => {
    const nums = ['12345678901234567890123', '-0', '1.0', '1e2', '0.1', '2.50'].map((s) => new LosslessNumber(s));
    assert.equal(pythonJsonDumps(nums), '[12345678901234567890123, 0, 1.0, 100.0, 0.1, 2.5]');
  });

  it('uses toJSON(), skips undefined properties, and rejects what Python could not encode', () => {
    assert.equal(pythonJsonDumps({ when: { toJSON: () => 'now' }, gone: undefined }), '{"when": "now"}');
    assert.throws(() => pythonJsonDumps([undefined]), /undefined is not JSON serializable \(at \$\[0\]\)/);
    assert.throws(() => pythonJsonDumps({ f: () => 1 }), /not JSON serializable/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.throws(() => pythonJsonDumps(loop), /Circular reference detected/);
    const shared = { x: 1 };
    assert.equal(pythonJsonDumps([shared, shared]), '[{"x": 1}, {"x": 1}]');
  });

  it('reads Map entries in insertion order', () => {
    assert.equal(pythonJsonDumps(new Map([['z', 1], ['a', 2]])), '{"z": 1, "a": 2}');
  });

  describe('against Python itself', function () {
    before(function () {
      if (!python3Available()) {
        console.log('      (python3 not found: skipping the json.dumps differential test)');
        this.skip();
      }
    });

    it('agrees with json.dumps on generated values and float reprs', () => {
      const rnd = seededRandom(7);
      const chars = ['a', 'Z', ' ', '"', '\\', '\n', '\x01', '\x7f', 'é', '\u2028', '\uffff', '\u{1F600}', '\u{10FFFF}', '\ud800'];
      const str = (): string => Array.from({ length: Math.floor(rnd() * 6) }, () => chars[Math.floor(rnd() * chars.length)]).join('');
      const value = (depth: number): unknown => {
        const r = rnd();
        if (depth > 3 || r < 0.3) return [null, true, false, Math.floor(rnd() * 2000) - 1000, str()][Math.floor(rnd() * 5)];
        if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
        return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [str(), value(depth + 1)]));
      };
      const values = Array.from({ length: 300 }, () => value(0));
      const floats: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const bits = new DataView(new ArrayBuffer(8));
        bits.setUint32(0, Math.floor(rnd() * 2 ** 32));
        bits.setUint32(4, Math.floor(rnd() * 2 ** 32));
        const f = bits.getFloat64(0);
        if (Number.isFinite(f)) floats.push(f);
      }
      for (let e = -25; e <= 25; e++) floats.push(1.5 * 10 ** e, 10 ** e);
      // Python receives the values as JSON; lone surrogates survive through \\u escapes.
      const expected = runPython<{ dumps: string[][]; floats: string[] }>(String.raw`
import json, sys
d = json.load(sys.stdin)
out = []
for v in d['values']:
    out.append([json.dumps(v, sort_keys=True, indent=2), json.dumps(v), json.dumps(v, ensure_ascii=False)])
print(json.dumps({'dumps': out, 'floats': [repr(float(x)) for x in d['floats']]}))
`, { values, floats: floats.map((f) => f.toString()) });
      values.forEach((v, i) => {
        assert.equal(pythonJsonDumps(v, ZC), expected.dumps[i][0], `value ${i}`);
        assert.equal(pythonJsonDumps(v), expected.dumps[i][1], `value ${i}`);
        assert.equal(pythonJsonDumps(v, { ensureAscii: false }), expected.dumps[i][2], `value ${i}`);
      });
      floats.forEach((f, i) => assert.equal(pythonFloatRepr(f), expected.floats[i], `float ${f}`));
    });
  });
});
