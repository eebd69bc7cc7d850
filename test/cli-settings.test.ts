// zeek-client's settings: defaults, the settings file (-c / ZEEK_CLIENT_CONFIG_FILE),
// ZEEK_CLIENT_CONFIG_SETTINGS, --set, --controller and -v, in that order of precedence;
// show-settings output; bad settings.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseControllerArg, Settings, SettingsError } from '../cli/settings';
import { cli, tempDir } from './cli-harness';

const DEFAULT_SETTINGS = `[client]
request_timeout_secs = 20
peering_attempts = 10
peering_retry_delay_secs = 1.0
rich_logging_format = False
pretty_json = True
verbosity = 0

[controller]
host = 127.0.0.1
port = 2149

[ssl]
enable = False
certificate = 
keyfile = 
cafile = 
capath = 
passphrase = 

`;

/** show-settings output as section -> key -> value. */
function parsed(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let cur: Record<string, string> | null = null;
  for (const line of text.split('\n')) {
    const h = /^\[(.*)\]$/.exec(line);
    if (h) out[h[1]] = cur = {};
    else if (line.startsWith('\t') && cur) {
      const keys = Object.keys(cur);
      cur[keys[keys.length - 1]] += `\n${line}`;
    } else if (line && cur) {
      const i = line.indexOf(' = ');
      cur[line.slice(0, i)] = line.slice(i + 3);
    }
  }
  return out;
}

