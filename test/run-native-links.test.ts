// The links Zeek makes with Broker::peer, between our own processes, in native Broker:
// `zeek-mgmt run controller` connecting to `zeek-mgmt run agent` (an instance given as
// host:port, the agent with Management::Agent::controller at 0.0.0.0), over Broker's
// anonymous TLS and, with Broker::disable_ssl=T, plain TCP; the agent started only after
// the controller began trying (Broker::peer retries every Management::connect_retry).
// And the other direction: the agent connecting to the controller's 2150 natively.
// Each side's log shows which wire the peering took.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { instancesOf, nodeStatusesOf } from '../sdk/client/result-data';
import { Configuration, Node } from '../sdk/model/schemas';
import { allocatePorts, RunHandle, startRun, tempDir, waitFor } from './run-support';

const node = (name: string, instance: string, role: Node['role']): Node => ({
  name, instance, role, state: 'RUNNING', port: null, scripts: null, options: null, interface: role === 'WORKER' ? 'lo' : null, cpu_affinity: null, env: {}, metrics_port: null,
});

/** Every file below `dir` whose name is `name`, read. */
function readAll(dir: string, name: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === name) out.push(fs.readFileSync(p, 'utf8'));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.join('\n');
}

describe('native Broker links between our controller and our agent (zeek-mgmt run)', function () {
  this.timeout(90000);
  const runs: RunHandle[] = [];
  const dirs: string[] = [];
  let client: ControllerClient | undefined;

  afterEach(async () => {
    await client?.close().catch(() => undefined);
    client = undefined;
    const left = (await Promise.all(runs.splice(0).reverse().map((r) => r.stop()))).flat();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    assert.deepEqual(left, []);
  });

  for (const plain of [false, true]) {
    it(`the controller connects to an agent given as host:port over ${plain ? 'plain TCP (Broker::disable_ssl=T)' : 'anonymous TLS'}, retrying until the agent is up, and deploys`, async () => {
      const ports = await allocatePorts();
      const agentPorts = await allocatePorts();
      const ctlDir = tempDir('zeek-mgmt-native-ctl-');
      const agentDir = tempDir('zeek-mgmt-native-agent-');
      dirs.push(ctlDir, agentDir);
      const ssl = plain ? ['Broker::disable_ssl=T'] : [];
      runs.push(await startRun({ roles: ['controller'], ports, stateDir: ctlDir, extra: ['Management::connect_retry=0.2 secs', 'Management::Request::timeout_interval=40 secs', ...ssl] }));
      client = await ControllerClient.connect({ port: ports.websocket, peeringAttempts: 40, peeringRetryDelaySecs: 0.3 });
      const name = 'agent-dialed';
      const cfg: Configuration = {
        id: `dialed-${plain ? 'tcp' : 'tls'}`,
        instances: [{ name, host: '127.0.0.1', listen_port: agentPorts.agent }],
        nodes: [node('manager', name, 'MANAGER'), node('worker-01', name, 'WORKER')],
      };
      assert.equal((await client.stageConfiguration(cfg)).every((r) => r.success), true);
      // Deploying makes the controller peer with the configuration's instances.
      const deploying = client.deploy();
      // The controller now tries the agent's port, where no agent listens yet: a stand-in
      // takes the attempt and drops it, then the port is free again for the agent.
      await new Promise<void>((resolve, reject) => {
        const standIn = net.createServer((sock) => {
          sock.destroy();
          clearTimeout(timer);
          standIn.close(() => resolve());
        });
        const timer = setTimeout(() => standIn.close(() => reject(new Error('the controller never tried the agent\'s port'))), 30000);
        standIn.once('error', reject);
        standIn.listen(agentPorts.agent, '127.0.0.1');
      });
      runs.push(await startRun({
        roles: ['agent'], agentName: name, stateDir: agentDir, ports: { ...agentPorts, controller: ports.controller, websocket: ports.websocket },
        extra: ['Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]', ...ssl],
      }));
      const results = await deploying;
      assert.deepEqual(instancesOf(await client.getInstances()), [{ name, host: '127.0.0.1', listen_port: agentPorts.agent }]);
      assert.equal(results.every((r) => r.success), true, JSON.stringify(results));
      const nodes = await waitFor('both nodes running', async () => {
        const r = (await client!.getNodes()).find((x) => x.instance === name);
        const st = r ? nodeStatusesOf(r) : [];
        return ['manager', 'worker-01'].every((n) => st.some((s) => s.node === n && s.state === 'RUNNING')) ? st : null;
      }, 30000, 300);
      assert.ok(nodes.length >= 2);
      // The agent's port saw a native peering, over the wire asked for.
      const agentOut = readAll(agentDir, 'stdout') + readAll(agentDir, 'stderr');
      assert.match(agentOut, new RegExp(`native Broker peer [0-9a-f-]{36} over ${plain ? 'TCP' : 'TLS'}`), agentOut);
    });
  }

  it('the agent connects to the controller\'s Broker port natively (TLS) and checks in with the id of that peering', async () => {
    const ports = await allocatePorts();
    const dir = tempDir('zeek-mgmt-native-up-');
    dirs.push(dir);
    runs.push(await startRun({ roles: ['controller'], ports, stateDir: dir }));
    runs.push(await startRun({
      roles: ['agent'], agentName: 'agent-dialing', stateDir: dir, ports: { ...(await allocatePorts()), controller: ports.controller, websocket: ports.websocket },
      extra: [`Management::Agent::controller=[$address="127.0.0.1", $bound_port=${ports.controller}/tcp]`],
    }));
    client = await ControllerClient.connect({ port: ports.websocket, peeringAttempts: 40, peeringRetryDelaySecs: 0.3 });
    await waitFor('the agent at the controller', async () => instancesOf(await client!.getInstances()).some((i) => i.name === 'agent-dialing'), 30000, 200);
    const log = readAll(dir, 'management.log');
    const peered = /agent port: native Broker peer ([0-9a-f-]{36}) over TLS/.exec(log);
    assert.ok(peered, log);
    // notify_agent_hello names the endpoint id the agent peered with, as Zeek's controller requires.
    assert.match(log, new RegExp(`rx Management::Agent::API::notify_agent_hello agent-dialing ${peered[1]} T`));
  });
});
