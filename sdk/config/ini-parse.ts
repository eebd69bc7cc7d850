// Reads .ini text the way zeek-client does: with Python's
// configparser.ConfigParser(allow_no_value=True) and its defaults (delimiters "=" and ":",
// full-line comments starting with "#" or ";", no inline comments, strict duplicate
// checks, blank lines allowed inside multi-line values, a [DEFAULT] section, basic "%"
// interpolation, keys lowercased, section names kept as written).
//
// Why this is not built on the `ini` npm package: ini.decode() differs from configparser
// in nearly every respect that matters for these files, and the differences are not
// repairable by pre- or post-processing without re-implementing the line parser anyway:
//   - a value-less key and `key = true` both decode to the boolean true, and the values
//     "true", "false" and "null" become booleans/null, so the [instances] semantics
//     ("agent" vs "agent = host:port") and string values cannot be recovered;
//   - it truncates values at the first ";" or "#" (inline comments) and treats "\" as an
//     escape, where configparser keeps `scripts = a#b` and backslashes verbatim;
//   - it strips quotes from and JSON-decodes values that start and end with a quote, where
//     configparser keeps them (zeek-client's shlex handling of scripts/env needs them);
//   - it splits section names at dots ([node.1] becomes nested objects) and treats keys
//     ending in "[]" as arrays;
//   - no "key: value" syntax, no indented continuation lines, no [DEFAULT] inheritance,
//     no "%" interpolation, case-sensitive keys, silently merged duplicate sections/keys
//     where configparser raises, and no line numbers for error messages.
// So the text is parsed here, line by line, following configparser's documented rules.
// Deliberate deviation: a UTF-8 byte order mark at the start of the text is ignored
// (configparser would report a missing section header).

import { ConfigFileError } from './config-file-error';
import { pyFirstNonSpace, pyRstrip, pyStrip } from './python-string';

export const DEFAULT_SECTION = 'DEFAULT';
const MAX_INTERPOLATION_DEPTH = 10;

export interface IniEntry {
  /** Lowercased key (configparser's optionxform). */
  key: string;
  /** Raw value before interpolation; null for a value-less key. */
  value: string | null;
  /** Line where the key appears. */
  line: number;
}

export interface IniSection {
  name: string;
  /** Line of the section header. */
  line: number;
  entries: Map<string, IniEntry>;
}

/** A parsed .ini text, with configparser's lookup and interpolation rules. */
export class IniDocument {
  constructor(
    readonly fileName: string,
    /** The [DEFAULT] section's entries (line 0 if there is none). */
    readonly defaults: IniSection,
    private readonly sectionMap: Map<string, IniSection>,
  ) {}

  /** Section names in file order, without DEFAULT (configparser's sections()). */
  sections(): string[] {
    return [...this.sectionMap.keys()];
  }

  hasSection(name: string): boolean {
    return this.sectionMap.has(name);
  }

  section(name: string): IniSection | undefined {
    return this.sectionMap.get(name);
  }

  /** Whether the section, or [DEFAULT], has the key (configparser's has_option / `in`). */
  hasOption(section: string, key: string): boolean {
    const k = key.toLowerCase();
    return (this.sectionMap.get(section)?.entries.has(k) ?? false) || this.defaults.entries.has(k);
  }

  /** Keys of a section including inherited defaults: the section's own first. */
  keys(section: string): string[] {
    const own = [...(this.requireSection(section).entries.keys())];
    return [...own, ...[...this.defaults.entries.keys()].filter((k) => !own.includes(k))];
  }

  /** The entry a key resolves to (section first, then [DEFAULT]), or undefined. */
  entry(section: string, key: string): IniEntry | undefined {
    const k = key.toLowerCase();
    return this.requireSection(section).entries.get(k) ?? this.defaults.entries.get(k);
  }

  /** configparser's get(section, key, fallback=None): interpolated value, null if value-less, undefined if absent. */
  get(section: string, key: string): string | null | undefined {
    const e = this.entry(section, key);
    if (e === undefined) return undefined;
    return e.value === null ? null : this.interpolate(section, e);
  }

  /** configparser's items(section): defaults first, then the section's own keys, interpolated. */
  items(section: string): [string, string | null][] {
    const merged = new Map<string, IniEntry>(this.defaults.entries);
    for (const [k, e] of this.requireSection(section).entries) merged.set(k, e);
    return [...merged.values()].map((e) => [e.key, e.value === null ? null : this.interpolate(section, e)]);
  }

  private requireSection(name: string): IniSection {
    const s = this.sectionMap.get(name);
    if (s === undefined) throw new Error(`no section [${name}] in ${this.fileName}`);
    return s;
  }

