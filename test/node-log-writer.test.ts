// The Zeek-style log writer emulated nodes use: ASCII header, escaping, unset and empty
// values, #close on rotation, JSON lines.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_FORMAT, LogField, LogStream, logStamp } from '../framework/node/log-writer';
import { tempDir } from './run-support';

const FIELDS: LogField[] = [
  { name: 'ts', type: 'time' }, { name: 'msg', type: 'string' }, { name: 'p', type: 'port' },
  { name: 'ok', type: 'bool' }, { name: 'tags', type: 'set[string]' }, { name: 'd', type: 'interval' },
];

describe('node log writer', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir('zeek-mgmt-logs-')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes Zeek\'s ASCII format with header, escapes, unset and empty fields', () => {
    const s = new LogStream(dir, 'test', FIELDS);
    assert.equal(fs.existsSync(path.join(dir, 'test.log')), false, 'the file appears with the first record');
    s.write({ ts: 1655719200.5, msg: 'tab\there\\', p: 2200, ok: true, tags: ['a', 'b'], d: 1.25 });
    s.write({ ts: 1, msg: '', p: null, ok: false, tags: [], d: undefined });
    s.write({ ts: 2, msg: '-', p: 1, ok: true, tags: ['x,y'], d: 0 });
    const closed = s.rotate();
    assert.ok(closed && closed.path === 'test');
    const lines = fs.readFileSync(path.join(dir, 'test.log'), 'utf8').split('\n');
    assert.deepEqual(lines.slice(0, 5), ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\ttest']);
    assert.equal(lines[6], '#fields\tts\tmsg\tp\tok\ttags\td');
    assert.equal(lines[7], '#types\ttime\tstring\tport\tbool\tset[string]\tinterval');
    assert.equal(lines[8], '1655719200.500000\ttab\\x09here\\x5c\t2200\tT\ta,b\t1.250000');
    assert.equal(lines[9], '1.000000\t(empty)\t-\tF\t(empty)\t-');
    assert.equal(lines[10], '2.000000\t\\x2d\t1\tT\tx\\x2cy\t0.000000');
    assert.match(lines[11], /^#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
    assert.equal(s.rotate(), null, 'nothing to close after rotation');
  });

  it('writes one JSON object per line with LogAscii::use_json, leaving out unset fields', () => {
    const s = new LogStream(dir, 'j', FIELDS, { ...DEFAULT_FORMAT, useJson: true });
    s.write({ ts: 1655719200.1234567, msg: 'hi', p: 80, ok: false, tags: ['t'], d: null });
    s.close();
    assert.deepEqual(fs.readFileSync(path.join(dir, 'j.log'), 'utf8'), '{"ts":1655719200.123457,"msg":"hi","p":80,"ok":false,"tags":["t"]}\n');
  });

  it('stamps #open/#close as %Y-%m-%d-%H-%M-%S', () => {
    assert.equal(logStamp(new Date(2022, 5, 20, 10, 0, 7)), '2022-06-20-10-00-07');
  });
});
