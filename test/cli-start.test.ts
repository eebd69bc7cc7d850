// The package's executable (dist/cli/zeek-mgmt.js): the bundled CLI prints what the
// unbundled tsc output prints, and on Node 20 keeps V8's code cache per user and command
// (written by a run that succeeded when there is none or V8 turned it down, left alone otherwise, never trusted
// blindly: a damaged file only means compiling again), and keeps none when
// NODE_DISABLE_COMPILE_CACHE is set. Run as a program, its sh launcher starts node without
// NODE_EXTRA_CA_CERTS, which the CLI puts back (sdk/transport/extra-ca-certs.ts; that wss://
// still trusts those CAs is in cli-tls.test.ts).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { EXTRA_COMMANDS, ZEEK_CLIENT_COMMANDS } from '../cli/command-names';
import { nodeEnableCompileCache } from '../cli/compile-cache';
import { nodeDefaultCasAreBundled } from '../sdk/transport/extra-ca-certs';
import { CLI_MAIN, cli, tempDir } from './cli-harness';

const UNBUNDLED = path.resolve(__dirname, '../dist/cli/main.js');
const DIST = path.resolve(__dirname, '../dist');
const BUNDLED_COMMANDS = [...ZEEK_CLIENT_COMMANDS, ...EXTRA_COMMANDS].filter((c) => c !== 'run');

