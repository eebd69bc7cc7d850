// The array splitter (sdk/broker/json-array-splitter.ts): over random JSON texts (random
// whitespace, key order, strings full of brackets, quotes, backslashes and non-ASCII,
// cut into pieces of random sizes down to one character), the rest plus the elements put
// back at the array's place is the original value; the decision sees the watched strings;
// an unsplit text comes back whole; and what only the splitter can see is an error.

import * as assert from 'node:assert/strict';
import { WireError } from '../sdk/broker/errors';
import { JsonArraySplitter, JsonPath } from '../sdk/broker/json-array-splitter';
import { seededRandom } from './helpers/seeded-random';

const rnd = seededRandom(0xa11a7);
const int = (n: number): number => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

const NASTY = ['[', ']', '{', '}', ',', ':', '"', '\\', '\\"', 'ü', '😀', '\u2028', '\n', ' ', 'a', 'data', '\\\\'];

function randomString(): string {
  let s = '';
  for (let i = int(8); i > 0; i--) s += pick(NASTY);
  return s;
}

function randomValue(depth: number): unknown {
  const k = depth > 3 ? int(4) : int(6);
  if (k === 0) return int(1000) - 500;
  if (k === 1) return randomString();
  if (k === 2) return pick([true, false, null, 1.5e3]);
  if (k === 3) return '';
  if (k === 4) return Array.from({ length: int(4) }, () => randomValue(depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = int(4); i > 0; i--) o[randomString()] = randomValue(depth + 1);
  return o;
}

const ws = (): string => pick(['', '', '', ' ', '\n', ' \t\r\n ']);

/** JSON text with random whitespace between tokens and strings written with random escapes. */
function write(v: unknown): string {
  if (Array.isArray(v)) return `[${ws()}${v.map((x) => `${ws()}${write(x)}${ws()}`).join(',')}${ws()}]`;
  if (v !== null && typeof v === 'object') {
    return `{${ws()}${Object.entries(v).map(([k, x]) => `${ws()}${str(k)}${ws()}:${ws()}${write(x)}${ws()}`).join(',')}${ws()}}`;
  }
  if (typeof v === 'string') return str(v);
  return JSON.stringify(v);
}

function str(s: string): string {
  // Sometimes every character escaped as \uXXXX, to exercise the splitter's unescaping.
  if (rnd() < 0.2) return `"${Array.from({ length: s.length }, (_, i) => `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;
  return JSON.stringify(s);
}

function pieces(text: string, maxPiece: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    let n = 1 + int(maxPiece);
    // Never split a surrogate pair: a WebSocket text decoder does not.
    if (i + n < text.length && /[\ud800-\udbff]/.test(text[i + n - 1])) n++;
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

function getAt(v: unknown, path: JsonPath): unknown {
  return path.reduce<unknown>((x, k) => (x as Record<string | number, unknown>)[k], v);
}

function setAt(v: unknown, path: JsonPath, value: unknown): void {
  const parent = getAt(v, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]] = value;
}

function split(text: string, o: { array: JsonPath; watch?: JsonPath[]; decide?: (seen: (p: JsonPath) => string | undefined) => boolean; maxPiece?: number; maxElement?: number; maxRest?: number }) {
  const elements: string[] = [];
  let seenAtOpen: Array<string | undefined> = [];
  const s = new JsonArraySplitter({
    array: o.array,
    watch: o.watch,
    split: (seen) => {
      seenAtOpen = (o.watch ?? []).map((p) => seen(p));
      return o.decide ? o.decide(seen) : true;
    },
    element: (t) => elements.push(t),
    maxElementLength: o.maxElement ?? 1e9,
    maxRestLength: o.maxRest ?? 1e9,
  });
  for (const p of pieces(text, o.maxPiece ?? 50)) s.write(p);
  return { ...s.end(), elements, seenAtOpen };
}

describe('JSON array splitter', () => {
  const PATH: JsonPath = ['data', 1, 'x', 'data'];

  /** A random document with an array at PATH (and look-alike arrays elsewhere). */
  function document(): { value: Record<string, unknown>; elements: unknown[] } {
    const elements = Array.from({ length: int(6) }, () => randomValue(1));
    const value: Record<string, unknown> = {};
    const keys = ['before', 'data', 'after', '@data-type'].sort(() => rnd() - 0.5);
    for (const k of keys) {
      if (k === 'data') {
        value.data = [{ data: [1, 2] }, { x: { data: elements, other: [[1], 'data'] }, data: [] }, randomValue(1)];
      } else {
        value[k] = randomValue(1);
      }
    }
    return { value, elements };
  }

  it('rest plus elements is the original value, whatever the pieces, whitespace and strings', () => {
    for (let round = 0; round < 400; round++) {
      const { value, elements } = document();
      const text = write(value);
      const r = split(text, { array: PATH, maxPiece: pick([1, 2, 7, 64, 4096]) });
      assert.equal(r.split, true);
      assert.deepEqual(r.elements.map((e) => JSON.parse(e)), elements, text);
      const rest = JSON.parse(r.rest);
      assert.deepEqual(getAt(rest, PATH), [], r.rest);
      setAt(rest, PATH, r.elements.map((e) => JSON.parse(e)));
      assert.deepEqual(rest, value);
    }
  });

  it('a text whose array is not split comes back whole; an array elsewhere is never split', () => {
    const { value } = document();
    const text = write(value);
    const no = split(text, { array: PATH, decide: () => false });
    assert.deepEqual({ rest: no.rest, split: no.split, elements: no.elements }, { rest: text, split: false, elements: [] });
    const elsewhere = split(text, { array: ['data', 7, 'x', 'data'] });
    assert.deepEqual({ rest: elsewhere.rest, split: elsewhere.split }, { rest: text, split: false });
    const noArray = split('{"data":[0,{"x":{"data":"not an array"}}]}', { array: PATH });
    assert.equal(noArray.split, false);
  });

  it('the decision sees the watched strings read before the array opens (escapes undone), not later ones', () => {
    const text = '{ "na\\u006de" : "st\\"at" , "data" : [ {}, { "\\u0078" : { "t" : "table", "data" : [1, "two", [3]] } } ], "late": "no" }';
    const r = split(text, { array: PATH, watch: [['name'], ['data', 1, 'x', 't'], ['late'], ['missing']], maxPiece: 3 });
    assert.deepEqual(r.seenAtOpen, ['st"at', 'table', undefined, undefined]);
    assert.deepEqual(r.elements, ['1', '"two"', '[3]']);
    assert.deepEqual(JSON.parse(r.rest), { name: 'st"at', data: [{}, { x: { t: 'table', data: [] } }], late: 'no' });
  });

  it('an empty array has no elements; a missing element is an error', () => {
    assert.deepEqual(split('{"data":[0,{"x":{"data":[ ]}}]}', { array: PATH }).elements, []);
    for (const bad of ['[1,,2]', '[1,]', '[,1]', '[1 }', '[,]']) {
      assert.throws(() => split(`{"data":[0,{"x":{"data":${bad}}}]}`, { array: PATH }), (e: unknown) => e instanceof WireError && e.code === 'deserialization_failed', bad);
    }
    // Two values without a comma make one element, which the codec then rejects.
    assert.deepEqual(split('{"data":[0,{"x":{"data":[1 2]}}]}', { array: PATH }).elements, ['1 2']);
  });

  it('a text that ends inside the array is an error; limits on an element and on the rest', () => {
    assert.throws(() => split('{"data":[0,{"x":{"data":[1,2', { array: PATH }), /ends inside an array/);
    const text = '{"data":[0,{"x":{"data":["0123456789","01234567890123456789"]}}]}';
    assert.throws(() => split(text, { array: PATH, maxElement: 15, maxPiece: 4 }), /more than 15 characters exceeds the limit/);
    assert.doesNotThrow(() => split(text, { array: PATH, maxElement: 22, maxPiece: 4 }));
    assert.throws(() => split(text, { array: PATH, maxRest: 20 }), /exceeds the limit/);
    assert.equal(split(text, { array: PATH, maxRest: 40 }).rest, '{"data":[0,{"x":{"data":[]}}]}');
  });
});
