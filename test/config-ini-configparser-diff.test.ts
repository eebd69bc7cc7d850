// Differential test: our .ini reader against Python's own configparser (the parser
// zeek-client uses), on generated texts full of the tricky parts: comments, continuation
// lines, blank lines, delimiters, case, [DEFAULT], interpolation, duplicates, odd
// whitespace and line ends. Skipped where python3 is not installed.

import { strict as assert } from 'node:assert';
import { ConfigFileError } from '../sdk/config/config-file-error';
import { IniDocument, parseIni } from '../sdk/config/ini-parse';
import { seededRandom } from './helpers/seeded-random';
import { python3Available, runPython } from './python3-oracle';

// Reads each text as zeek-client reads a file (universal newlines), and reports per
// section the raw items (defaults merged) and the interpolated items, or the error class.
const PYTHON = String.raw`
import configparser, io, json, sys
out = []
for text in json.load(sys.stdin):
    cfp = configparser.ConfigParser(allow_no_value=True)
    try:
        cfp.read_file(io.StringIO(text, newline=None), source='t.ini')
    except Exception as e:
        out.append({'error': type(e).__name__})
        continue
    secs = []
    for s in cfp.sections():
        rawitems = [[k, v] for k, v in cfp.items(s, raw=True)]
        try:
            items = [[k, v] for k, v in cfp.items(s)]
        except Exception as e:
            items = type(e).__name__
        secs.append([s, rawitems, items])
    out.append({'sections': secs, 'defaults': [[k, v] for k, v in cfp.defaults().items()]})
print(json.dumps(out))
`;

type Outcome = { error: string } | { sections: [string, [string, string | null][], [string, string | null][] | string][]; defaults: [string, string | null][] };

function errorClass(err: unknown): string {
  if (!(err instanceof ConfigFileError)) throw err;
  const r = err.reason;
  if (/no key "/.test(r)) return 'InterpolationMissingOptionError';
  if (/must be followed|bad interpolation/.test(r)) return 'InterpolationSyntaxError';
  if (/exceeds 10 levels/.test(r)) return 'InterpolationDepthError';
  if (/^value refers to .* has no value$/.test(r)) return 'TypeError';
  if (/^key ".*" already exists/.test(r)) return 'DuplicateOptionError';
  if (/^section .* already exists/.test(r)) return 'DuplicateSectionError';
  if (/no section header/.test(r)) return 'MissingSectionHeaderError';
  if (/no key name/.test(r)) return 'ParsingError';
  if (/which has no value/.test(r)) return 'AttributeError';
  return `unmapped: ${r}`;
}

function rawItems(doc: IniDocument, section: string): [string, string | null][] {
  const merged = new Map(doc.defaults.entries);
  for (const [k, e] of doc.section(section)?.entries ?? []) merged.set(k, e);
  return [...merged.values()].map((e) => [e.key, e.value]);
}

function ours(text: string): Outcome {
  let doc: IniDocument;
  try {
    doc = parseIni(text, 't.ini');
  } catch (err) {
    return { error: errorClass(err) };
  }
  return {
    sections: doc.sections().map((s) => {
      let items: [string, string | null][] | string;
      try {
        // configparser's items() turns a value-less key into "" on the way through interpolation.
        items = doc.items(s).map(([k, v]) => [k, v ?? '']);
      } catch (err) {
        items = errorClass(err);
      }
      return [s, rawItems(doc, s), items];
    }),
    defaults: [...doc.defaults.entries.values()].map((e) => [e.key, e.value]),
  };
}

function generate(count: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const headers = ['[instances]', '[manager]', '[w1]', '[DEFAULT]', '[ m ]', '[a]b]', '[Manager]', '[logger] ; x', '[node.1]', '[]', '[default]'];
  const keys = ['instance', 'role', 'Role', 'PORT', 'env', 'scripts', 'agent', 'a[]', 'k\u00e9y', ' spaced key ', 'sep\x1c', 'nel\x85', ''];
  const delims = ['=', ':', ' = ', ' : ', '=\u00a0', '\t=\t', ''];
  const values = ['worker', '', ' padded ', 'a#b', 'x;y', 'q "r s"', "'t'", 'true', '%%', '%(role)s', '%(ROLE)s/x', '%(nope)s', '100%', '%(', '1.2.3.4:5', '[::1]:80', 'back\\slash', 'k=v', '\u2003em\u2003'];
  const extras = ['# comment', '; comment', '   # indented', '', '   ', '\t', '  continued', '\tcontinued', '    [w3]', '  x = y', '\u00a0nbsp-indented'];
  const ends = ['\n', '\r\n', '\r'];
  const cases: string[] = [];
  for (let i = 0; i < count; i++) {
    const lines = [pick(headers)];
    const n = 1 + Math.floor(rnd() * 10);
    for (let j = 0; j < n; j++) {
      const r = rnd();
      if (r < 0.12) lines.push(pick(headers));
      else if (r < 0.35) lines.push(pick(extras));
      else {
        const d = pick(delims);
        lines.push(d === '' ? pick(keys) : pick(keys) + d + pick(values));
      }
    }
    const end = pick(ends);
    cases.push(lines.join(end) + (rnd() < 0.8 ? end : ''));
  }
  return cases;
}

describe('config ini-parse: differential against Python configparser', function () {
  before(function () {
    if (!python3Available()) {
      console.log('      (python3 not found: skipping the configparser differential test)');
      this.skip();
    }
  });

  it('agrees with configparser on 1500 generated texts', () => {
    const cases = [
      '[instances]\nagent-testbox\n\n[manager]\ninstance = agent-testbox\nrole = manager\n',
      '[n]\nk = a\n\n\n  b\n\n',
      '[DEFAULT]\nrole = worker\n[DEFAULT]\nx = 1\n[w]\n',
      '[n]\na = %(b)s\nb = %(a)s\n',
      '[n]\na = %(b)s\nb\n',
      ...generate(1500, 20240601),
    ];
    const expected = runPython<Outcome[]>(PYTHON, cases);
    let checked = 0;
    cases.forEach((text, i) => {
      assert.deepEqual(ours(text), expected[i], `case ${i}: ${JSON.stringify(text)}`);
      checked++;
    });
    assert.equal(checked, cases.length);
    // The generator must exercise both outcomes.
    assert.ok(expected.filter((o) => 'error' in o).length > 50);
    assert.ok(expected.filter((o) => 'sections' in o).length > 500);
  });
});
