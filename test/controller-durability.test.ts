// A reply of success means the controller's state is on disk: with the state directory on
// a real full, read-only or vanished file system, stage-config and deploy answer with the
// error naming the state file and the reason; get-config and a restart after kill -9 both
// show what is on disk; once the file system is usable again, the next request works.
//
// The full and read-only cases mount a small tmpfs over <state_dir>/controller, which needs
// root; they are skipped (with the reason) where mounting is not allowed.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { configurationOf, instancesOf } from '../sdk/client/result-data';
import { configurationToIni } from '../sdk/config/configuration-to-ini';
import { AgentApi } from '../sdk/model/events';
import { configurationFromData } from '../sdk/model/records';
import { Configuration } from '../sdk/model/schemas';
import { cli } from './cli-harness';
import { bigConfig, miniConfig } from './helpers/controller-configs';
import { ControllerProcess, eventually, startControllerProcess, tempDir } from './helpers/controller-process';
import { TestAgent } from './helpers/test-agent';

const AGENT = 'agent-testbox';

function run(cmd: string, args: string[]): { ok: boolean; why: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, why: (r.stderr || r.stdout || String(r.error ?? r.status)).trim() };
}

/** Why tmpfs mounts are not possible here, or null when they are. */
function whyNoMount(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root, cannot mount a tmpfs';
  const probe = tempDir('zeek-mgmt-mount-probe-');
  try {
    const m = run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    if (!m.ok) return `mount is not allowed here (${m.why})`;
    run('umount', [probe]);
    return null;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** Fills the file system holding `dir` with one file until it is full; returns the file. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

describe('controller state on a full, read-only or vanished file system', function () {
  this.timeout(60_000);
  const noMount = whyNoMount();
  let ctl: ControllerProcess | undefined;
  const closers: Array<() => Promise<void>> = [];
  const mounts: string[] = [];

  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    await ctl?.kill9();
    ctl = undefined;
    for (const m of mounts.splice(0).reverse()) {
      if (!run('umount', [m]).ok) run('umount', ['-l', m]);
    }
  });

  /** A state dir whose controller/ subdirectory is a tmpfs of `size`. */
  function stateDirOnTmpfs(this: Mocha.Context, size: string): string {
    if (noMount !== null) {
      console.log(`      (skipped: ${noMount})`);
      this.skip();
    }
    const dir = tempDir();
    const mnt = path.join(dir, 'controller');
    fs.mkdirSync(mnt);
    const m = run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', mnt]);
    if (!m.ok) throw new Error(`mount of a tmpfs on ${mnt} failed: ${m.why}`);
    mounts.push(mnt);
    return dir;
  }

  const stateFileOf = (dir: string): string => path.join(dir, 'controller', 'state.json');

  async function start(dir: string): Promise<ControllerClient> {
    ctl = await startControllerProcess({ dir });
    const c = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, peeringAttempts: 5, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 20 });
    closers.push(() => c.close());
    return c;
  }

  /** kill -9 and a new controller on the same state dir. */
  async function restart(dir: string): Promise<ControllerClient> {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    await ctl!.kill9();
    return start(dir);
  }

  async function stagedId(c: ControllerClient, deployed = false): Promise<string | undefined> {
    return configurationOf(await c.getConfiguration(deployed))?.id;
  }

  async function stageOk(c: ControllerClient, config: Configuration): Promise<void> {
    const res = await c.stageConfiguration(config);
    assert.deepEqual(res.map((r) => [r.success, r.error]), [[true, null]]);
    assert.deepEqual(res[0].data, { type: 'string', value: config.id });
  }

  function assertNoTemporaries(dir: string): void {
    assert.deepEqual(fs.readdirSync(path.join(dir, 'controller')).filter((f) => f.includes('.tmp-')), []);
  }

  it('a 3,000-node stage into a 256 kB tmpfs answers "no space left on device" and keeps the old one; with space it works', async function () {
    const dir = stateDirOnTmpfs.call(this, '256k');
    let c = await start(dir);
    await stageOk(c, miniConfig(AGENT, 'small'));
    const big = bigConfig(3000, 20, 'big');

    // A stage and, before its answer, a get-config: the get-config shows the outcome.
    const [res, got] = await Promise.all([c.stageConfiguration(big), c.getConfiguration(false)]);
    const error = `could not persist the staged configuration to ${stateFileOf(dir)}: no space left on device`;
    assert.deepEqual(res.map((r) => [r.success, r.error]), [[false, error]]);
    assert.equal(configurationOf(got)?.id, 'small');
    assert.equal(await stagedId(c), 'small');
    assertNoTemporaries(dir);
    assert.ok(ctl!.logEntries().some((e) => e.level === 'ERROR' && e.message === error));

    // zeek-client's way of printing it (our zeek-client-compatible CLI).
    const ini = path.join(tempDir(), 'big.ini');
    fs.writeFileSync(ini, configurationToIni(big));
    const out = await cli(['--controller', `127.0.0.1:${ctl!.wsPort}`, 'stage-config', ini], { timeoutMs: 30_000 });
    assert.equal(out.code, 1, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { errors: [error], results: {} });

    c = await restart(dir);
    assert.equal(await stagedId(c), 'small');

    // Space comes back: the next stage works, without a restart.
    assert.ok(run('mount', ['-o', 'remount,size=16m', path.join(dir, 'controller')]).ok);
    await stageOk(c, big);
    assert.equal(await stagedId(c), 'big');
    c = await restart(dir);
    assert.equal(await stagedId(c), 'big');
    assertNoTemporaries(dir);
  });

  it('a failed write of the deployed configuration goes into the deploy response after the agents\' results; DEPLOYED stays what is on disk', async function () {
    const dir = stateDirOnTmpfs.call(this, '256k');
    let c = await start(dir);
    let agent = await TestAgent.connect(ctl!.agentPort, { name: AGENT });
    closers.push(() => agent.close());
    await eventually(async () => instancesOf(await c.getInstances()).length === 1, 'check-in');
    await stageOk(c, miniConfig(AGENT, 'first'));
    assert.deepEqual((await c.deploy()).map((r) => r.success), [true, true, true, true, true]);
    await stageOk(c, miniConfig(AGENT, 'second'));

    const filler = fill(path.join(dir, 'controller'));
    const res = await c.deploy();
    const error = `could not persist the deployed configuration to ${stateFileOf(dir)}: no space left on device`;
    // The agent deployed its four nodes, and says so; the controller's own result is the error.
    assert.deepEqual(res.slice(0, -1).map((r) => [r.instance, r.node, r.success]).sort(), [
      [AGENT, 'logger', true], [AGENT, 'manager', true], [AGENT, 'worker-01', true], [AGENT, 'worker-02', true],
    ]);
    assert.deepEqual([res.at(-1)!.success, res.at(-1)!.error, res.at(-1)!.instance], [false, error, null]);
    assert.equal(agent.deployed?.id, 'second');
    assert.equal(await stagedId(c, true), 'first');
    assert.equal(await stagedId(c), 'second');

    // A stage on the full disk fails as well, and changes nothing.
    assert.deepEqual((await c.stageConfiguration(miniConfig(AGENT, 'third'))).map((r) => r.error),
      [`could not persist the staged configuration to ${stateFileOf(dir)}: no space left on device`]);
    assert.equal(await stagedId(c), 'second');
    assertNoTemporaries(dir);

    // What a restart loads is what get-config showed; it re-deploys that to the agent.
    await agent.close();
    c = await restart(dir);
    assert.equal(await stagedId(c, true), 'first');
    assert.equal(await stagedId(c), 'second');
    agent = await TestAgent.connect(ctl!.agentPort, { name: AGENT });
    closers.push(() => agent.close());
    assert.equal(configurationFromData((await agent.waitFor(AgentApi.deploy_request)).args[1]).id, 'first');
    await eventually(async () => instancesOf(await c.getInstances()).length === 1, 'check-in after the restart');

    // Space back: the next deploy works and is what a restart loads.
    fs.rmSync(filler);
    const again = await c.deploy();
    assert.deepEqual([again.at(-1)!.success, again.at(-1)!.data], [true, { type: 'string', value: 'second' }]);
    assert.equal(await stagedId(c, true), 'second');
    await agent.close();
    c = await restart(dir);
    assert.equal(await stagedId(c, true), 'second');
  });

  it('a read-only state directory answers "read-only file system"; writable again, the next stage works', async function () {
    const dir = stateDirOnTmpfs.call(this, '1m');
    const mnt = path.join(dir, 'controller');
    let c = await start(dir);
    await stageOk(c, miniConfig(AGENT, 'before'));
    assert.ok(run('mount', ['-o', 'remount,ro', mnt]).ok);
    const res = await c.stageConfiguration(miniConfig(AGENT, 'during'));
    assert.deepEqual(res.map((r) => [r.success, r.error]), [[false, `could not persist the staged configuration to ${stateFileOf(dir)}: read-only file system`]]);
    assert.equal(await stagedId(c), 'before');
    c = await restart(dir);
    assert.equal(await stagedId(c), 'before');
    assert.ok(run('mount', ['-o', 'remount,rw', mnt]).ok);
    await stageOk(c, miniConfig(AGENT, 'after'));
    c = await restart(dir);
    assert.equal(await stagedId(c), 'after');
  });

  it('the management log on the full file system resumes once there is space', async function () {
    // Here the whole working directory (log and state) is the tmpfs.
    const dir = stateDirOnTmpfs.call(this, '256k');
    const work = path.join(dir, 'controller');
    let c = await start(work);
    await stageOk(c, miniConfig(AGENT, 'before'));
    const filler = fill(work);
    // Failing stages log until the log file's last page is full too.
    await eventually(async () => {
      assert.equal((await c.stageConfiguration(miniConfig(AGENT, 'during')))[0].success, false);
      return /cannot write .*management\.log: ENOSPC/.test(ctl!.stderr());
    }, 'the log failure on stderr', 20_000);
    fs.rmSync(filler);
    await stageOk(c, miniConfig(AGENT, 'after'));
    const lines = (): unknown[] => fs.readFileSync(path.join(work, 'management.log'), 'utf8').split('\n').flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
    // The successful stages before and after the full disk are both in the log.
    const successes = (): number => lines().filter((e) => /stage_configuration_response success/.test((e as { message: string }).message)).length;
    await eventually(() => successes() === 2, 'the log line of the later stage');
    c = await restart(work);
    assert.equal(await stagedId(c), 'after');
  });

  it('a vanished state directory answers "no such file or directory"; recreated, the next stage works', async () => {
    const dir = tempDir();
    let c = await start(dir);
    await stageOk(c, miniConfig(AGENT, 'before'));
    fs.rmSync(dir, { recursive: true, force: true });
    const res = await c.stageConfiguration(miniConfig(AGENT, 'during'));
    assert.deepEqual(res.map((r) => [r.success, r.error]), [[false, `could not persist the staged configuration to ${stateFileOf(dir)}: no such file or directory`]]);
    assert.equal(await stagedId(c), 'before');
    // It is not recreated behind the operator's back (it may be a mount point that went away).
    assert.equal(fs.existsSync(dir), false);
    fs.mkdirSync(path.join(dir, 'controller'), { recursive: true });
    await stageOk(c, miniConfig(AGENT, 'after'));
    c = await restart(dir);
    assert.equal(await stagedId(c), 'after');
  });
});
