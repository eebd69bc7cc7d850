// zeek-client's own settings (config.py): a configparser with hard-wired defaults, then,
// in rising precedence, the settings file (-c/--configfile, ZEEK_CLIENT_CONFIG_FILE),
// ZEEK_CLIENT_CONFIG_SETTINGS (space-separated SECTION.KEY=VAL, shell-quoted), --set
// arguments, --controller HOST:PORT and -v. Keys are case-insensitive (lowercased),
// sections are not; values are strings, read as int/float/boolean with Python's rules.
// show-settings prints them as configparser.write() does.

import * as fs from 'node:fs';
import { parseIni, DEFAULT_SECTION } from '../sdk/config/ini-parse';
import { writeIni, IniWriteSection } from '../sdk/config/ini-write';
import { shlexSplit } from '../sdk/config/shlex-split';
import { parsePyInt, pyStrip } from '../sdk/config/python-string';

export const DEFAULT_CONFIG_FILE = '/usr/local/zeek/etc/zeek-client.cfg';

/** The settings file zeek-client considers by default: $ZEEK_CLIENT_CONFIG_FILE or the installed path. */
export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZEEK_CLIENT_CONFIG_FILE || DEFAULT_CONFIG_FILE;
}

/** zeek-client's defaults, in its order, rendered as Python's str() renders them. */
const DEFAULTS: Array<[string, Array<[string, string]>]> = [
  ['client', [
    ['request_timeout_secs', '20'],
    ['peering_attempts', '10'],
    ['peering_retry_delay_secs', '1.0'],
    ['rich_logging_format', 'False'],
    ['pretty_json', 'True'],
    ['verbosity', '0'],
  ]],
  ['controller', [
    ['host', '127.0.0.1'],
    ['port', '2149'],
  ]],
  ['ssl', [
    ['enable', 'False'],
    ['certificate', ''],
    ['keyfile', ''],
    ['cafile', ''],
    ['capath', ''],
    ['passphrase', ''],
  ]],
];

