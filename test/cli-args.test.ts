// The command line as zeek-client's argparse defines it: help (compared with the
// transcript), per-command usage, argparse's errors (exit 2), --version, logging flags.

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArgumentError, ArgumentParser, HelpRequested, wrapText } from '../cli/argparse';
import { createParser } from '../cli/parser';
import { CLI_MAIN, cli, freePort, tempDir, transcriptOutput } from './cli-harness';

const CONFIG_FILE = '/usr/local/zeek/etc/zeek-client.cfg';

describe('zeek-mgmt command line', () => {
  let dir: string;
  let zeekClient: string;

  before(() => {
    dir = tempDir();
    zeekClient = path.join(dir, 'zeek-client');
    fs.symlinkSync(CLI_MAIN, zeekClient);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('run as zeek-client, --help is the transcript\'s, byte for byte', async () => {
    const r = await cli(['--help'], { script: zeekClient });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, transcriptOutput('zeek-client-help.console'));
  });

  it('run as zeek-mgmt, --help lists plan, apply, drift, diag and run as well', async () => {
    const r = await cli(['-h']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: zeek-mgmt \[-h\] \[-c FILE\] \[--controller HOST:PORT\]\n {17}\[--set SECTION\.KEY=VAL\] \[--quiet \| --verbose\] \[--version\]\n {17}\{deploy,.*,test-timeout,plan,apply,drift,diag,run\}\n {17}\.\.\.\n/);
    assert.match(r.stdout, /\n {4}plan {16}Show what deploying a cluster configuration would\n/);
    assert.match(r.stdout, /See `zeek-mgmt <command> -h` for per-command usage/);
  });

  it('per-command help is argparse\'s layout', async () => {
    const getConfig = await cli(['get-config', '-h'], { script: zeekClient });
    assert.equal(getConfig.code, 0);
    assert.equal(getConfig.stdout, [
      'usage: zeek-client get-config [-h] [--filename FILE] [--as-json]',
      '                              [--deployed | --staged]',
      '',
      'options:',
      '  -h, --help            show this help message and exit',
      '  --filename FILE, -f FILE',
      '                        Output file for the configuration, default stdout',
      '  --as-json             Report in JSON instead of INI-style config file',
      '  --deployed            Return deployed configuration',
      '  --staged              Return staged configuration (default)',
      '',
    ].join('\n'));
    const idValue = await cli(['get-id-value', '--help'], { script: zeekClient });
    assert.equal(idValue.stdout, [
      'usage: zeek-client get-id-value [-h] IDENTIFIER [NODES ...]',
      '',
      'positional arguments:',
      '  IDENTIFIER  Name of the Zeek script identifier to retrieve.',
      '  NODES       Name(s) of Zeek cluster nodes to query. When omitted, queries',
      '              all nodes.',
      '',
      'options:',
      '  -h, --help  show this help message and exit',
      '',
    ].join('\n'));
  });

  it('argparse errors: usage and "prog: error: ..." on stderr, exit 2', async () => {
    const cases: Array<[string[], string, string]> = [
      [['--configfile'], 'usage: zeek-client [-h]', 'zeek-client: error: argument -c/--configfile: expected one argument'],
      [['-q', '-v', 'get-nodes'], 'usage: zeek-client [-h]', 'zeek-client: error: argument --verbose/-v: not allowed with argument --quiet/-q'],
      [['--c', 'x', 'get-nodes'], 'usage: zeek-client [-h]', 'zeek-client: error: ambiguous option: --c could match --configfile, --controller'],
      [['get-instances', '--bogus'], 'usage: zeek-client [-h]', 'zeek-client: error: unrecognized arguments: --bogus'],
      [['deploy-config'], 'usage: zeek-client deploy-config [-h] FILE', 'zeek-client deploy-config: error: the following arguments are required: FILE'],
      [['get-config', '--deployed', '--staged'], 'usage: zeek-client get-config [-h]', 'zeek-client get-config: error: argument --staged: not allowed with argument --deployed'],
      [['--version=yes'], 'usage: zeek-client [-h]', "zeek-client: error: argument --version: ignored explicit argument 'yes'"],
      [['bogus'], 'usage: zeek-client [-h]', "zeek-client: error: argument command: invalid choice: 'bogus' (choose from 'deploy', 'deploy-config', 'get-config', 'get-id-value', 'get-instances', 'get-nodes', 'monitor', 'restart', 'stage-config', 'show-settings', 'test-timeout')"],
    ];
    for (const [args, usage, error] of cases) {
      const r = await cli(args, { script: zeekClient });
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith(usage), `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.endsWith(`\n${error}\n`), `${args.join(' ')}: ${r.stderr}`);
    }
  });

  it('plan, apply and drift: a usage error exits 1, not 2 (which CI reads as "changes" or "drifted")', async () => {
    const fmt = await cli(['drift', '--format', 'md']);
    assert.equal(fmt.code, 1);
    assert.equal(fmt.stderr, "usage: zeek-mgmt drift [-h] [--strict] [--format FORMAT] [FILE]\nzeek-mgmt drift: error: argument --format: invalid choice: 'md' (choose from 'json', 'markdown')\n");
    const cases: Array<[string[], string]> = [
      [['plan'], 'zeek-mgmt plan: error: the following arguments are required: FILE'],
      [['apply'], 'zeek-mgmt apply: error: the following arguments are required: FILE'],
      [['--controller', '127.0.0.1:1', 'plan', '--bogus', 'x.ini'], 'zeek-mgmt: error: unrecognized arguments: --bogus'],
      [['-c', 'none.cfg', 'apply', 'a.ini', 'b.ini'], 'zeek-mgmt: error: unrecognized arguments: b.ini'],
      [['drift', '--json'], 'zeek-mgmt: error: unrecognized arguments: --json'],
    ];
    for (const [args, error] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.endsWith(`\n${error}\n`), `${args.join(' ')}: ${r.stderr}`);
    }
    // zeek-client's commands keep argparse's 2, also when run as zeek-mgmt.
    assert.equal((await cli(['deploy-config'])).code, 2);
    assert.equal((await cli(['get-config', '--bogus'])).code, 2);
  });

  it('plan, apply and drift fail at once on a refused connection; zeek-client\'s commands, and ours when asked, retry it', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const file = path.resolve(__dirname, '../examples/clusters/mini.ini');
    const refused = `error: socket error in connect() with controller ${closed}: connection refused\n`;
    for (const args of [['plan', file], ['apply', file], ['drift']]) {
      const r = await cli(['--controller', closed, '--set', 'client.peering_retry_delay_secs=0.05', ...args]);
      assert.equal(r.code, 1, args[0]);
      assert.equal(r.stderr, refused, args[0]);
    }
    const retried = `error: websocket connection to ${closed} timed out in connect() (3 attempts, last: connection refused)\n`;
    const theirs = await cli(['--controller', closed, '--set', 'client.peering_retry_delay_secs=0.05', '--set', 'client.peering_attempts=3', 'get-instances']);
    assert.equal(theirs.stderr, retried);
    const asked = await cli(['--controller', closed, '--set', 'client.peering_retry_delay_secs=0.05', '--set', 'client.peering_attempts=3', 'plan', file]);
    assert.equal(asked.stderr, retried);
    const byDefault = await cli(['--controller', closed, '--set', 'client.peering_retry_delay_secs=0.05', 'get-instances']);
    assert.match(byDefault.stderr, /\(10 attempts, last: connection refused\)\n$/, 'zeek-client\'s default of 10 attempts');
  });

  it('plan, apply and drift -h list their exit codes', async () => {
    for (const [cmd, line] of [['plan', '  2  changes to deploy'], ['apply', '  0  deployed, or no changes and nothing deployed'], ['drift', '  2  drifted']]) {
      const r = await cli([cmd, '-h']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /\nexit status:\n/, cmd);
      assert.ok(r.stdout.includes(line), `${cmd}: ${r.stdout}`);
      assert.ok(r.stdout.includes('1  error (also a usage error)') || r.stdout.includes('(also a usage error)'), cmd);
    }
  });

  it('parses as argparse does: abbreviations, combined flags, -oVALUE, --opt=value, "--"', () => {
    const p = createParser({ prog: 'zeek-client', configFile: CONFIG_FILE, controller: '127.0.0.1:2149' });
    assert.deepEqual(p.parse(['-vvv', '--contr=h:1', '--set', 'a.b=c', '--set=d.e=f', '-cFILE', 'get-config', '--as', '--de', '-fout']), {
      configfile: 'FILE', controller: 'h:1', set: ['a.b=c', 'd.e=f'], quiet: false, verbose: 3, version: false,
      command: 'get-config', filename: 'out', as_json: true, deployed: true,
    });
    const ns = p.parse(['get-id-value', 'Foo::bar', '--', '-n1', 'n2']);
    assert.equal(ns.id, 'Foo::bar');
    assert.deepEqual(ns.nodes, ['-n1', 'n2']);
    assert.equal(p.parse(['restart']).command, 'restart');
    assert.deepEqual(p.parse(['restart']).nodes, []);
    assert.equal(p.parse(['get-id-value', '-5']).id, '-5', 'negative numbers are positionals');
    assert.deepEqual(p.parse(['run', 'controller', 'X=1', '--help']).args, ['controller', 'X=1', '--help'], 'run passes its arguments through');
    assert.throws(() => p.parse(['-h', 'bogus']), (e: Error) => e instanceof HelpRequested);
    assert.throws(() => p.parse(['get-nodes', '-h']), (e: Error) => e instanceof HelpRequested && e.parser.prog === 'zeek-client get-nodes');
    assert.throws(() => p.parse(['get-config', '-f']), (e: Error) => e instanceof ArgumentError && e.message === 'argument --filename/-f: expected one argument');
  });

  it('wraps help text like textwrap: at spaces, after hyphens between letters, long words split', () => {
    assert.deepEqual(wrapText('See `zeek-client <command> -h` for per-command usage info.', 54), ['See `zeek-client <command> -h` for per-command usage', 'info.']);
    assert.deepEqual(wrapText('a well-known zeek-client', 10), ['a well-', 'known', 'zeek-', 'client']);
    assert.deepEqual(wrapText('abcdefghijkl', 5), ['abcde', 'fghij', 'kl']);
    // At 40 columns argparse puts help at column 20 (width - 20).
    const p = new ArgumentParser({ prog: 'x', width: 40 });
    p.addOption({ flags: ['--long-option-name'], metavar: 'VALUE', help: 'A help text long enough to be wrapped twice over here.' });
    assert.equal(p.formatHelp(), [
      'usage: x [-h] [--long-option-name VALUE]',
      '',
      'options:',
      '  -h, --help        show this help',
      '                    message and exit',
      '  --long-option-name VALUE',
      '                    A help text long',
      '                    enough to be wrapped',
      '                    twice over here.',
      '',
    ].join('\n'));
  });

  it('--version prints the package version; no command is an error (exit 1)', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')) as { version: string };
    const v = await cli(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout, `${pkg.version}\n`);
    const none = await cli([]);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, 'error: please provide a command to execute.\n');
    const quiet = await cli(['-q']);
    assert.equal(quiet.code, 1);
    assert.equal(quiet.stderr, '', '-q suppresses even errors, as in zeek-client');
    const rich = await cli(['--set', 'client.rich_logging_format=true']);
    assert.match(rich.stderr, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d error    please provide a command to execute\.\n$/);
  });

  it('--version, help and show-settings load none of ws, zod and lossless-json, get-instances none of them nor node:crypto', async () => {
    const probe = path.join(dir, 'probe.js');
    // The packages from node_modules, and which of node's crypto and tls modules, a run loaded.
    fs.writeFileSync(probe, "process.on('exit', () => { const m = new Set(); for (const k of Object.keys(require.cache)) { const i = k.lastIndexOf('node_modules/'); if (i >= 0) m.add(k.slice(i + 13).split('/')[0]); } const b = process.moduleLoadList.filter((x) => x === 'NativeModule crypto' || x === 'NativeModule tls').map((x) => x.split(' ')[1]); process.stderr.write('PACKAGES ' + [...m].sort().join(',') + '\\nBUILTINS ' + b.sort().join(',') + '\\n'); });\n");
    const loaded = async (args: string[]): Promise<{ packages: string; builtins: string }> => {
      const r = await new Promise<string>((resolve, reject) => {
        // Exit codes do not matter here (get-instances below fails to connect); the package list does.
        execFile(process.execPath, ['-r', probe, CLI_MAIN, ...args], (err, _out, stderr) => (err && typeof err.code !== 'number' ? reject(err) : resolve(stderr)));
      });
      return { packages: (/^PACKAGES (.*)$/m.exec(r) as RegExpExecArray)[1], builtins: (/^BUILTINS (.*)$/m.exec(r) as RegExpExecArray)[1] };
    };
    const packages = async (args: string[]): Promise<string> => (await loaded(args)).packages;
    assert.equal(await packages(['--version']), '');
    assert.equal(await packages(['-q', '--version']), '');
    assert.equal(await packages(['--help']), '');
    assert.equal(await packages(['show-settings']), '');
    // Commands that talk to the controller load none of them either since the client has
    // its own WebSocket (sdk/transport/websocket-socket.ts) and checks envelopes without
    // zod; reading a JSON configuration does load zod, which shows that the probe works.
    const getInstances = await loaded(['--controller', ':1', '--set', 'client.peering_attempts=1', '-q', 'get-instances']);
    assert.equal(getInstances.packages, '');
    // Nor node:crypto (random bytes come from sdk/transport/random.ts) or node:tls (ws:// only).
    assert.equal(getInstances.builtins, '', 'get-instances over ws:// loads node:crypto or node:tls');
    // The probe sees them where they load: wss:// loads node:tls.
    assert.match((await loaded(['--controller', '127.0.0.1:1', '--set', 'client.peering_attempts=1', '--set', 'ssl.enable=true', '-q', 'get-instances'])).builtins, /(^|,)tls(,|$)/);
    const json = path.join(dir, 'config.json');
    fs.writeFileSync(json, '{"id": "x", "instances": [], "nodes": []}');
    assert.match(await packages(['--controller', ':1', '--set', 'client.peering_attempts=1', '-q', 'stage-config', json]), /(^|,)zod(,|$)/, 'the JSON configuration reader does load zod');
  });
});
