// Shell-like splitting of `scripts` and `env` values, as Python's shlex.split().

import { strict as assert } from 'node:assert';
import { shlexSplit } from '../sdk/config/shlex-split';
import { seededRandom } from './helpers/seeded-random';
import { python3Available, runPython } from './python3-oracle';

describe('config shlex: Python shlex.split() rules', () => {
  it('splits on space, tab, CR and LF only', () => {
    assert.deepEqual(shlexSplit(' a\tb\r\nc  '), ['a', 'b', 'c']);
    assert.deepEqual(shlexSplit('a\u00a0b'), ['a\u00a0b']);
    assert.deepEqual(shlexSplit(''), []);
  });

  it('joins quoted parts, keeps empty quoted words', () => {
    assert.deepEqual(shlexSplit('FOO="a b"c \'d e\' "" \'\''), ['FOO=a bc', 'd e', '', '']);
  });

  it('escapes with backslash outside quotes, only " and \\ inside double quotes, nothing inside single quotes', () => {
    assert.deepEqual(shlexSplit('a\\ b "c\\"d\\\\e\\f" \'g\\h\''), ['a b', 'c"d\\e\\f', 'g\\h']);
  });

  it('raises Python\'s errors for unterminated input', () => {
    assert.throws(() => shlexSplit('"abc'), /^ShlexError: No closing quotation$/);
    assert.throws(() => shlexSplit("'abc"), /No closing quotation/);
    assert.throws(() => shlexSplit('abc\\'), /No escaped character/);
    assert.throws(() => shlexSplit('"abc\\'), /No escaped character/);
  });

  describe('against Python itself', function () {
    before(function () {
      if (!python3Available()) {
        console.log('      (python3 not found: skipping the shlex differential test)');
        this.skip();
      }
    });

    it('agrees with shlex.split on 3000 generated strings', () => {
      const rnd = seededRandom(11);
      const parts = ['a', 'b=', ' ', '\t', '\n', '"', "'", '\\', '#', 'é', '\u00a0', '$x'];
      const inputs = Array.from({ length: 3000 }, () => Array.from({ length: Math.floor(rnd() * 10) }, () => parts[Math.floor(rnd() * parts.length)]).join(''));
      const expected = runPython<(string[] | string)[]>(String.raw`
import json, shlex, sys
out = []
for s in json.load(sys.stdin):
    try:
        out.append(shlex.split(s))
    except ValueError as e:
        out.append(str(e))
print(json.dumps(out))
`, inputs);
      inputs.forEach((s, i) => {
        let ours: string[] | string;
        try {
          ours = shlexSplit(s);
        } catch (err) {
          ours = (err as Error).message;
        }
        assert.deepEqual(ours, expected[i], JSON.stringify(s));
      });
    });
  });
});
