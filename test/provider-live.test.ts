// The provider's operations against a live deployment (see helpers/provider-cluster.ts):
// create, diff (no change), update (add a worker), an out-of-band deploy-config then read
// (drift seen), delete; and the failure paths: a failing node, a configuration the
// controller rejects, an unreachable controller.

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { checkInputs, ClusterInitError, zeekClusterProvider as provider } from '../provider/dynamic-provider';
import { CheckedInputs, ClusterOutputs } from '../provider/inputs';
import { ControllerClient } from '../sdk/client/controller-client';
import { configurationOf } from '../sdk/client/result-data';
import { BAD_INTERFACE, LiveCluster, startLiveCluster } from './helpers/provider-cluster';

const CLI_MAIN = path.resolve(__dirname, '../dist/cli/main.js');

function checked(news: Record<string, unknown>): CheckedInputs {
  const r = checkInputs(news);
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  return r.inputs!;
}

/** An out-of-band deployment, the way an operator would make one: `zeek-mgmt deploy-config FILE`. */
async function deployConfigOutOfBand(cluster: LiveCluster, ini: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-oob-'));
  try {
    const file = path.join(dir, 'cluster.ini');
    fs.writeFileSync(file, ini);
    const { stdout } = await promisify(execFile)(process.execPath, [CLI_MAIN, '--controller', `${cluster.host}:${cluster.port}`, 'deploy-config', file], { timeout: 20000 });
    return stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('ZeekCluster provider against a live controller', function () {
  this.timeout(30000);
  let cluster: LiveCluster;
  const controller = (): { host: string; port: number; peeringAttempts: number; peeringRetryDelaySecs: number } => ({
    host: cluster.host, port: cluster.port, peeringAttempts: 3, peeringRetryDelaySecs: 0.2,
  });
  const MINI = (): Record<string, unknown> => ({
    controller: controller(),
    nodes: {
      manager: { role: 'manager' },
      logger: { role: 'logger' },
      'worker-01': { role: 'worker', interface: 'lo' },
      'worker-02': { role: 'worker', interface: 'lo' },
    },
  });

  before(async () => {
    cluster = await startLiveCluster();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('create, diff, update, out-of-band deploy then read, delete', async () => {
    // create: stage, then deploy; outputs as the controller reports them.
    const inputs = checked(MINI());
    const created = await provider.create(inputs);
    const id = created.id;
    assert.equal(id, `127.0.0.1:${cluster.port}`);
    const outs = created.outs as ClusterOutputs;
    assert.equal(outs.deployed.id, outs.configurationId);
    assert.deepEqual(Object.keys(outs.deployed.nodes), ['logger', 'manager', 'worker-01', 'worker-02']);
    assert.equal(outs.deployed.nodes.manager.port, cluster.brokerStartPort, 'the controller auto-assigns the manager the first port');
    assert.equal(outs.deployed.nodes.logger.port, cluster.brokerStartPort + 1);
    assert.equal(outs.deployed.nodes['worker-01'].port, undefined);
    assert.equal(typeof outs.deployed.nodes['worker-01'].metrics_port, 'number');
    assert.deepEqual(outs.results, Object.fromEntries(['logger', 'manager', 'worker-01', 'worker-02'].map((n) => [n, { instance: cluster.agentName, success: true }])));
    for (const n of ['logger', 'manager', 'worker-01', 'worker-02']) {
      assert.equal(outs.nodeStatus[n]?.instance, cluster.agentName, `status of ${n}`);
      assert.ok(['RUNNING', 'PENDING'].includes(outs.nodeStatus[n].state), `${n} is ${outs.nodeStatus[n].state}`);
    }
    assert.equal(outs.nodeStatus[cluster.agentName]?.mgmt_role, 'AGENT');
    assert.deepEqual(outs.nodes, inputs.nodes, 'the outputs carry the checked inputs');

    // diff: the same program against what was deployed: no change.
    assert.deepEqual(await provider.diff(id, outs, checked(MINI())), { changes: false });

    // update: add a worker; only then is anything deployed again.
    const withWorker = MINI();
    (withWorker.nodes as Record<string, unknown>)['worker-03'] = { role: 'worker', interface: 'lo' };
    const news = checked(withWorker);
    assert.deepEqual(await provider.diff(id, outs, news), { changes: true });
    const updated = (await provider.update(id, outs, news)).outs as ClusterOutputs;
    assert.deepEqual(Object.keys(updated.deployed.nodes), ['logger', 'manager', 'worker-01', 'worker-02', 'worker-03']);
    assert.notEqual(updated.configurationId, outs.configurationId, 'a new deployment draws a new id');
    assert.equal(updated.results['worker-03']?.success, true);
    assert.deepEqual(await provider.diff(id, updated, news), { changes: false });
    // An update with nothing to change deploys nothing (the configuration id stays).
    const same = (await provider.update(id, updated, news)).outs as ClusterOutputs;
    assert.equal(same.configurationId, updated.configurationId);

    // Out of band: an operator deploys another configuration with zeek-mgmt deploy-config.
    const oob = await deployConfigOutOfBand(cluster, [
      '[manager]', 'role = manager', '', '[logger]', 'role = logger', '', '[worker-01]', 'role = worker', 'interface = lo', '',
    ].join('\n'));
    assert.match(oob, /"errors": \[\]/, oob);

    // read (refresh): the drift is seen, in outputs and in the inputs for the next diff.
    const read = await provider.read(id, updated);
    assert.equal(read.id, id);
    const props = read.props as ClusterOutputs;
    assert.deepEqual(Object.keys(props.deployed.nodes), ['logger', 'manager', 'worker-01']);
    assert.notEqual(props.configurationId, updated.configurationId);
    const readInputs = read.inputs as CheckedInputs;
    assert.deepEqual(Object.keys(readInputs.nodes), ['logger', 'manager', 'worker-01']);
    assert.deepEqual(readInputs.nodes.manager, { instance: cluster.agentName, role: 'MANAGER' }, 'ports the controller assigned stay out of the inputs');
    assert.deepEqual(readInputs.controller, updated.controller);
    assert.equal(props.nodeStatus['worker-02'], undefined);
    // The program still wants five nodes: the next preview shows the difference.
    assert.deepEqual(await provider.diff(id, props, news), { changes: true });

    // delete: deploys the empty configuration; afterwards read finds nothing.
    await provider.delete(id, props);
    const client = await ControllerClient.connect({ host: cluster.host, port: cluster.port, peeringAttempts: 3, peeringRetryDelaySecs: 0.2 });
    try {
      const deployed = configurationOf(await client.getConfiguration(true));
      assert.deepEqual({ nodes: deployed?.nodes, instances: deployed?.instances }, { nodes: [], instances: [] });
    } finally {
      await client.close();
    }
    assert.deepEqual(await provider.read(id, props), { id: '' });
  });

  it('fails create when a node fails to launch, with its stderr, keeping the resource for the next run', async () => {
    const inputs = checked({
      controller: controller(),
      nodes: {
        manager: { role: 'manager' },
        'worker-ok': { role: 'worker', interface: 'lo' },
        'worker-bad': { role: 'worker', interface: BAD_INTERFACE },
      },
    });
    const err = await provider.create(inputs).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ClusterInitError, `expected ClusterInitError, got ${err}`);
    assert.equal(err.id, `127.0.0.1:${cluster.port}`);
    assert.match(err.message, new RegExp(`node 'worker-bad' on instance '${cluster.agentName}' failed: fatal error in <params>, line 1: problem with interface ${BAD_INTERFACE}`));
    assert.doesNotMatch(err.message, /worker-ok/);
    const props = err.properties as unknown as ClusterOutputs;
    assert.equal(props.results['worker-bad'].success, false);
    assert.match(props.results['worker-bad'].stderr ?? '', /problem with interface/);
    assert.equal(props.results['worker-ok'].success, true);
    await provider.delete(err.id, props);
  });

  it('fails create with the controller\'s own message when it rejects the configuration', async () => {
    // check() cannot know the controller's Broker port (it assumes Zeek's 2150); the controller refuses a node on it.
    const port = cluster.controllerBrokerPort;
    assert.notEqual(port, 2150);
    const inputs = checked({ controller: controller(), nodes: { manager: { role: 'manager', port }, w: { role: 'worker', interface: 'lo' } } });
    await assert.rejects(provider.create(inputs), (e: Error) => {
      assert.ok(!(e instanceof ClusterInitError), 'nothing was deployed, so nothing is kept');
      assert.match(e.message, /^the controller rejected configuration [0-9a-f-]{36}:\n/);
      assert.ok(e.message.includes(`node 'manager' port ${port}/tcp conflicts with controller port`), e.message);
      return true;
    });
  });

  it('fails every operation with a clear message when the controller is unreachable', async () => {
    const inputs = checked({ ...MINI(), controller: { host: '127.0.0.1', port: 1, peeringAttempts: 1, peeringRetryDelaySecs: 0.1 } });
    await assert.rejects(provider.create(inputs), (e: Error) => /127\.0\.0\.1:1/.test(e.message));
  });
});
