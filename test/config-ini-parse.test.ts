// The .ini reader follows Python's configparser (as zeek-client configures it), not the
// `ini` npm package. One test per rule where the two differ.

import { strict as assert } from 'node:assert';
import { ConfigFileError } from '../sdk/config/config-file-error';
import { parseIni } from '../sdk/config/ini-parse';

function raw(text: string, section: string): Record<string, string | null> {
  const doc = parseIni(text, 'test.ini');
  const s = doc.section(section);
  assert.ok(s, `section [${section}] missing`);
  return Object.fromEntries([...s.entries.values()].map((e) => [e.key, e.value]));
}

function errorOf(fn: () => unknown): ConfigFileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `expected ConfigFileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigFileError');
}

describe('config ini-parse: configparser rules', () => {
  it('keeps a value-less key apart from an empty value and from "true"', () => {
    // ini: both `agent` and `agent = true` decode to the boolean true.
    const v = raw('[instances]\nagent\nempty =\nliteral = true\nnull = null\n', 'instances');
    assert.deepEqual(v, { agent: null, empty: '', literal: 'true', null: 'null' });
  });

  it('treats only whole lines starting with # or ; as comments, also when indented', () => {
    const v = raw('[n]\n# comment\n; comment\n   # indented comment\nkey = v\n', 'n');
    assert.deepEqual(v, { key: 'v' });
  });

  it('keeps # and ; inside values (no inline comments)', () => {
    // ini: cuts values at the first unescaped ; or #.
    const v = raw('[n]\nscripts = a#b ; c\nenv = X=1;2\n', 'n');
    assert.deepEqual(v, { scripts: 'a#b ; c', env: 'X=1;2' });
  });

  it('keeps backslashes and quotes verbatim', () => {
    // ini: treats \ as an escape, strips and JSON-decodes quoted values.
    const v = raw('[n]\na = x\\;y\nb = "q r"\nc = \'s\'\n', 'n');
    assert.deepEqual(v, { a: 'x\\;y', b: '"q r"', c: "'s'" });
  });

  it('continues a value on lines indented deeper than its key', () => {
    const v = raw('[n]\nscripts = a\n  b\n\tc\nenv = X=1\n', 'n');
    assert.deepEqual(v, { scripts: 'a\nb\nc', env: 'X=1' });
  });

  it('keeps blank lines inside a continued value, drops trailing ones, skips comment lines', () => {
    const v = raw('[n]\nk = a\n\n  b\n  # not part\n  c\n\n\nother = 1\n', 'n');
    assert.deepEqual(v, { k: 'a\n\nb\nc', other: '1' });
  });

  it('measures continuation indentation against the key line, so indented keys are fine', () => {
    const v = raw('[n]\n  a = 1\n  b = 2\n    more\n', 'n');
    assert.deepEqual(v, { a: '1', b: '2\nmore' });
  });

  it('treats an indented key line after a key as a continuation, not a new key', () => {
    const v = raw('[n]\na = 1\n  b = 2\n', 'n');
    assert.deepEqual(v, { a: '1\nb = 2' });
  });

  it('rejects a continuation of a value-less key, naming file, section, key and line', () => {
    const err = errorOf(() => parseIni('[instances]\nagent\n  more\n', 'cluster.cfg'));
    assert.equal(err.fileName, 'cluster.cfg');
    assert.equal(err.section, 'instances');
    assert.equal(err.key, 'agent');
    assert.equal(err.line, 3);
    assert.match(err.message, /^cluster\.cfg, line 3, section \[instances\], key "agent": /);
  });

  it('rejects a repeated section (configparser strict mode) naming the section and both lines', () => {
    // ini: merges the two sections silently.
    const err = errorOf(() => parseIni('[manager]\nrole = manager\n\n[manager]\nrole = worker\n', 'cluster.cfg'));
    assert.equal(err.section, 'manager');
    assert.equal(err.line, 4);
    assert.match(err.message, /section \[manager\] already exists \(first at line 1\)/);
  });

  it('rejects a repeated key, case-insensitively, naming section and key', () => {
    const err = errorOf(() => parseIni('[manager]\nrole = manager\nRole = worker\n', 'cluster.cfg'));
    assert.equal(err.section, 'manager');
    assert.equal(err.key, 'role');
    assert.equal(err.line, 3);
  });

  it('accepts "key: value" and splits at the first = or :', () => {
    // ini: knows only "=".
    const v = raw('[instances]\nagent1: 10.0.0.1:2151\nagent2 = ::1:2151\na:b = c\n', 'instances');
    assert.deepEqual(v, { agent1: '10.0.0.1:2151', agent2: '::1:2151', a: 'b = c' });
  });

  it('lowercases keys but keeps section names as written', () => {
    const doc = parseIni('[Manager]\nROLE = manager\n[manager]\nRole = worker\n');
    assert.deepEqual(doc.sections(), ['Manager', 'manager']);
    assert.equal(doc.get('Manager', 'role'), 'manager');
    assert.equal(doc.get('manager', 'ROLE'), 'worker');
  });

  it('trims keys and values with Python\'s whitespace rules, but not section names', () => {
    const v = raw('[ m ]\n  key \u00a0 =   v v\u2003\n', ' m ');
    assert.deepEqual(v, { key: 'v v' });
  });

  it('reads [DEFAULT] as defaults for every section, not as a section', () => {
    const doc = parseIni('[DEFAULT]\nrole = worker\n\n[w1]\ninterface = eth0\n[w2]\nrole = proxy\n[default]\nx = 1\n');
    assert.deepEqual(doc.sections(), ['w1', 'w2', 'default']);
    assert.equal(doc.get('w1', 'role'), 'worker');
    assert.equal(doc.get('w2', 'role'), 'proxy');
    assert.equal(doc.hasOption('w1', 'role'), true);
    assert.deepEqual(doc.items('w1'), [['role', 'worker'], ['interface', 'eth0']]);
  });

  it('does not nest dotted section names or treat key[] as arrays', () => {
    // ini: [node.1] becomes {node: {1: ...}} and a[] = x an array.
    const doc = parseIni('[node.1]\na[] = x\na = y\n');
    assert.deepEqual(doc.sections(), ['node.1']);
    assert.deepEqual(doc.items('node.1'), [['a[]', 'x'], ['a', 'y']]);
  });

  it('takes a section header up to its last "]" and ignores the rest of the line', () => {
    const doc = parseIni('[logger] ; comment\n[a]b]\n');
    assert.deepEqual(doc.sections(), ['logger', 'a]b']);
  });

  it('interpolates %% and %(key)s from the section or [DEFAULT], case-insensitively', () => {
    const doc = parseIni('[DEFAULT]\nbase = /opt\n[n]\ndir = %(BASE)s/zeek\nscripts = %(dir)s/x.zeek\nenv = P=100%%\n');
    assert.equal(doc.get('n', 'scripts'), '/opt/zeek/x.zeek');
    assert.equal(doc.get('n', 'env'), 'P=100%');
  });

  it('rejects a lone %, a missing reference and a reference loop, naming section and key', () => {
    const lone = errorOf(() => parseIni('[n]\nenv = P=100%\n', 'c.ini').get('n', 'env'));
    assert.equal(lone.section, 'n');
    assert.equal(lone.key, 'env');
    assert.match(lone.reason, /"%" must be followed by "%" or "\("/);
    const missing = errorOf(() => parseIni('[n]\nx = %(nope)s\n', 'c.ini').items('n'));
    assert.match(missing.reason, /no key "nope"/);
    const loop = errorOf(() => parseIni('[n]\na = %(b)s\nb = %(a)s\n', 'c.ini').get('n', 'a'));
    assert.match(loop.reason, /exceeds 10 levels/);
  });

  it('rejects keys before any section header', () => {
    const err = errorOf(() => parseIni('role = manager\n[manager]\n', 'c.ini'));
    assert.equal(err.line, 1);
    assert.match(err.reason, /no section header/);
  });

  it('rejects a line without a key name, after reading the whole file', () => {
    const err = errorOf(() => parseIni('[n]\n= value\n', 'c.ini'));
    assert.equal(err.section, 'n');
    assert.equal(err.line, 2);
    assert.match(err.reason, /no key name/);
  });

  it('reads \\r\\n and lone \\r line ends like \\n', () => {
    assert.deepEqual(raw('[n]\r\na = 1\rb = 2\r\n', 'n'), { a: '1', b: '2' });
  });

  it('ignores a UTF-8 byte order mark (configparser would not)', () => {
    assert.deepEqual(parseIni('\ufeff[n]\na = 1\n').sections(), ['n']);
  });

  it('records the line of every section and key', () => {
    const doc = parseIni('# c\n[a]\n\nk = 1\n  more\nj = 2\n');
    assert.equal(doc.section('a')?.line, 2);
    assert.equal(doc.entry('a', 'k')?.line, 4);
    assert.equal(doc.entry('a', 'j')?.line, 6);
  });
});
