// The package's executable (dist/cli/zeek-mgmt.js): the bundled CLI prints what the
// unbundled tsc output prints, and on Node 20 keeps V8's code cache per user and command
// (written when there is none or V8 turned it down, left alone otherwise, never trusted
// blindly: a damaged file only means compiling again), and keeps none when
// NODE_DISABLE_COMPILE_CACHE is set.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as path from 'node:path';
import { CLI_MAIN, cli, tempDir } from './cli-harness';

const UNBUNDLED = path.resolve(__dirname, '../dist/sdk/cli/main.js');
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

  it('keeps a code cache per command, rewrites it only when V8 turns it down, drops older ones', async function () {
    if (nodeHasCompileCache) this.skip(); // Node's own compile cache is used there
    const cacheDir = path.join(dir, 'zeek-mgmt');
    const env = { XDG_CACHE_HOME: dir };
    const first = await cli(['show-settings'], { env });
    assert.equal(first.code, 0, first.stderr);
    const files = fs.readdirSync(cacheDir);
    assert.equal(files.length, 1, files.join(' '));
    assert.match(files[0], /^cli-show-settings\.v\d+\.\d+\.\d+-[a-z0-9]+-\d+-\d+\.v8cache$/);
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

    // A cache for an earlier build of the same command goes; another command's stays.
    const stale = path.join(cacheDir, 'cli-show-settings.v0.0.1-x64-1-1.v8cache');
    const other = path.join(cacheDir, 'cli-get-nodes.v0.0.1-x64-1-1.v8cache');
    fs.writeFileSync(stale, 'x');
    fs.writeFileSync(other, 'x');
    fs.rmSync(file);
    assert.deepEqual(await cli(['show-settings'], { env }), first);
    assert.deepEqual(fs.readdirSync(cacheDir).sort(), [files[0], path.basename(other)].sort());
  });

  it('keeps no cache without a command, for run, or with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    assert.equal((await cli(['--help'], { env: { XDG_CACHE_HOME: dir } })).code, 0);
    assert.equal((await cli(['run', '--help'], { env: { XDG_CACHE_HOME: dir } })).code, 0);
    const r = await cli(['show-settings'], { env: { XDG_CACHE_HOME: dir, NODE_DISABLE_COMPILE_CACHE: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.existsSync(path.join(dir, 'zeek-mgmt')), false);
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