describe('zeek-mgmt settings', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('show-settings prints zeek-client\'s defaults as configparser writes them', async () => {
    const r = await cli(['show-settings'], { env: { ZEEK_CLIENT_CONFIG_FILE: path.join(dir, 'absent.cfg') } });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, DEFAULT_SETTINGS);
    assert.equal(r.stderr, '');
  });

  it('applies file < ZEEK_CLIENT_CONFIG_SETTINGS < --set < --controller < -v', async () => {
    const file = path.join(dir, 'client.cfg');
    fs.writeFileSync(file, [
      '[client]', 'request_timeout_secs = 11', 'peering_attempts = 3', 'Pretty_JSON: false', 'verbosity = 1',
      '[controller]', 'host = file-host', 'port = 1001',
      '[extra]', 'note = from the file', '  and a continuation', '',
    ].join('\n'));
    const r = await cli([
      '-c', file, '--set', 'client.peering_attempts=5', '--set', 'controller.host=set-host', '--set', 'new.KEY=x=y',
      '--controller', ':3003', '-vv', 'show-settings',
    ], { env: { ZEEK_CLIENT_CONFIG_SETTINGS: 'client.request_timeout_secs=12 client.peering_attempts=4 env.words="a b c"' } });
    assert.equal(r.code, 0, r.stderr);
    const s = parsed(r.stdout);
    assert.equal(s.client.request_timeout_secs, '12', 'environment beats the file');
    assert.equal(s.client.peering_attempts, '5', '--set beats the environment');
    assert.equal(s.client.pretty_json, 'false', 'keys are case-insensitive, ":" works as in configparser');
    assert.equal(s.client.verbosity, '2', '-vv beats the file');
    assert.equal(s.controller.host, 'set-host', '--controller :PORT leaves the host');
    assert.equal(s.controller.port, '3003', '--controller beats --set and the file');
    assert.equal(s.extra.note, 'from the file\n\tand a continuation');
    assert.equal(s.env.words, 'a b c', 'shell quoting in ZEEK_CLIENT_CONFIG_SETTINGS');
    assert.equal(s.new.key, 'x=y');
    // Sections the environment adds come before the file's, as zeek-client applies the environment twice.
    assert.deepEqual(Object.keys(s), ['client', 'controller', 'ssl', 'env', 'extra', 'new']);
  });

  it('ZEEK_CLIENT_CONFIG_FILE names the settings file; -c overrides it', async () => {
    const a = path.join(dir, 'a.cfg');
    const b = path.join(dir, 'b.cfg');
    fs.writeFileSync(a, '[controller]\nport = 4001\n');
    fs.writeFileSync(b, '[controller]\nport = 4002\n');
    const viaEnv = await cli(['show-settings'], { env: { ZEEK_CLIENT_CONFIG_FILE: a } });
    assert.equal(parsed(viaEnv.stdout).controller.port, '4001');
    const viaArg = await cli(['-c', b, 'show-settings'], { env: { ZEEK_CLIENT_CONFIG_FILE: a } });
    assert.equal(parsed(viaArg.stdout).controller.port, '4002');
    const help = await cli(['--help'], { env: { ZEEK_CLIENT_CONFIG_FILE: a, ZEEK_CLIENT_CONFIG_SETTINGS: 'controller.host=h.example' } });
    // Help text wraps (also after hyphens in the path, as textwrap does): compare without the line breaks.
    const unwrapped = help.stdout.replace(/\n +/g, ' ').replace(/- /g, '-');
    assert.ok(unwrapped.includes(`(Default: ${a})`), unwrapped);
    assert.ok(unwrapped.includes('(default: h.example:2149)'), unwrapped);
  });

  it('--controller: host, :port, host:port, bracketed IPv6, either part left out', () => {
    assert.deepEqual(parseControllerArg('foo'), { host: 'foo', port: '' });
    assert.deepEqual(parseControllerArg('foo:'), { host: 'foo', port: '' });
    assert.deepEqual(parseControllerArg(':2222'), { host: '', port: '2222' });
    assert.deepEqual(parseControllerArg('foo:2222'), { host: 'foo', port: '2222' });
    assert.deepEqual(parseControllerArg('[fe80::1]'), { host: '[fe80::1]', port: '' });
    assert.deepEqual(parseControllerArg('[fe80::1]:'), { host: '[fe80::1]', port: '' });
    assert.deepEqual(parseControllerArg('[fe80::1]:2222'), { host: '[fe80::1]', port: '2222' });
    assert.throws(() => parseControllerArg('fe80::1'), /IPv6 addresses must be surrounded by brackets/);
    const s = new Settings();
    s.updateFromArgs({ set: [], controller: '[fe80::1]:2222', verbose: null });
    assert.equal(s.get('controller', 'host'), '[fe80::1]');
    assert.equal(s.getInt('controller', 'port'), 2222);
    s.updateFromArgs({ set: [], controller: 'other', verbose: 3 });
    assert.equal(s.get('controller', 'host'), 'other');
    assert.equal(s.getInt('controller', 'port'), 2222);
    assert.equal(s.getInt('client', 'verbosity'), 3);
  });

  it('reads values with Python\'s int/float/boolean rules and interpolation', () => {
    const s = new Settings();
    s.apply('client.request_timeout_secs= 1_0 ');
    assert.equal(s.getInt('client', 'request_timeout_secs'), 10);
    for (const [text, want] of [['yes', true], ['On', true], ['1', true], ['FALSE', false], ['off', false], ['0', false]] as const) {
      s.set('ssl', 'enable', text);
      assert.equal(s.getBoolean('ssl', 'enable'), want, text);
    }
    s.set('ssl', 'enable', 'maybe');
    assert.throws(() => s.getBoolean('ssl', 'enable'), (e: Error) => e instanceof SettingsError && /ssl\.enable must be a boolean/.test(e.message));
    s.set('client', 'peering_retry_delay_secs', '2.5e-1');
    assert.equal(s.getFloat('client', 'peering_retry_delay_secs'), 0.25);
    s.apply('paths.base=/opt/zeek');
    s.apply('paths.certs=%(base)s/certs 100%%');
    assert.equal(s.get('paths', 'certs'), '/opt/zeek/certs 100%');
    assert.throws(() => s.apply('paths.bad=50%'), /config item "paths\.bad=50%" invalid/);
    assert.throws(() => s.apply('nodot=1'), /invalid/);
    assert.throws(() => s.apply('a.b'), /invalid/);
  });

  it('reports unusable --set items, environment items and values as error lines', async () => {
    const r = await cli(['--set', 'nodot', 'show-settings'], { env: { ZEEK_CLIENT_CONFIG_SETTINGS: 'also-bad' } });
    assert.equal(r.code, 0);
    assert.equal(r.stderr, [
      'error: config item "also-bad" in ZEEK_CLIENT_CONFIG_SETTINGS invalid. Please use <section.key>=<val>.',
      'error: config item "nodot" invalid. Please use <section.key>=<val>.',
      '',
    ].join('\n'));
    const v = await cli(['--set', 'client.verbosity=lots', 'show-settings']);
    assert.equal(v.code, 1);
    assert.equal(v.stderr, 'error: setting client.verbosity must be a whole number, got "lots"\n');
    const ipv6 = await cli(['--controller', 'fe80::1', 'get-instances']);
    assert.equal(ipv6.code, 1);
    assert.equal(ipv6.stderr, 'error: IPv6 addresses must be surrounded by brackets: [<ipv6>]:<port>\n');
  });

  it('a settings file that is not .ini text is one error line; a missing one is ignored', async () => {
    const bad = path.join(dir, 'bad.cfg');
    fs.writeFileSync(bad, 'request_timeout_secs = 3\n');
    const r = await cli(['-c', bad, 'show-settings']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: cannot read settings file: .*bad\.cfg, line 1: file contains no section header before this line: "request_timeout_secs = 3"\n$/);
    const missing = await cli(['-c', path.join(dir, 'nope.cfg'), 'show-settings']);
    assert.equal(missing.code, 0);
    assert.equal(missing.stdout, DEFAULT_SETTINGS);
  });
});
