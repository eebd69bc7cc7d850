// Our controller's agent port (2150) with agents that peer over native Broker, as Zeek's
// agents do: an agent made of our NativePeer (test/helpers/test-agent.ts, connectNative)
// checks in over anonymous TLS (Zeek's default) or plain TCP (Broker::disable_ssl=T), and
// zeek-mgmt runs the documentation's sequence through the controller: deploy-config of
// the mini configuration, get-nodes, get-id-value, restart, get-config --deployed. A
// WebSocket agent on the same port keeps working beside it. Needs no Zeek (runs in CI);
// the same path with Zeek's own agent is test/real-zeek-agent-to-our-controller.test.ts.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentApi } from '../sdk/model/events';
import { cli, CliResult, HOST_AGENT, REFERENCE_DIR } from './cli-harness';
import { ControllerProcess, eventually, startControllerProcess } from './helpers/controller-process';
import { TestAgent } from './helpers/test-agent';

describe('controller: agents peering natively on the agent port', function () {
  this.timeout(60_000);
  let ctl: ControllerProcess;
  let mini: string;
  const agents: TestAgent[] = [];
  const z = (...args: string[]): Promise<CliResult> => cli(['--controller', `127.0.0.1:${ctl.wsPort}`, ...args], { timeoutMs: 30_000 });
  const instances = async (): Promise<Record<string, unknown>> => JSON.parse((await z('get-instances')).stdout) as Record<string, unknown>;

  before(async () => {
    ctl = await startControllerProcess({ settings: { requestTimeoutMs: 5000 } });
    mini = path.join(ctl.dir, 'mini-config.ini');
    fs.writeFileSync(mini, fs.readFileSync(path.join(REFERENCE_DIR, 'mini-config.ini'), 'utf8').replace(/eth0/g, 'lo'));
  });

  after(async () => {
    for (const a of agents.splice(0)) await a.close();
    await ctl?.stop();
    fs.rmSync(ctl.dir, { recursive: true, force: true });
  });

  for (const tls of [true, false]) {
    it(`runs deploy-config, get-nodes, get-id-value, restart and get-config --deployed with a native agent over ${tls ? 'anonymous TLS' : 'plain TCP'}`, async () => {
      const agent = await TestAgent.connectNative(ctl.agentPort, { name: HOST_AGENT, idValues: { 'Cluster::node': '"from-native"' } }, { tls });
      agents.push(agent);
      await eventually(async () => HOST_AGENT in (await instances()), 'the native agent checked in', 10_000);
      assert.ok(ctl.logEntries().some((e) => new RegExp(`native Broker peer ${agent.native!.localId.toString()} over ${tls ? 'TLS' : 'TCP'}`).test(e.message)), 'the controller logged the native peering');

      const deployed = await z('deploy-config', mini);
      assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
      const d = JSON.parse(deployed.stdout) as { errors: unknown[]; results: { id: string; nodes: Record<string, { success: boolean; instance: string }> } };
      assert.deepEqual(d.errors, []);
      assert.deepEqual(Object.keys(d.results.nodes).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
      for (const n of Object.values(d.results.nodes)) assert.deepEqual([n.success, n.instance], [true, HOST_AGENT]);
      // The deployment reached the agent over native Broker, whole.
      assert.deepEqual(agent.deployed?.nodes.map((n) => n.name).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
      assert.equal(agent.deployed?.nodes.find((n) => n.name === 'worker-02')?.interface, 'lo');

      const nodes = await z('get-nodes');
      assert.equal(nodes.code, 0, nodes.stderr);
      const byNode = (JSON.parse(nodes.stdout) as { results: Record<string, Record<string, { state: string; cluster_role?: string }>> }).results[HOST_AGENT];
      assert.deepEqual(Object.keys(byNode).sort(), [HOST_AGENT, 'logger', 'manager', 'worker-01', 'worker-02']);
      for (const n of ['logger', 'manager', 'worker-01', 'worker-02']) assert.equal(byNode[n].state, 'RUNNING', n);

      const idv = await z('get-id-value', 'Cluster::node', 'manager', 'worker-01');
      assert.equal(idv.code, 0, idv.stdout + idv.stderr);
      assert.deepEqual(JSON.parse(idv.stdout), { errors: [], results: { manager: 'from-native', 'worker-01': 'from-native' } });

      const restart = await z('restart', 'manager');
      assert.equal(restart.code, 0, restart.stdout + restart.stderr);
      assert.deepEqual(JSON.parse(restart.stdout), { errors: [], results: { manager: true } });
      assert.ok(agent.count(AgentApi.restart_request) >= 1);

      const cfg = await z('get-config', '--deployed');
      assert.equal(cfg.code, 0, cfg.stderr);
      assert.match(cfg.stdout, new RegExp(`\\[instances\\]\\n${HOST_AGENT}\\n`));
      assert.match(cfg.stdout, new RegExp(`\\[worker-02\\]\\ninstance = ${HOST_AGENT}\\nrole = WORKER\\ninterface = lo\\n`));

      await agent.close();
      agents.splice(agents.indexOf(agent), 1);
      await eventually(async () => !(HOST_AGENT in (await instances())), 'the unpeered agent is gone', 10_000);
    });
  }

  it('serves a native agent and a WebSocket agent on the same port', async () => {
    const native = await TestAgent.connectNative(ctl.agentPort, { name: 'agent-native' });
    const ws = await TestAgent.connect(ctl.agentPort, { name: 'agent-ws' });
    agents.push(native, ws);
    await eventually(async () => {
      const names = Object.keys(await instances());
      return names.includes('agent-native') && names.includes('agent-ws');
    }, 'both check-ins', 10_000);
    const two = path.join(ctl.dir, 'two.ini');
    fs.writeFileSync(two, '[instances]\nagent-native\nagent-ws\n\n[manager]\ninstance = agent-native\nrole = manager\n\n[worker-01]\ninstance = agent-ws\nrole = worker\ninterface = lo\n');
    const r = await z('deploy-config', two);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const res = JSON.parse(r.stdout) as { results: { nodes: Record<string, { instance: string; success: boolean }> } };
    assert.deepEqual(Object.fromEntries(Object.entries(res.results.nodes).map(([k, v]) => [k, [v.instance, v.success]])), { manager: ['agent-native', true], 'worker-01': ['agent-ws', true] });
    const nodes = JSON.parse((await z('get-nodes')).stdout) as { results: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(nodes.results).sort(), ['agent-native', 'agent-ws']);
  });
});
