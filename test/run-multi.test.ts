// Several instances on one host, as the documentation's "Multiple instances" section runs
// them: `zeek-mgmt run controller` plus two `zeek-mgmt run agent` instances, each with its
// own name, agent port and Supervisor port, connecting to the controller.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ControllerClient } from '../sdk/client/controller-client';
import { instancesOf, nodeStatusesOf } from '../sdk/client/result-data';
import { Node } from '../sdk/model/schemas';
import { allocatePorts, RunHandle, startRun, tempDir, waitFor } from './run-support';

describe('zeek-mgmt run with several instances on one host', function () {
  this.timeout(60000);
  const runs: RunHandle[] = [];
  let client: ControllerClient;
  const stateDir = tempDir('zeek-mgmt-multi-');

  before(async () => {
    const ports = await allocatePorts();
    const controllerAt = `Management::Agent::controller=[$address="127.0.0.1", $bound_port=${ports.controller}/tcp]`;
    runs.push(await startRun({ roles: ['controller'], ports, stateDir }));
    for (const name of ['agent-main', 'agent-standby']) {
      const own = await allocatePorts();
      // The documentation's invocation: its own agent port, name and Supervisor port.
      runs.push(await startRun({
        roles: ['agent'], stateDir, agentName: name,
        ports: { ...own, controller: ports.controller, websocket: ports.websocket },
        extra: [controllerAt, `Management::Agent::default_port=${own.agent}/tcp`, `Broker::default_port=${own.supervisor}/tcp`],
      }));
    }
    client = await ControllerClient.connect({ port: ports.websocket, peeringAttempts: 30, peeringRetryDelaySecs: 0.3 });
    await waitFor('both agents at the controller', async () => instancesOf(await client.getInstances()).length === 2);
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    const left = (await Promise.all(runs.reverse().map((r) => r.stop()))).flat();
    fs.rmSync(stateDir, { recursive: true, force: true });
    assert.deepEqual(left, []);
  });

  it('deploys one cluster over both agents, each running its own nodes', async () => {
    assert.deepEqual(instancesOf(await client.getInstances()).map((i) => i.name).sort(), ['agent-main', 'agent-standby']);
    const node = (name: string, instance: string, role: Node['role']): Node => ({ name, instance, role, state: 'RUNNING', port: null, scripts: null, options: null, interface: role === 'WORKER' ? 'lo' : null, cpu_affinity: null, env: {}, metrics_port: null });
    const cfg = {
      id: 'multi', instances: [{ name: 'agent-main', host: '127.0.0.1', listen_port: null }, { name: 'agent-standby', host: '127.0.0.1', listen_port: null }],
      nodes: [node('manager', 'agent-main', 'MANAGER'), node('worker-1', 'agent-main', 'WORKER'), node('worker-2', 'agent-standby', 'WORKER'), node('proxy', 'agent-standby', 'PROXY')],
    };
    assert.equal((await client.stageConfiguration(cfg))[0].success, true);
    const results = await client.deploy();
    const perNode = results.filter((r) => r.node !== null).map((r) => [r.node, r.instance, r.success]).sort();
    assert.deepEqual(perNode, [['manager', 'agent-main', true], ['proxy', 'agent-standby', true], ['worker-1', 'agent-main', true], ['worker-2', 'agent-standby', true]]);
    const byInstance = new Map((await client.getNodes()).map((r) => [r.instance, nodeStatusesOf(r)]));
    assert.deepEqual(byInstance.get('agent-main')!.map((s) => s.node).sort(), ['agent-main', 'manager', 'worker-1']);
    assert.deepEqual(byInstance.get('agent-standby')!.map((s) => s.node).sort(), ['agent-standby', 'proxy', 'worker-2']);
    for (const list of byInstance.values()) for (const s of list) assert.equal(s.state, 'RUNNING', s.node);
    assert.ok(fs.existsSync(`${stateDir}/nodes/worker-2/stdout`));
  });
});
