// JSON text exactly as Python's json.dumps() writes it, which is what zeek-client prints
// for every command (json.dumps(obj, sort_keys=True, indent=2) when pretty_json is on,
// indent=None when off). Differences from JSON.stringify that matter:
//   - separators: with an indent, items end in "," + newline and keys use ": "; without an
//     indent Python writes ", " and ": " (JSON.stringify writes "," and ":");
//   - ensure_ascii (Python's default): every character outside printable ASCII, DEL
//     included, becomes \uXXXX with lowercase hex, astral characters as surrogate pairs;
//   - sort_keys orders keys by code point (Python's str order), not by UTF-16 code unit;
//   - floats print as Python's repr(): "1.0", "1e+16", "1e-05"; NaN and Infinity are
//     written bare (Python's allow_nan default).
// JavaScript numbers that are whole and within +-(2^53-1) print as Python ints (JSON data
// from Broker is count/integer/port, i.e. ints; larger ones arrive as bigint, which
// prints as an int too); other numbers print as Python floats. Wrap a value in
// PythonFloat to print a whole number as a float ("1.0"); lossless-json's LosslessNumber
// prints as Python's json.loads() would have read it (an int if it has no fraction or
// exponent, else a float).

import { comparePyStrings } from './python-string';

export interface PythonJsonOptions {
  /** Python's sort_keys (default false). */
  sortKeys?: boolean;
  /** Python's indent: null/undefined for single-line output, a count of spaces, or a string. */
  indent?: number | string | null;
  /** Python's ensure_ascii (default true). */
  ensureAscii?: boolean;
}

/** A number to be printed the way Python prints a float. */
export class PythonFloat {
  constructor(readonly value: number) {}
}

/** Python's repr() of a float. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  const negative = x < 0 || Object.is(x, -0);
  // toExponential() without an argument gives the shortest digits that read back as x,
  // the same digits Python's repr() chooses; only the layout differs.
  const [mantissa, exp] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1; // digits before the decimal point
  let body: string;
  if (decpt <= -4 || decpt > 16) {
    const e = decpt - 1;
    const expText = `${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
    body = `${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${expText}`;
  } else if (decpt <= 0) {
    body = `0.${'0'.repeat(-decpt)}${digits}`;
  } else if (decpt >= digits.length) {
    body = `${digits}${'0'.repeat(decpt - digits.length)}.0`;
  } else {
    body = `${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  return negative ? `-${body}` : body;
}

const INTEGER_TEXT = /^-?\d+$/;

function numberText(text: string): string {
  // How Python prints what json.loads() made of a JSON number literal.
  if (INTEGER_TEXT.test(text)) return BigInt(text).toString();
  return pythonFloatRepr(Number(text));
}

function isLosslessNumber(v: object): v is { value: string } {
  return (v as { isLosslessNumber?: unknown }).isLosslessNumber === true && typeof (v as { value?: unknown }).value === 'string';
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t',
};

// JavaScript strings are UTF-16, so escaping per code unit yields Python's surrogate pairs.
const ESCAPE_ASCII = /[\\"]|[^ -~]/g;
const ESCAPE_UNICODE = /[\\"\x00-\x1f]/g;

function escapeChar(c: string): string {
  return SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A Python json string literal. */
export function pythonJsonString(s: string, ensureAscii = true): string {
  return `"${s.replace(ensureAscii ? ESCAPE_ASCII : ESCAPE_UNICODE, escapeChar)}"`;
}

/** Serializes `value` exactly as Python's json.dumps(value, sort_keys, indent, ensure_ascii) would. */
export function pythonJsonDumps(value: unknown, options: PythonJsonOptions = {}): string {
  const sortKeys = options.sortKeys ?? false;
  const ensureAscii = options.ensureAscii ?? true;
  const indentUnit = options.indent === null || options.indent === undefined
    ? null
    : typeof options.indent === 'number' ? ' '.repeat(options.indent) : options.indent;
  const itemSep = indentUnit === null ? ', ' : ',';
  const active = new Set<object>();

  const encode = (v: unknown, level: number, path: string): string => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'boolean': return v ? 'true' : 'false';
      case 'string': return pythonJsonString(v, ensureAscii);
      case 'bigint': return v.toString();
      case 'number':
        if (Number.isSafeInteger(v)) return Object.is(v, -0) ? '0' : String(v);
        return pythonFloatRepr(v);
      case 'object': break;
      default: throw new TypeError(`Object of type ${typeof v} is not JSON serializable (at ${path})`);
    }
    const obj = v as object;
    if (obj instanceof PythonFloat) return pythonFloatRepr(obj.value);
    if (isLosslessNumber(obj)) return numberText(obj.value);
    if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
      return encode((obj as { toJSON: () => unknown }).toJSON(), level, path);
    }
    if (active.has(obj)) throw new TypeError(`Circular reference detected (at ${path})`);
    active.add(obj);
    try {
      let parts: string[];
      let open: string;
      let close: string;
      if (Array.isArray(obj)) {
        [open, close] = ['[', ']'];
        parts = obj.map((item, i) => {
          if (item === undefined) throw new TypeError(`undefined is not JSON serializable (at ${path}[${i}])`);
          return encode(item, level + 1, `${path}[${i}]`);
        });
      } else {
        [open, close] = ['{', '}'];
        let entries: [string, unknown][] = obj instanceof Map
          ? [...obj.entries()].map(([k, val]) => [String(k), val])
          : Object.entries(obj);
        entries = entries.filter(([, val]) => val !== undefined);
        if (sortKeys) entries.sort((x, y) => comparePyStrings(x[0], y[0]));
        parts = entries.map(([k, val]) => `${pythonJsonString(k, ensureAscii)}: ${encode(val, level + 1, `${path}.${k}`)}`);
      }
      if (parts.length === 0) return open + close;
      if (indentUnit === null) return open + parts.join(itemSep) + close;
      const inner = '\n' + indentUnit.repeat(level + 1);
      return open + inner + parts.join(itemSep + inner) + '\n' + indentUnit.repeat(level) + close;
    } finally {
      active.delete(obj);
    }
  };

  if (value === undefined) throw new TypeError('undefined is not JSON serializable');
  return encode(value, 0, '$');
}
