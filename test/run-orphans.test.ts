// Even when `zeek-mgmt run` itself is killed outright (SIGKILL, no chance to clean up),
// its children notice (parent-watch, like Zeek's ParentProcessCheckTimer) and exit.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ControllerClient } from '../sdk/client/controller-client';
import { Node } from '../sdk/model/schemas';
import { alive, RunHandle, startRun, waitFor } from './run-support';

/** A client of run's controller, once the controller lists run's own agent. */
async function connectedToItsAgent(run: RunHandle): Promise<ControllerClient> {
  const client = await ControllerClient.connect({ port: run.ports.websocket, peeringAttempts: 30, peeringRetryDelaySecs: 0.3 });
  try {
    await waitFor('the agent', async () => {
      const r = await client.getInstances();
      return r.data?.type === 'vector' && r.data.value.length === 1;
    });
  } catch (err) {
    await client.close();
    throw err;
  }
  return client;
}

describe('zeek-mgmt run killed with SIGKILL', function () {
  this.timeout(30000);
  let run: RunHandle;

  after(async () => {
    if (run) {
      const left = await run.stop('SIGKILL');
      fs.rmSync(run.stateDir, { recursive: true, force: true });
      assert.deepEqual(left, []);
    }
  });

  it('leaves no orphaned controller, agent or node process behind', async () => {
    const agent = `agent-${os.hostname()}`;
    run = await startRun({ agentName: agent });
    const client = await connectedToItsAgent(run);
    try {
      const node = (name: string, role: Node['role']): Node => ({ name, instance: agent, role, state: 'RUNNING', port: null, scripts: null, options: null, interface: null, cpu_affinity: null, env: {}, metrics_port: null });
      await client.stageConfiguration({ id: 'orphans', instances: [{ name: agent, host: '127.0.0.1', listen_port: null }], nodes: [node('manager', 'MANAGER'), node('worker', 'WORKER')] });
      const results = await client.deploy();
      assert.ok(results.filter((r) => r.node !== null).every((r) => r.success), JSON.stringify(results));
    } finally {
      await client.close();
    }
    const below = run.snapshot();
    assert.ok(below.length >= 4, `expected controller, agent and two nodes, found ${below.length} processes`);
    process.kill(run.pid, 'SIGKILL');
    await waitFor('every child to exit after its Supervisor died', () => below.every((p) => !alive(p)), 10000, 200);
  });
});

describe('zeek-mgmt run whose console reader has gone', function () {
  this.timeout(30000);
  let run: RunHandle;

  after(async () => {
    if (run) {
      await run.stop('SIGKILL');
      fs.rmSync(run.stateDir, { recursive: true, force: true });
    }
  });

  // Its log lines then fail with EPIPE; that must not end the Supervisor before it has
  // stopped its nodes (real zeek nodes have no parent watch and would be left running).
  it('still stops cleanly on SIGTERM', async () => {
    const agent = `agent-${os.hostname()}`;
    run = await startRun({ agentName: agent });
    await (await connectedToItsAgent(run)).close();
    run.proc.stdout!.destroy();
    run.proc.stderr!.destroy();
    const exited = new Promise<number | null>((r) => run.proc.once('exit', (code) => r(code)));
    process.kill(run.pid, 'SIGTERM');
    assert.equal(await exited, 0);
  });
});
