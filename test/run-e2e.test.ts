// End to end: `zeek-mgmt run` (node dist/framework/run.js) with controller, agent and
// emulated nodes on free ports in a temp state dir, driven by the SDK's ControllerClient
// with the documentation's mini configurations.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { idValueOf, nodeOutputsOf, nodeStatusesOf } from '../sdk/client/result-data';
import { parseConfigurationIni } from '../sdk/config/configuration-from-ini';
import { Result } from '../sdk/model/records';
import { Configuration, NodeStatus } from '../sdk/model/schemas';
import { alive, REFERENCE, RunHandle, startRun, waitFor } from './run-support';

const DOCS = path.join(REFERENCE, 'zeek-docs/frameworks/management');

/** A documentation config; eth0 becomes lo where this machine has no eth0. */
function docConfig(file: string): Configuration {
  let text = fs.readFileSync(path.join(DOCS, file), 'utf8');
  if (!fs.existsSync('/sys/class/net/eth0')) text = text.replace(/interface = eth0/g, 'interface = lo');
  return parseConfigurationIni(text, { hostname: os.hostname() });
}

async function nodeStatuses(client: ControllerClient, instance: string): Promise<Map<string, NodeStatus>> {
  const results = await client.getNodes();
  const mine = results.find((r) => r.instance === instance);
  assert.ok(mine, `get_nodes has no result for ${instance}: ${JSON.stringify(results.map((r) => r.instance))}`);
  assert.equal(mine.success, true, `get_nodes for ${instance} failed: ${mine.error}`);
  return new Map(nodeStatusesOf(mine).map((s) => [s.node, s]));
}

function nodeResults(results: Result[]): Map<string, Result> {
  return new Map(results.filter((r) => r.node !== null).map((r) => [r.node!, r]));
}