/** The modules (paths under dist/) a bundle holds: its entry, main.js, and those whose wrappers esbuild names by their paths. */
function bundledModules(bundle: string): Set<string> {
  return new Set(['dist/cli/main.js', ...[...fs.readFileSync(bundle, 'utf8').matchAll(/"(dist\/[\w./-]+\.js)"\(/g)].map((m) => m[1])]);
}

/**
 * What tsc's dist/cli/main.js requires of ours, transitively (lazy require()s too), with
 * cli.js's dispatch cut down to `command`'s module and framework/run (outside the bundles) left out.
 */
function modulesOf(command: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    const rel = path.relative(path.dirname(DIST), file).split(path.sep).join('/');
    if (seen.has(rel)) return;
    seen.add(rel);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/require\(["'](\.{1,2}\/[^"']+)["']\)/g)) {
      if (rel === 'dist/cli/cli.js' && m[1].startsWith('./commands/') && m[1] !== `./commands/${command}`) continue;
      if (/framework\/run$/.test(m[1])) continue;
      const target = path.resolve(path.dirname(file), m[1]);
      visit(fs.existsSync(`${target}.js`) ? `${target}.js` : path.join(target, 'index.js'));
    }
  };
  visit(path.join(DIST, 'cli/main.js'));
  return seen;
}
const nodeHasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe('the zeek-mgmt executable (bundled CLI)', function () {
  this.timeout(30000);
  let dir: string;

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is the bundle, and prints what the unbundled CLI prints', async () => {
    assert.equal(path.relative(path.resolve(__dirname, '..'), CLI_MAIN), path.join('dist', 'cli', 'zeek-mgmt.js'));
    const env = { XDG_CACHE_HOME: dir };
    for (const args of [['--help'], ['show-settings'], ['get-config', '-h'], ['--version'], ['no-such-command'], ['--set', 'client.verbosity=x', 'show-settings']]) {
      const bundled = await cli(args, { env });
      const unbundled = await cli(args, { env, script: UNBUNDLED });
      assert.deepEqual(bundled, unbundled, args.join(' '));
    }
  });

  it('has a bundle per command that holds what that command runs and no other command\'s modules', () => {
    const whole = bundledModules(path.join(DIST, 'cli/bundle.js'));
    for (const c of BUNDLED_COMMANDS) assert.ok(whole.has(`dist/cli/commands/${c}.js`), c);
    for (const c of BUNDLED_COMMANDS) {
      const own = bundledModules(path.join(DIST, `cli/bundle-${c}.js`));
      assert.deepEqual([...own].sort(), [...modulesOf(c)].sort(), c);
    }
    // For instance: get-instances' bundle has none of plan's, stage-config's or the parser's commands' modules.
    const gi = bundledModules(path.join(DIST, 'cli/bundle-get-instances.js'));
    assert.deepEqual([...gi].filter((f) => f.startsWith('dist/cli/commands/')), ['dist/cli/commands/get-instances.js']);
    for (const f of ['dist/cli/plan-report.js', 'dist/cli/config-input.js', 'dist/cli/drift-report.js']) assert.ok(!gi.has(f), f);
  });

  it('runs a command line whose command is not the one the loader took it for with the whole CLI, and keeps no cache for it', async () => {
    const env = { XDG_CACHE_HOME: dir };
    // `-c get-nodes`: a configuration file named like a command (there is none), the command show-settings.
    for (const args of [['-c', 'get-nodes', 'show-settings'], ['-c', 'get-nodes', '--set', 'client.verbosity=x', 'show-settings'], ['--controller', 'deploy', 'show-settings']]) {
      const bundled = await cli(args, { env });
      assert.deepEqual(bundled, await cli(args, { env, script: UNBUNDLED }), args.join(' '));
      assert.deepEqual(bundled, await cli(args, { env, throughNode: true }), args.join(' '));
    }
    const cacheDir = path.join(dir, 'zeek-mgmt');
    assert.deepEqual(fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => !f.startsWith('cli-show-settings.')) : [], []);
  });

  it('keeps a code cache per command, rewrites it only when V8 turns it down, drops older ones', async function () {
    if (nodeHasCompileCache) this.skip(); // Node's own compile cache is used there
    const cacheDir = path.join(dir, 'zeek-mgmt');
    const env = { XDG_CACHE_HOME: dir };
    const first = await cli(['show-settings'], { env });
    assert.equal(first.code, 0, first.stderr);
    const files = fs.readdirSync(cacheDir);
    assert.equal(files.length, 1, files.join(' '));
    assert.match(files[0], /^cli-show-settings\.[0-9a-f]{8}\.v\d+\.\d+\.\d+-[a-z0-9]+-\d+-\d+\.v8cache$/);
    const site = files[0].split('.')[1];
    const file = path.join(cacheDir, files[0]);
    assert.equal(fs.statSync(cacheDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const written = fs.statSync(file);
    assert.ok(written.size > 1000, `cache of ${written.size} bytes`);

    // Accepted: used as it is, not written again.
    assert.deepEqual(await cli(['show-settings'], { env }), first);
    assert.equal(fs.statSync(file).ino, written.ino, 'an accepted cache is not rewritten');

    // Damaged: V8 turns it down, the command runs all the same, and the cache is rewritten.
    fs.writeFileSync(file, Buffer.alloc(written.size, 0x5a));
    assert.deepEqual(await cli(['show-settings'], { env }), first);
    const rewritten = fs.readFileSync(file);
    assert.notDeepEqual(rewritten, Buffer.alloc(written.size, 0x5a), 'a turned-down cache is written again');

    // A cache for an earlier build of the same command and installation goes; another
    // command's stays, and so does another installation's (its bundle at another path).
    const stale = path.join(cacheDir, `cli-show-settings.${site}.v0.0.1-x64-1-1.v8cache`);
    const other = path.join(cacheDir, `cli-get-nodes.${site}.v0.0.1-x64-1-1.v8cache`);
    const elsewhere = path.join(cacheDir, `cli-show-settings.${site === '00000000' ? '00000001' : '00000000'}.v0.0.1-x64-1-1.v8cache`);
    for (const f of [stale, other, elsewhere]) fs.writeFileSync(f, 'x');
    fs.rmSync(file);
    assert.deepEqual(await cli(['show-settings'], { env }), first);
    assert.deepEqual(fs.readdirSync(cacheDir).sort(), [files[0], path.basename(other), path.basename(elsewhere)].sort());
  });

  it('writes the cache only from a run that succeeded, and not from a help text', async function () {
    if (nodeHasCompileCache) this.skip();
    const cacheDir = path.join(dir, 'zeek-mgmt');
    const env = { XDG_CACHE_HOME: dir };
    // A failed run (a bad setting: exit 1) compiles only its way to the error; a cache of
    // that, once accepted, would never be replaced by one of a whole run.
    const failed = await cli(['--set', 'client.verbosity=x', 'show-settings'], { env });
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(fs.existsSync(cacheDir), false, 'no cache from a failed run');
    const help = await cli(['show-settings', '--help'], { env });
    assert.equal(help.code, 0, help.stderr);
    assert.equal(fs.existsSync(cacheDir), false, 'no cache from a help text');
    const ok = await cli(['show-settings'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    const files = fs.readdirSync(cacheDir);
    assert.equal(files.length, 1, files.join(' '));
    // The failed run again: it uses the cache and leaves it as it is.
    const file = path.join(cacheDir, files[0]);
    const before = fs.statSync(file);
    assert.deepEqual(await cli(['--set', 'client.verbosity=x', 'show-settings'], { env }), failed);
    assert.equal(fs.statSync(file).ino, before.ino);
  });

  it('keeps no cache without a command, for run, or with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    assert.equal((await cli(['--help'], { env: { XDG_CACHE_HOME: dir } })).code, 0);
    assert.equal((await cli(['run', '--help'], { env: { XDG_CACHE_HOME: dir } })).code, 0);
    const r = await cli(['show-settings'], { env: { XDG_CACHE_HOME: dir, NODE_DISABLE_COMPILE_CACHE: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.existsSync(path.join(dir, 'zeek-mgmt')), false);
  });

  it('finds node\'s own compile cache where node has it (22.1 and later), without loading node:module on older node', () => {
    assert.equal(nodeEnableCompileCache(), (nodeModule as { enableCompileCache?: unknown }).enableCompileCache);
    for (const v of ['20.20.2', '21.7.3', '22.0.0']) assert.equal(nodeEnableCompileCache(v), undefined, v);
  });

  it('an unwritable cache directory only means no cache', async function () {
    if (nodeHasCompileCache) this.skip();
    fs.writeFileSync(path.join(dir, 'zeek-mgmt'), 'not a directory');
    const r = await cli(['show-settings'], { env: { XDG_CACHE_HOME: dir } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(r, await cli(['show-settings'], { env: { XDG_CACHE_HOME: dir }, script: UNBUNDLED }));
  });
});

describe('the zeek-mgmt executable\'s launcher and NODE_EXTRA_CA_CERTS', function () {
  this.timeout(30000);
  let dir: string;
  let probe: string;
  const caFile = (): string => {
    const f = path.join(dir, 'extra-cas.pem');
    if (!fs.existsSync(f)) fs.writeFileSync(f, tls.rootCertificates.slice(0, 2).join('\n'));
    return f;
  };

  beforeEach(() => {
    dir = tempDir();
    // What node's environment held when node started (a --require runs before any of the
    // CLI's code) and when the command ended.
    probe = path.join(dir, 'probe.js');
    fs.writeFileSync(probe, [
      "const at = () => [process.env.NODE_EXTRA_CA_CERTS ?? null, process.env.ZEEK_MGMT_DEFERRED_NODE_EXTRA_CA_CERTS ?? null];",
      'const start = at();',
      "process.on('exit', () => process.stderr.write('PROBE ' + JSON.stringify({ start, exit: at() }) + '\\n'));",
    ].join('\n'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const probed = async (args: string[], env: Record<string, string | undefined>): Promise<{ start: unknown[]; exit: unknown[]; out: string }> => {
    const r = await cli(args, { env: { XDG_CACHE_HOME: dir, NODE_OPTIONS: `--require ${probe}`, ...env } });
    assert.equal(r.code, 0, r.stderr);
    const line = /^PROBE (.*)$/m.exec(r.stderr);
    assert.ok(line, r.stderr);
    return { ...(JSON.parse(line[1]) as { start: unknown[]; exit: unknown[] }), out: r.stdout };
  };

  it('is a POSIX sh script and a node script in one: run as a program, node starts without NODE_EXTRA_CA_CERTS, and the CLI puts it back', async () => {
    assert.equal(fs.readFileSync(CLI_MAIN, 'utf8').split('\n')[0], '#!/bin/sh');
    const file = caFile();
    const launched = await probed(['show-settings'], { NODE_EXTRA_CA_CERTS: file });
    assert.deepEqual(launched.start, [null, file], 'node started without the variable, its value handed over');
    assert.deepEqual(launched.exit, [file, null], 'the variable is back for what the CLI starts, the hand-over gone');
    // Output as with node started on the bin directly (which loads the file itself).
    const direct = await cli(['show-settings'], { env: { XDG_CACHE_HOME: dir, NODE_EXTRA_CA_CERTS: file }, throughNode: true });
    assert.equal(launched.out, direct.stdout);
    // Unset or empty: nothing to hand over.
    assert.deepEqual((await probed(['show-settings'], { NODE_EXTRA_CA_CERTS: undefined })).start, [null, null]);
    assert.deepEqual((await probed(['show-settings'], { NODE_EXTRA_CA_CERTS: '' })).start, ['', null]);
  });

  it('leaves NODE_EXTRA_CA_CERTS to node for `run` and where NODE_OPTIONS picks OpenSSL\'s CA store', async () => {
    const file = caFile();
    assert.deepEqual((await probed(['run', '--help'], { NODE_EXTRA_CA_CERTS: file })).start, [file, null]);
    const r = await cli(['show-settings'], { env: { XDG_CACHE_HOME: dir, NODE_EXTRA_CA_CERTS: file, NODE_OPTIONS: `--use-openssl-ca --require ${probe}` } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(/^PROBE (.*)$/m.exec(r.stderr)![1]).start, [file, null]);
  });

  it('a NODE_EXTRA_CA_CERTS file node cannot load: node itself runs the command, and warns as it does', async () => {
    const missing = path.join(dir, 'no-such-file.pem');
    for (const args of [['--version'], ['show-settings']]) {
      const env = { XDG_CACHE_HOME: dir, NODE_EXTRA_CA_CERTS: missing };
      const launched = await cli(args, { env });
      const direct = await cli(args, { env, throughNode: true });
      assert.match(direct.stderr, /^Warning: Ignoring extra certs from `.*no-such-file\.pem`, load failed: /);
      assert.deepEqual(launched, direct, args.join(' '));
    }
  });

  it('node\'s default CAs are its bundled root certificates unless flags, NODE_USE_SYSTEM_CA or its build say otherwise', () => {
    const plain = { target_defaults: { defines: ['NODE_OPENSSL_CONF_NAME=nodejs_conf'] }, variables: {} };
    assert.equal(nodeDefaultCasAreBundled([], {}, plain), true);
    assert.equal(nodeDefaultCasAreBundled(['--use-openssl-ca'], {}, plain), false);
    assert.equal(nodeDefaultCasAreBundled([], { NODE_OPTIONS: '--max-old-space-size=100 --use-openssl-ca' }, plain), false);
    assert.equal(nodeDefaultCasAreBundled([], { NODE_OPTIONS: '--use-system-ca' }, plain), false);
    assert.equal(nodeDefaultCasAreBundled([], { NODE_USE_SYSTEM_CA: '1' }, plain), false);
    const opensslStore = { target_defaults: { defines: ['NODE_OPENSSL_CERT_STORE'] }, variables: {} };
    assert.equal(nodeDefaultCasAreBundled([], {}, opensslStore), false);
    assert.equal(nodeDefaultCasAreBundled(['--use-bundled-ca'], {}, opensslStore), true);
    assert.equal(nodeDefaultCasAreBundled([], {}, { ...plain, variables: { openssl_system_ca_path: '/etc/ssl/certs' } }), false);
    // This node, as the tests run it.
    assert.equal(typeof nodeDefaultCasAreBundled(), 'boolean');
  });
});