  // configparser's BasicInterpolation: "%%" is a literal "%", "%(name)s" is the value of
  // key `name` in the same section or [DEFAULT], any other "%" is an error.
  private interpolate(section: string, e: IniEntry): string {
    const where = { fileName: this.fileName, section, key: e.key, line: e.line };
    const out: string[] = [];
    const walk = (rest: string, depth: number): void => {
      if (depth > MAX_INTERPOLATION_DEPTH) {
        throw new ConfigFileError(where, `value substitution exceeds ${MAX_INTERPOLATION_DEPTH} levels of "%(...)s" references`);
      }
      while (rest) {
        const p = rest.indexOf('%');
        if (p < 0) {
          out.push(rest);
          return;
        }
        out.push(rest.slice(0, p));
        rest = rest.slice(p);
        const c = rest.slice(1, 2);
        if (c === '%') {
          out.push('%');
          rest = rest.slice(2);
        } else if (c === '(') {
          const m = /^%\(([^)]+)\)s/.exec(rest);
          if (m === null) throw new ConfigFileError(where, `bad interpolation variable reference ${JSON.stringify(rest)} (write "%%" for a literal "%")`);
          const ref = m[1].toLowerCase();
          rest = rest.slice(m[0].length);
          const target = this.requireSection(section).entries.get(ref) ?? this.defaults.entries.get(ref);
          if (target === undefined) {
            throw new ConfigFileError(where, `value refers to "%(${m[1]})s" but there is no key "${ref}" in this section or [DEFAULT] (write "%%" for a literal "%")`);
          }
          if (target.value === null) throw new ConfigFileError(where, `value refers to "%(${m[1]})s" but key "${ref}" has no value`);
          if (target.value.includes('%')) walk(target.value, depth + 1);
          else out.push(target.value);
        } else {
          throw new ConfigFileError(where, `"%" must be followed by "%" or "(", found: ${JSON.stringify(rest)} (write "%%" for a literal "%")`);
        }
      }
    };
    walk(e.value as string, 1);
    return out.join('');
  }
}

interface PendingEntry {
  key: string;
  parts: string[] | null;
  line: number;
}

interface PendingSection {
  name: string;
  line: number;
  entries: Map<string, PendingEntry>;
}

/** Parses .ini text; `fileName` is used in error messages. Throws ConfigFileError. */
export function parseIni(text: string, fileName = '<string>'): IniDocument {
  if (text.startsWith('\ufeff')) text = text.slice(1);
  // Python reads files with universal newlines: \r\n, \r and \n all end a line.
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  const defaults: PendingSection = { name: DEFAULT_SECTION, line: 0, entries: new Map() };
  const sections = new Map<string, PendingSection>();
  const seenKeys = new Set<string>(); // strict mode: "<section>\0<key>" seen in this text
  let cur: PendingSection | null = null;
  let curEntry: PendingEntry | null = null; // the key a continuation line would extend
  let indentLevel = 0;
  let firstBadLine: { line: number; section: string; text: string } | null = null;

  lines.forEach((raw, idx) => {
    const lineno = idx + 1;
    const stripped = pyStrip(raw);
    const isComment = stripped.startsWith('#') || stripped.startsWith(';');
    const value = isComment ? '' : stripped;
    if (!value) {
      // Blank lines become part of a multi-line value (trailing ones are dropped at the
      // end); comment lines are skipped without ending the value.
      if (!isComment && curEntry !== null && curEntry.key !== '' && curEntry.parts !== null) curEntry.parts.push('');
      return;
    }
    const indent = pyFirstNonSpace(raw);
    if (cur !== null && curEntry !== null && curEntry.key !== '' && indent > indentLevel) {
      // An indented line continues the previous key's value.
      if (curEntry.parts === null) {
        throw new ConfigFileError({ fileName, section: cur.name, key: curEntry.key, line: lineno },
          `indented line continues key "${curEntry.key}", which has no value`);
      }
      curEntry.parts.push(value);
      return;
    }
    indentLevel = indent;
    const header = /^\[([^\n]+)\]/.exec(value);
    if (header !== null) {
      const name = header[1];
      if (sections.has(name)) {
        throw new ConfigFileError({ fileName, section: name, line: lineno },
          `section [${name}] already exists (first at line ${(sections.get(name) as PendingSection).line})`);
      }
      if (name === DEFAULT_SECTION) {
        cur = defaults;
        if (defaults.line === 0) defaults.line = lineno;
      } else {
        cur = { name, line: lineno, entries: new Map() };
        sections.set(name, cur);
      }
      curEntry = null;
      return;
    }
    if (cur === null) {
      throw new ConfigFileError({ fileName, line: lineno },
        `file contains no section header before this line: ${JSON.stringify(raw)}`);
    }
    // Key and value split at the first "=" or ":"; without either, a value-less key.
    const delim = value.search(/[=:]/);
    const rawKey = delim < 0 ? value : value.slice(0, delim);
    const key = pyRstrip(rawKey).toLowerCase();
    if (!key && firstBadLine === null) firstBadLine = { line: lineno, section: cur.name, text: raw };
    const seen = `${cur.name}\0${key}`;
    if (seenKeys.has(seen)) {
      const first = cur.entries.get(key);
      throw new ConfigFileError({ fileName, section: cur.name, key, line: lineno },
        `key "${key}" already exists in section [${cur.name}]${first ? ` (first at line ${first.line})` : ''}; keys are case-insensitive`);
    }
    seenKeys.add(seen);
    curEntry = { key, parts: delim < 0 ? null : [pyStrip(value.slice(delim + 1))], line: lineno };
    cur.entries.set(key, curEntry);
  });

  // configparser reports lines without a key name only after reading everything.
  if (firstBadLine !== null) {
    const bad = firstBadLine as { line: number; section: string; text: string };
    throw new ConfigFileError({ fileName, section: bad.section, line: bad.line },
      `line has no key name: ${JSON.stringify(bad.text)}`);
  }

  const finish = (s: PendingSection): IniSection => ({
    name: s.name,
    line: s.line,
    entries: new Map([...s.entries].map(([k, e]) => [k, {
      key: e.key,
      value: e.parts === null ? null : pyRstrip(e.parts.join('\n')),
      line: e.line,
    }])),
  });
  return new IniDocument(fileName, finish(defaults), new Map([...sections].map(([n, s]) => [n, finish(s)])));
}