describe('zeek-mgmt run, end to end', function () {
  this.timeout(60000);
  let run: RunHandle;
  let client: ControllerClient;
  const agentName = `agent-${os.hostname()}`;

  before(async () => {
    run = await startRun({ agentName });
    client = await ControllerClient.connect({ port: run.ports.websocket, peeringAttempts: 30, peeringRetryDelaySecs: 0.3 });
    await waitFor('the agent to check in with the controller', async () => {
      const r = await client.getInstances();
      return r.data?.type === 'vector' && r.data.value.length === 1;
    });
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    if (run) {
      const left = await run.stop();
      fs.rmSync(run.stateDir, { recursive: true, force: true });
      assert.deepEqual(left, [], `processes outlived zeek-mgmt run: ${left.join(', ')}`);
    }
  });

  it('deploys the documentation\'s mini config', async () => {
    const config = docConfig('mini-config.ini');
    assert.deepEqual(config.nodes.map((n) => n.name).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    const staged = await client.stageConfiguration(config);
    assert.equal(staged[0].success, true, JSON.stringify(staged));
    const results = await client.deploy();
    const byNode = nodeResults(results);
    assert.deepEqual([...byNode.keys()].sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    for (const [name, r] of byNode) {
      assert.equal(r.success, true, `${name}: ${r.error}`);
      assert.equal(r.instance, agentName);
    }
    for (const name of byNode.keys()) {
      for (const f of ['stdout', 'stderr']) assert.ok(fs.existsSync(path.join(run.stateDir, 'nodes', name, f)), `${name}/${f} missing`);
    }
    run.snapshot();
  });

  it('get_nodes shows four RUNNING nodes plus the agent and the controller', async () => {
    const st = await nodeStatuses(client, agentName);
    assert.deepEqual([...st.keys()].sort(), [agentName, `controller-${os.hostname()}`, 'logger', 'manager', 'worker-01', 'worker-02'].sort());
    for (const n of ['logger', 'manager', 'worker-01', 'worker-02']) {
      const s = st.get(n)!;
      assert.equal(s.state, 'RUNNING', n);
      assert.equal(s.mgmt_role, 'NONE');
      assert.ok(s.pid !== null && alive(s.pid), `${n} pid ${s.pid} is not a live process`);
      assert.ok(s.metrics_port !== null, `${n} has no metrics port`);
    }
    assert.equal(st.get('manager')!.cluster_role, 'MANAGER');
    assert.equal(st.get('logger')!.cluster_role, 'LOGGER');
    assert.equal(st.get('worker-01')!.cluster_role, 'WORKER');
    assert.ok(st.get('manager')!.port !== null && st.get('logger')!.port !== null);
    assert.equal(st.get('worker-01')!.port, null);
    const agent = st.get(agentName)!;
    assert.equal(agent.mgmt_role, 'AGENT');
    assert.equal(agent.state, 'RUNNING');
    assert.ok(agent.pid !== null && alive(agent.pid));
    const controller = st.get(`controller-${os.hostname()}`)!;
    assert.equal(controller.mgmt_role, 'CONTROLLER');
    assert.equal(controller.state, 'RUNNING');
    assert.ok(controller.pid !== null && alive(controller.pid));
  });

  it('get_id_value Cluster::node answers per node', async () => {
    const results = await client.getIdValue('Cluster::node');
    const byNode = nodeResults(results);
    assert.deepEqual([...byNode.keys()].sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    for (const [name, r] of byNode) {
      assert.equal(r.success, true, `${name}: ${r.error}`);
      assert.equal(idValueOf(r), JSON.stringify(name));
    }
    const layout = nodeResults(await client.getIdValue('Cluster::nodes', ['worker-02']));
    const nodes = JSON.parse(idValueOf(layout.get('worker-02')!)!);
    assert.deepEqual(Object.keys(nodes).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    assert.equal(nodes['worker-02'].node_type, 'Cluster::WORKER');
    assert.equal(nodes['worker-02'].manager, 'manager');
    const unknown = nodeResults(await client.getIdValue('No::such_id', ['manager']));
    assert.equal(unknown.get('manager')!.success, false);
    assert.equal(unknown.get('manager')!.error, 'unknown id');
  });

  it('restarting the manager gives it a new pid', async () => {
    const before = (await nodeStatuses(client, agentName)).get('manager')!;
    const results = await client.restart(['manager']);
    const r = nodeResults(results).get('manager');
    assert.ok(r && r.success, JSON.stringify(results));
    const after = await waitFor('the manager to run again', async () => {
      const s = (await nodeStatuses(client, agentName)).get('manager')!;
      return s.state === 'RUNNING' && s.pid !== before.pid ? s : undefined;
    });
    assert.ok(after.pid !== null && alive(after.pid));
    assert.equal(alive(before.pid!), false, 'the old manager process is still alive');
    run.snapshot();
  });

  it('an agent killed with kill -9 comes back, its nodes keep running, and the controller sees it again', async () => {
    const before = await nodeStatuses(client, agentName);
    const agentPid = before.get(agentName)!.pid!;
    const nodePids = ['logger', 'manager', 'worker-01', 'worker-02'].map((n) => before.get(n)!.pid!);
    process.kill(agentPid, 'SIGKILL');
    // Polls use a short request timeout: a request the controller relays to the dying
    // agent gets no answer until the controller's own timeout.
    const poll = await ControllerClient.connect({ port: run.ports.websocket, requestTimeoutSecs: 1.5 });
    const after = await waitFor('a new agent process reporting RUNNING nodes', async () => {
      const st = await nodeStatuses(poll, agentName);
      const a = st.get(agentName);
      const nodesRunning = ['logger', 'manager', 'worker-01', 'worker-02'].every((n) => st.get(n)?.state === 'RUNNING');
      return a && a.pid !== agentPid && nodesRunning ? st : undefined;
    }, 20000, 250).finally(() => poll.close());
    assert.equal(alive(agentPid), false);
    assert.deepEqual(['logger', 'manager', 'worker-01', 'worker-02'].map((n) => after.get(n)!.pid), nodePids, 'node pids changed');
    for (const p of nodePids) assert.ok(alive(p));
    const inst = await client.getInstances();
    assert.ok(inst.data?.type === 'vector' && inst.data.value.length === 1);
    const ids = nodeResults(await client.getIdValue('Cluster::node'));
    assert.equal(ids.size, 4);
    run.snapshot();
  });

  it('the config with a bad interface fails for that node with its stderr, while the Supervisor keeps retrying it', async () => {
    const config = docConfig('mini-config-with-error.ini');
    assert.equal(config.nodes.find((n) => n.name === 'worker-02')!.interface, 'not-a-valid-interface');
    await client.stageConfiguration(config);
    const results = await client.deploy();
    const byNode = nodeResults(results);
    const bad = byNode.get('worker-02');
    assert.ok(bad, JSON.stringify(results));
    assert.equal(bad.success, false);
    const outputs = nodeOutputsOf(bad);
    assert.ok(outputs, 'no NodeOutputs for worker-02');
    assert.equal(outputs.stderr, 'fatal error in <params>, line 1: problem with interface not-a-valid-interface (pcap_error: No such device exists (pcap_activate))');
    assert.equal(outputs.stdout, '');
    for (const n of ['logger', 'manager', 'worker-01']) assert.equal(byNode.get(n)?.success, true, n);
    assert.ok(results.some((r) => r.error === 'request timed out'), 'no "request timed out" error');
    // The Supervisor keeps restarting it, with growing delays.
    const exits = (): number => ((run.stdout() + run.stderr()).match(/node worker-02 \(pid \d+\) exited with code 1/g) ?? []).length;
    const seen = exits();
    assert.ok(seen >= 2, `worker-02 exited ${seen} time(s)`);
    await waitFor('another attempt to start worker-02', () => exits() > seen, 20000, 200);
    const delays = [...run.stdout().matchAll(/restarting node worker-02 in (\d+(?:\.\d+)?) s/g)].map((m) => Number(m[1]));
    assert.ok(delays.length >= 2 && delays[1] > delays[0], `restart delays do not grow: ${delays.join(', ')}`);
    assert.match(fs.readFileSync(path.join(run.stateDir, 'nodes/worker-02/stderr'), 'utf8'), /problem with interface not-a-valid-interface/);
  });

  it('SIGTERM stops zeek-mgmt run and every process below it', async () => {
    const below = run.snapshot();
    assert.ok(below.length >= 5, `expected controller, agent and the running nodes below run, found ${below.length}`);
    const left = await run.stop('SIGTERM');
    assert.deepEqual(left, []);
    assert.equal(run.proc.exitCode, 0, run.stderr());
    for (const p of below) assert.equal(alive(p), false, `pid ${p} survived`);
  });
});
