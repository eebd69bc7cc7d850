// Python's str semantics where zeek-client's behaviour depends on them and JavaScript's
// built-ins differ: which characters are whitespace (str.isspace, str.strip, str.split()
// and the `\s` of Python's re module all use the same set, which is not the set of
// String.prototype.trim or JavaScript's `\s`), ordering by code point (Python's sorted()
// on str, unlike Array.prototype.sort's UTF-16 code unit order), and int() of a string.

/** The characters for which Python's str.isspace() is true. */
const PY_WHITESPACE = new Set<string>([
  '\t', '\n', '\v', '\f', '\r', '\x1c', '\x1d', '\x1e', '\x1f', ' ', '\x85', '\xa0', '\u1680',
  '\u2000', '\u2001', '\u2002', '\u2003', '\u2004', '\u2005', '\u2006', '\u2007', '\u2008', '\u2009', '\u200a',
  '\u2028', '\u2029', '\u202f', '\u205f', '\u3000',
]);

/** Python's str.isspace() for a single character. */
export function isPySpace(ch: string): boolean {
  return PY_WHITESPACE.has(ch);
}

/** Python's str.strip() (no argument: whitespace) or str.strip(chars). */
export function pyStrip(s: string, chars?: string): string {
  const strip = chars === undefined ? isPySpace : (c: string) => chars.includes(c);
  let start = 0;
  let end = s.length;
  while (start < end && strip(s[start])) start++;
  while (end > start && strip(s[end - 1])) end--;
  return s.slice(start, end);
}

/** Python's str.rstrip() (whitespace). */
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPySpace(s[end - 1])) end--;
  return s.slice(0, end);
}

/** Python's str.split() without arguments: runs of whitespace separate, no empty fields. */
export function pySplitWhitespace(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (isPySpace(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Index of the first non-whitespace character (Python's re `\S` search), or -1. */
export function pyFirstNonSpace(s: string): number {
  for (let i = 0; i < s.length; i++) if (!isPySpace(s[i])) return i;
  return -1;
}

/** Orders strings as Python compares str: by Unicode code point. */
export function comparePyStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const d = (ca.value.codePointAt(0) as number) - (cb.value.codePointAt(0) as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

/** Python's sorted() of strings: a stable sort by code point, returning a new array. */
export function pySorted(items: readonly string[]): string[] {
  return [...items].sort(comparePyStrings);
}

/** Sorts objects by a string key the way Python's sorted() with __lt__ on that key does (stable). */
export function pySortedBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((x, y) => comparePyStrings(key(x), key(y)));
}

const PY_INT_TEXT = /^[+-]?[0-9](?:_?[0-9])*$/;

/**
 * Python's int(text) for base 10: surrounding whitespace, a sign, and single underscores
 * between digits are accepted. Returns null where Python raises ValueError.
 * Deviation: Python also accepts non-ASCII decimal digits (e.g. Arabic-Indic); we do not.
 */
export function parsePyInt(text: string): bigint | null {
  const t = pyStrip(text);
  if (!PY_INT_TEXT.test(t)) return null;
  return BigInt(t.replace(/_/g, ''));
}
