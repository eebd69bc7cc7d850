// Persistence of the staged and deployed configurations: across a clean restart, across
// kill -9 at random moments during staging (state is the old or the new one, never
// corrupt), and start-up with a corrupt or truncated state file (reported, set aside).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { configurationOf, instancesOf } from '../sdk/client/result-data';
import { AgentApi, ControllerApi } from '../sdk/model/events';
import { configurationFromData, configurationToData } from '../sdk/model/records';
import { StateFile } from '../framework/controller/persistence';
import { bigConfig, miniConfig } from './helpers/controller-configs';
import { ControllerProcess, eventually, startControllerProcess, tempDir } from './helpers/controller-process';
import { TestAgent } from './helpers/test-agent';

async function connect(ctl: ControllerProcess): Promise<ControllerClient> {
  return ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, peeringAttempts: 5, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 10 });
}

const stateFileOf = (dir: string): string => path.join(dir, 'controller', 'state.json');

describe('controller persistence', function () {
  this.timeout(40_000);
  let ctl: ControllerProcess | undefined;
  const closers: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await ctl?.kill9();
    ctl = undefined;
  });

  it('keeps the staged and deployed configurations across a restart and re-deploys the persisted one', async () => {
    const dir = tempDir();
    ctl = await startControllerProcess({ dir });
    let c = await connect(ctl);
    let agent = await TestAgent.connect(ctl.agentPort, { name: 'agent-testbox' });
    await eventually(async () => instancesOf(await c.getInstances()).length === 1, 'check-in');
    const deployedCfg = miniConfig('agent-testbox', 'first');
    assert.equal((await c.stageConfiguration(deployedCfg))[0].success, true);
    assert.equal((await c.deploy()).at(-1)!.success, true);
    const stagedCfg = miniConfig('agent-testbox', 'second');
    assert.equal((await c.stageConfiguration(stagedCfg))[0].success, true);
    const deployedBefore = configurationOf(await c.getConfiguration(true));
    await c.close();
    await agent.close();
    await ctl.stop();

    ctl = await startControllerProcess({ dir });
    c = await connect(ctl);
    closers.push(() => c.close());
    assert.deepEqual(configurationOf(await c.getConfiguration(false)), configurationFromData(configurationToData(stagedCfg)));
    assert.deepEqual(configurationOf(await c.getConfiguration(true)), deployedBefore);
    // The persisted deployment goes out to the agent as soon as it is back.
    agent = await TestAgent.connect(ctl.agentPort, { name: 'agent-testbox' });
    closers.push(() => agent.close());
    const ev = await agent.waitFor(AgentApi.deploy_request);
    assert.equal(configurationFromData(ev.args[1]).id, 'first');
  });

  it('leaves the old or the new state after kill -9 at any moment during staging, never a corrupt one', async () => {
    const dir = tempDir();
    const big = bigConfig(3000, 20);
    let previous: string | null = null;
    for (let i = 0; i < 12; i++) {
      ctl = await startControllerProcess({ dir, settings: { logLevel: 'WARNING' } });
      const c = await connect(ctl);
      const staged = await c.getConfiguration(false);
      if (previous === null) assert.equal(staged.error, 'no staged configuration available');
      else {
        const id = configurationOf(staged)!.id;
        assert.ok(id === previous || id === `cfg-${i - 1}`, `iteration ${i}: found ${id}, expected ${previous} or cfg-${i - 1}`);
        previous = id;
      }
      assert.ok(!ctl.logEntries().some((e) => e.level === 'ERROR'), `iteration ${i}: ${JSON.stringify(ctl.logEntries())}`);
      const id = `cfg-${i}`;
      const waitForAnswer = i % 3 === 2;
      const answered = c.transact(ControllerApi.stage_configuration_request, ControllerApi.stage_configuration_response, [configurationToData({ ...big, id })]).catch(() => null);
      if (waitForAnswer) {
        // Once the client has its answer, the new state must survive a kill.
        assert.ok(await answered);
        previous = id;
      } else {
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
      }
      await ctl.kill9();
      await c.close();
      ctl = undefined;
      if (previous === null && fs.existsSync(stateFileOf(dir))) previous = JSON.parse(fs.readFileSync(stateFileOf(dir), 'utf8')).configs.STAGED.id;
      // Whatever is on disk parses.
      if (fs.existsSync(stateFileOf(dir))) JSON.parse(fs.readFileSync(stateFileOf(dir), 'utf8'));
    }
    assert.deepEqual(fs.readdirSync(path.join(dir, 'controller')).filter((f) => f.includes('corrupt')), []);
  });

  for (const [what, content] of [
    ['truncated', '{"format":"zeek-mgmt-controller-state","version":1,"configs":{"STAGED":{"id":"x","instan'],
    ['not JSON at all', '\u0000\u0001garbage'],
    ['empty', ''],
    ['of the wrong shape', '{"format":"zeek-mgmt-controller-state","version":1,"configs":{"STAGED":{"id":7}}}'],
  ] as const) {
    it(`reports a state file that is ${what}, sets it aside and starts without configurations`, async () => {
      const dir = tempDir();
      fs.mkdirSync(path.join(dir, 'controller'), { recursive: true });
      fs.writeFileSync(stateFileOf(dir), content);
      ctl = await startControllerProcess({ dir });
      const c = await connect(ctl);
      closers.push(() => c.close());
      assert.equal((await c.getConfiguration(false)).error, 'no staged configuration available');
      // The log line may reach management.log a moment after the first answer.
      await eventually(() => ctl!.logEntries().some((e) => e.level === 'ERROR'), 'the ERROR log line');
      const errors = ctl.logEntries().filter((e) => e.level === 'ERROR');
      assert.equal(errors.length, 1);
      assert.match(errors[0].message, /state file .*state\.json is unusable .*moved it to .*state\.json\.corrupt-/);
      assert.match(ctl.stderr(), /is unusable/);
      const aside = fs.readdirSync(path.join(dir, 'controller')).filter((f) => f.startsWith('state.json.corrupt-'));
      assert.equal(aside.length, 1);
      assert.equal(fs.readFileSync(path.join(dir, 'controller', aside[0]), 'utf8'), content);
      // And it works: staging writes a fresh state file.
      assert.equal((await c.stageConfiguration(miniConfig())).at(0)!.success, true);
      assert.equal(JSON.parse(fs.readFileSync(stateFileOf(dir), 'utf8')).configs.STAGED.nodes.length, 4);
    });
  }

  it('StateFile: removes temporaries a crash left behind, and coalesces bursts of writes', async () => {
    const dir = tempDir();
    const f = new StateFile(path.join(dir, 'state.json'));
    fs.writeFileSync(path.join(dir, 'state.json.tmp-123-4'), 'half a wri');
    assert.deepEqual(f.load(), { configs: {} });
    assert.deepEqual(fs.readdirSync(dir), []);
    const writes = Array.from({ length: 20 }, (_, i) => f.save({ STAGED: { ...miniConfig(), id: `c${i}` } }));
    await Promise.all(writes);
    assert.equal(new StateFile(path.join(dir, 'state.json')).load().configs.STAGED!.id, 'c19');
    assert.deepEqual(fs.readdirSync(dir), ['state.json']);
  });
});
