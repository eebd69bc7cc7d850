// Zeek's automatic Broker and metrics port assignment (sdk/ports), and the controller
// applying it when staging (visible in the deployed configuration).

import { strict as assert } from 'node:assert';
import { ControllerClient } from '../sdk/client/controller-client';
import { configurationOf, instancesOf } from '../sdk/client/result-data';
import { Configuration } from '../sdk/model/schemas';
import { assignBrokerPorts, assignMetricsPorts, assignPorts, PortAssignmentError } from '../sdk/ports';
import { instance, miniConfig, node } from './helpers/controller-configs';
import { ControllerProcess, eventually, startControllerProcess } from './helpers/controller-process';
import { TestAgent } from './helpers/test-agent';

const ports = (c: Configuration): Record<string, [number | null, number | null]> =>
  Object.fromEntries(c.nodes.map((n) => [n.name, [n.port, n.metrics_port]]));

describe('port auto-assignment', () => {
  it('gives the documentation\'s mini config manager 2200, logger 2201, workers no Broker port', () => {
    const r = assignPorts(miniConfig());
    assert.deepEqual(ports(r.config), { manager: [2200, 9000], logger: [2201, 9001], 'worker-01': [null, 9002], 'worker-02': [null, 9003] });
    assert.deepEqual(r.assigned.filter((a) => a.field === 'port'), [{ node: 'manager', field: 'port', port: 2200 }, { node: 'logger', field: 'port', port: 2201 }]);
  });

  it('orders by instance, then manager, loggers, proxies, then name; counts Broker ports across instances', () => {
    const c: Configuration = {
      id: 'x',
      instances: [instance('b', '10.0.0.2'), instance('a', '10.0.0.1')],
      nodes: [
        node('p-z', 'a', 'PROXY'), node('p-a', 'a', 'PROXY'), node('log-2', 'a', 'LOGGER'), node('log-1', 'a', 'LOGGER'),
        node('mgr', 'b', 'MANAGER'), node('proxy-b', 'b', 'PROXY'), node('w', 'a', 'WORKER'),
      ],
    };
    const r = assignBrokerPorts(c);
    assert.deepEqual(r.assigned.map((a) => `${a.node}=${a.port}`), ['log-1=2200', 'log-2=2201', 'p-a=2202', 'p-z=2203', 'mgr=2204', 'proxy-b=2205']);
    // Nodes keep their order, the input is untouched.
    assert.deepEqual(r.config.nodes.map((n) => n.name), c.nodes.map((n) => n.name));
    assert.equal(c.nodes[0].port, null);
  });

  it('keeps explicit ports and skips them, and every agent listening port, when counting', () => {
    const c: Configuration = {
      id: 'x',
      instances: [instance('a', '10.0.0.1', 2201), instance('b', '10.0.0.2')],
      nodes: [node('manager', 'a', 'MANAGER', { port: 2203 }), node('logger', 'a', 'LOGGER'), node('proxy1', 'a', 'PROXY'), node('proxy2', 'b', 'PROXY'), node('proxy3', 'b', 'PROXY', { port: 2200 })],
    };
    assert.deepEqual(Object.fromEntries(Object.entries(ports(assignBrokerPorts(c, 2200).config)).map(([k, v]) => [k, v[0]])), {
      manager: 2203, logger: 2202, proxy1: 2204, proxy2: 2205, proxy3: 2200,
    });
  });

  it('counts metrics ports per host, including workers, skipping Broker, agent and explicit metrics ports on that host', () => {
    const c: Configuration = {
      id: 'x',
      instances: [instance('a', '10.0.0.1', 9001), instance('b', '10.0.0.2'), instance('c', '10.0.0.1')],
      nodes: [
        node('manager', 'a', 'MANAGER', { port: 9002 }), node('w1', 'a', 'WORKER'), node('w2', 'a', 'WORKER', { metrics_port: 9004 }),
        node('w3', 'a', 'WORKER'), node('wb', 'b', 'WORKER'), node('wc', 'c', 'WORKER'), node('lc', 'c', 'LOGGER'),
      ],
    };
    const r = assignMetricsPorts(c);
    // Host 10.0.0.1 (instances a and c): 9001 agent, 9002 manager's Broker port, 9004 explicit.
    assert.deepEqual(Object.fromEntries(Object.entries(ports(r.config)).map(([k, v]) => [k, v[1]])), {
      manager: 9000, w1: 9003, w2: 9004, w3: 9005, lc: 9006, wc: 9007, wb: 9000,
    });
  });

  it('can be turned off per kind, and uses the configured start ports', () => {
    const c = miniConfig();
    assert.deepEqual(ports(assignPorts(c, { autoAssignBrokerPorts: false }).config).manager, [null, 9000]);
    assert.deepEqual(ports(assignPorts(c, { autoAssignMetricsPorts: false }).config).manager, [2200, null]);
    assert.deepEqual(ports(assignPorts(c, { autoAssignBrokerStartPort: 4000, autoAssignMetricsStartPort: 5000 }).config).logger, [4001, 5001]);
  });

  it('fails clearly when it runs out of ports', () => {
    const c: Configuration = { id: 'x', instances: [instance('a')], nodes: [node('m', 'a', 'MANAGER'), node('l', 'a', 'LOGGER', { port: 65535 })] };
    assert.throws(() => assignBrokerPorts(c, 65535), PortAssignmentError);
  });
});

describe('controller port assignment on staging', function () {
  this.timeout(15_000);
  let ctl: ControllerProcess;
  let c: ControllerClient;
  let agent: TestAgent;

  afterEach(async () => {
    await c?.close();
    await agent?.close();
    await ctl?.stop();
  });

  async function setup(settings: Record<string, unknown>): Promise<void> {
    ctl = await startControllerProcess({ settings });
    c = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, peeringAttempts: 3, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 5 });
    agent = await TestAgent.connect(ctl.agentPort, { name: 'agent-testbox' });
    await eventually(async () => instancesOf(await c.getInstances()).length === 1, 'agent check-in');
  }

  it('deploys the mini config with manager 2200, logger 2201 and explicit ports kept', async () => {
    await setup({});
    const config = miniConfig();
    config.nodes.push(node('proxy', 'agent-testbox', 'PROXY', { port: 2200, metrics_port: 9001 }));
    assert.equal((await c.stageConfiguration(config))[0].success, true);
    assert.equal((await c.deploy()).at(-1)!.success, true);
    assert.deepEqual(ports(configurationOf(await c.getConfiguration(true))!), {
      logger: [2202, 9002], manager: [2201, 9000], proxy: [2200, 9001], 'worker-01': [null, 9003], 'worker-02': [null, 9004],
    });
  });

  it('honours the settings that turn assignment off and move the start ports', async () => {
    await setup({ 'Management::Controller::auto_assign_metrics_ports': false, 'Management::Controller::auto_assign_broker_start_port': '3000/tcp' });
    assert.equal((await c.stageConfiguration(miniConfig())).at(0)!.success, true);
    await c.deploy();
    assert.deepEqual(ports(configurationOf(await c.getConfiguration(true))!), {
      logger: [3001, null], manager: [3000, null], 'worker-01': [null, null], 'worker-02': [null, null],
    });
  });
});
