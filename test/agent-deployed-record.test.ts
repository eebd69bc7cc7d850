// The agent's record of the configuration its nodes run (deployed-config.json), which a
// restarted agent uses to answer a re-sent deployment with "already running": it is
// written atomically, and a record that does not describe the running nodes (left by a
// write that failed, with the same node names) is not taken for theirs.
//
// The case that matters: on a full disk the controller could not persist the deployment
// of config-b (its DEPLOYED stays config-a) and the agent could not replace its record of
// config-a. After an agent restart the controller re-sends config-a; the agent must deploy
// it, not answer "already running" with config-b's nodes. The controller's state dir is a
// tmpfs filled up for that, which needs root (skipped with the reason otherwise).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ControllerClient } from '../sdk/client/controller-client';
import { nodeStatusesOf } from '../sdk/client/result-data';
import { Configuration } from '../sdk/model/schemas';
import { miniConfig } from './helpers/controller-configs';
import { RunHandle, startRun, tempDir, waitFor } from './run-support';

const NODES = ['logger', 'manager', 'worker-01', 'worker-02'];

describe('the agent\'s deployed-config.json', function () {
  this.timeout(60000);
  let run: RunHandle | undefined;
  let client: ControllerClient | undefined;
  const agentName = `agent-${os.hostname()}`;

  const mounts: string[] = [];

  afterEach(async () => {
    await client?.close().catch(() => undefined);
    client = undefined;
    const left = run ? await run.stop() : [];
    for (const m of mounts.splice(0)) {
      if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
    }
    if (run) fs.rmSync(run.stateDir, { recursive: true, force: true });
    run = undefined;
    assert.deepEqual(left, [], `processes outlived zeek-mgmt run: ${left.join(', ')}`);
  });

  /** The mini configuration with an environment variable that tells the two apart. */
  const configWith = (id: string, value: string): Configuration => {
    const c = miniConfig(agentName, id);
    return { ...c, nodes: c.nodes.map((n) => ({ ...n, interface: n.interface === null ? null : 'lo', env: { WHICH: value } })) };
  };

  async function statuses(poll: ControllerClient): Promise<Map<string, { pid: number | null; state: string }>> {
    const mine = (await poll.getNodes()).find((r) => r.instance === agentName);
    return new Map(mine?.success ? nodeStatusesOf(mine).map((s) => [s.node, { pid: s.pid, state: s.state }]) : []);
  }

  async function deploy(c: Configuration): Promise<ReturnType<ControllerClient['deploy']>> {
    const staged = await client!.stageConfiguration(c);
    assert.equal(staged[0].success, true, staged[0].error ?? undefined);
    return client!.deploy();
  }

  it('a stale record with the same node names is not adopted after an agent restart', async function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: not root, cannot mount a tmpfs)');
      this.skip();
    }
    const stateDir = tempDir('zeek-mgmt-run-');
    const mnt = path.join(stateDir, 'controller');
    fs.mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) {
      console.log(`      (skipped: mount is not allowed here: ${m.stderr.trim()})`);
      this.skip();
    }
    mounts.push(mnt);
    run = await startRun({ agentName, stateDir });
    client = await ControllerClient.connect({ port: run.ports.websocket, peeringAttempts: 30, peeringRetryDelaySecs: 0.3, requestTimeoutSecs: 3 });
    await waitFor('the agent to check in', async () => {
      const r = await client!.getInstances();
      return r.data?.type === 'vector' && r.data.value.length === 1;
    });
    const a = configWith('config-a', 'a');
    assert.ok((await deploy(a)).every((r) => r.success));
    assert.equal((await client!.stageConfiguration(configWith('config-b', 'b')))[0].success, true);
    // The controller's disk is full: config-b runs, but config-a stays DEPLOYED.
    const filler = fs.openSync(path.join(mnt, 'filler'), 'w');
    try {
      for (;;) fs.writeSync(filler, Buffer.alloc(4096, 1));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      fs.closeSync(filler);
    }
    const resB = await client!.deploy();
    assert.match(resB.at(-1)!.error ?? '', /^could not persist the deployed configuration to .*: no space left on device$/);
    const record = path.join(run.stateDir, 'nodes', agentName, 'deployed-config.json');
    await waitFor('the record of config-b', () => fs.existsSync(record) && JSON.parse(fs.readFileSync(record, 'utf8')).id === 'config-b');
    assert.deepEqual(fs.readdirSync(path.dirname(record)).filter((f) => f.includes('.tmp-')), []);
    const running = await waitFor('config-b RUNNING', async () => {
      const st = await statuses(client!);
      return NODES.every((n) => st.get(n)?.state === 'RUNNING') ? st : undefined;
    });

    // What the agent's failed write of config-b's record would leave: config-a's record.
    fs.writeFileSync(record, JSON.stringify(a));
    const agentPid = running.get(agentName)!.pid!;
    process.kill(agentPid, 'SIGKILL');
    await waitFor('a new agent with the nodes RUNNING', async () => {
      const st = await statuses(client!);
      const ag = st.get(agentName);
      return ag && ag.pid !== agentPid && NODES.every((n) => st.get(n)?.state === 'RUNNING');
    }, 20000, 250);
    // The controller re-sends config-a (its DEPLOYED): it really gets deployed, with new
    // node processes, rather than "already running" on config-b's.
    const after = await waitFor('config-a RUNNING in new node processes', async () => {
      const st = await statuses(client!);
      return NODES.every((n) => st.get(n)?.state === 'RUNNING' && st.get(n)?.pid !== running.get(n)!.pid) ? st : undefined;
    }, 20000, 250);
    assert.equal(after.size, NODES.length + 2);
  });
});