/** A setting that cannot be used: bad SECTION.KEY=VAL syntax, unreadable value, bad settings file. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

const BOOLEAN_STATES: Record<string, boolean> = { '1': true, yes: true, true: true, on: true, '0': false, no: false, false: false, off: false };
const PY_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.|inf(?:inity)?|nan)$/i;
const MAX_INTERPOLATION_DEPTH = 10;

export class Settings {
  private readonly defaults = new Map<string, string>();
  private readonly sections = new Map<string, Map<string, string>>();

  constructor() {
    this.reset();
  }

  reset(): void {
    this.defaults.clear();
    this.sections.clear();
    for (const [section, items] of DEFAULTS) this.sections.set(section, new Map(items));
  }

  hasSection(section: string): boolean {
    return this.sections.has(section);
  }

  addSection(section: string): void {
    if (section === DEFAULT_SECTION) throw new SettingsError(`invalid section name: '${section}'`);
    if (this.sections.has(section)) throw new SettingsError(`section '${section}' already exists`);
    this.sections.set(section, new Map());
  }

  hasOption(section: string, key: string): boolean {
    const k = key.toLowerCase();
    return (this.sections.get(section)?.has(k) ?? false) || this.defaults.has(k);
  }

  /** configparser's set(): the section must exist; "%" must be "%%" or "%(name)s". */
  set(section: string, key: string, value: string): void {
    const sect = section === DEFAULT_SECTION ? this.defaults : this.sections.get(section);
    if (!sect) throw new SettingsError(`no section: '${section}'`);
    const bare = value.replace(/%%/g, '').replace(/%\([^)]*\)s/g, '');
    const bad = bare.indexOf('%');
    if (bad >= 0) throw new SettingsError(`invalid interpolation syntax in '${value}' at position ${value.indexOf('%', bad)}`);
    sect.set(key.toLowerCase(), value);
  }

  /** Applies one SECTION.KEY=VAL item, creating the section if needed. */
  apply(item: string): void {
    const eq = item.indexOf('=');
    const dot = eq < 0 ? -1 : item.slice(0, eq).indexOf('.');
    if (eq < 0 || dot < 0) throw new SettingsError(`config item "${item}" invalid`);
    const section = item.slice(0, dot);
    const key = item.slice(dot + 1, eq);
    const value = item.slice(eq + 1);
    try {
      if (!this.hasSection(section)) this.addSection(section);
      this.set(section, key, value);
    } catch (err) {
      throw new SettingsError(`config item "${item}" invalid: ${(err as Error).message}`);
    }
  }

  /** The raw value (before interpolation), or undefined. */
  raw(section: string, key: string): string | undefined {
    const k = key.toLowerCase();
    return this.sections.get(section)?.get(k) ?? this.defaults.get(k);
  }

  /** configparser's get() with basic interpolation. Throws SettingsError when absent. */
  get(section: string, key: string): string {
    if (!this.sections.has(section)) throw new SettingsError(`no section: '${section}'`);
    const raw = this.raw(section, key);
    if (raw === undefined) throw new SettingsError(`no option '${key.toLowerCase()}' in section: '${section}'`);
    return this.interpolate(section, key, raw, 1);
  }

  private interpolate(section: string, key: string, value: string, depth: number): string {
    if (!value.includes('%')) return value;
    if (depth > MAX_INTERPOLATION_DEPTH) throw new SettingsError(`setting ${section}.${key}: value substitution nested too deeply`);
    let out = '';
    let rest = value;
    while (rest) {
      const p = rest.indexOf('%');
      if (p < 0) {
        out += rest;
        break;
      }
      out += rest.slice(0, p);
      rest = rest.slice(p);
      if (rest[1] === '%') {
        out += '%';
        rest = rest.slice(2);
        continue;
      }
      const m = /^%\(([^)]+)\)s/.exec(rest);
      if (!m) throw new SettingsError(`setting ${section}.${key}: '%' must be followed by '%' or '(', found: '${rest}'`);
      const ref = this.raw(section, m[1]);
      if (ref === undefined) throw new SettingsError(`setting ${section}.${key}: bad value substitution: no option '${m[1].toLowerCase()}'`);
      out += this.interpolate(section, m[1], ref, depth + 1);
      rest = rest.slice(m[0].length);
    }
    return out;
  }

  getInt(section: string, key: string): number {
    const v = this.get(section, key);
    const n = parsePyInt(v);
    if (n === null || n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new SettingsError(`setting ${section}.${key} must be a whole number, got "${v}"`);
    }
    return Number(n);
  }

  getFloat(section: string, key: string): number {
    const v = this.get(section, key);
    const t = pyStrip(v);
    if (!PY_FLOAT.test(t)) throw new SettingsError(`setting ${section}.${key} must be a number, got "${v}"`);
    return Number(t.replace(/_/g, '').replace(/^([+-]?)inf(inity)?$/i, '$1Infinity').replace(/^[+-]?nan$/i, 'NaN'));
  }

  getBoolean(section: string, key: string): boolean {
    const v = this.get(section, key);
    const b = BOOLEAN_STATES[v.toLowerCase()];
    if (b === undefined) throw new SettingsError(`setting ${section}.${key} must be a boolean (true/false, yes/no, on/off, 1/0), got "${v}"`);
    return b;
  }

  /**
   * Reads a settings file as configparser.read() does: a missing or unreadable file is
   * skipped silently; a file that is not valid .ini text is an error.
   */
  updateFromFile(file: string): void {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return;
    }
    let doc;
    try {
      doc = parseIni(text, file);
    } catch (err) {
      throw new SettingsError(`cannot read settings file: ${(err as Error).message}`);
    }
    const copy = (target: Map<string, string>, entries: Iterable<{ key: string; value: string | null; line: number }>, section: string): void => {
      for (const e of entries) {
        if (e.value === null) throw new SettingsError(`cannot read settings file: ${file}, line ${e.line}, section [${section}]: key "${e.key}" needs a value`);
        target.set(e.key, e.value);
      }
    };
    copy(this.defaults, doc.defaults.entries.values(), DEFAULT_SECTION);
    for (const name of doc.sections()) {
      let sect = this.sections.get(name);
      if (!sect) this.sections.set(name, (sect = new Map()));
      copy(sect, doc.section(name)!.entries.values(), name);
    }
  }

  /**
   * Applies ZEEK_CLIENT_CONFIG_SETTINGS. Returns error messages for unusable items
   * (zeek-client logs and skips them).
   */
  updateFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
    const errors: string[] = [];
    let items: string[];
    try {
      items = shlexSplit(env.ZEEK_CLIENT_CONFIG_SETTINGS ?? '');
    } catch (err) {
      return [`ZEEK_CLIENT_CONFIG_SETTINGS cannot be split into words: ${(err as Error).message}`];
    }
    for (const item of items) {
      try {
        this.apply(item);
      } catch {
        errors.push(`config item "${item}" in ZEEK_CLIENT_CONFIG_SETTINGS invalid. Please use <section.key>=<val>.`);
      }
    }
    return errors;
  }

  /**
   * Applies --set items, then --controller and -v. Returns error messages for unusable
   * --set items (skipped, as zeek-client does); throws SettingsError for a --controller
   * value that cannot be used.
   */
  updateFromArgs(args: { set: string[]; controller: string | null; verbose: number | null }): string[] {
    const errors: string[] = [];
    for (const item of args.set) {
      try {
        this.apply(item);
      } catch {
        errors.push(`config item "${item}" invalid. Please use <section.key>=<val>.`);
      }
    }
    if (args.controller) {
      const { host, port } = parseControllerArg(args.controller);
      if (port === '') this.set('controller', 'host', host);
      else if (host === '') this.set('controller', 'port', port);
      else {
        this.set('controller', 'host', host);
        this.set('controller', 'port', port);
      }
    }
    if (args.verbose) this.set('client', 'verbosity', String(args.verbose));
    return errors;
  }

  /** configparser.write(): [DEFAULT] first when it has keys, then every section. */
  write(): string {
    const sections: IniWriteSection[] = [];
    if (this.defaults.size > 0) sections.push({ name: DEFAULT_SECTION, entries: [...this.defaults] });
    for (const [name, items] of this.sections) sections.push({ name, entries: [...items] });
    return writeIni(sections);
  }
}

/**
 * --controller HOST:PORT, either part optional: "foo", "foo:", ":2222", "foo:2222",
 * "[fe80::1]", "[fe80::1]:2222". An IPv6 address needs brackets.
 */
export function parseControllerArg(value: string): { host: string; port: string } {
  if (!value.includes(':')) return { host: value, port: '' };
  const colon = value.lastIndexOf(':');
  let host = value.slice(0, colon);
  let port = value.slice(colon + 1);
  if (host.includes(':')) {
    if (!host.startsWith('[')) throw new SettingsError('IPv6 addresses must be surrounded by brackets: [<ipv6>]:<port>');
    if (port.endsWith(']')) {
      host = `${host}:${port}`;
      port = '';
    }
  }
  return { host, port };
}
