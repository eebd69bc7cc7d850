// Program tests of the examples with pulumi.runtime.setMocks: the resources the programs
// register, their inputs (nodes keyed by name, the controller from stack configuration,
// the passphrase kept secret), and that the serialized provider Pulumi would ship accepts
// them. The mock engine does what the real one does before it deploys anything: it loads
// the provider from the resource's `__provider` text and runs its check; it then answers
// with outputs built from the checked inputs (there is no controller behind a mock).

import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Pulumi from '@pulumi/pulumi';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pulumi = require('@pulumi/pulumi') as typeof Pulumi;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireFromString = require('require-from-string') as (code: string) => { handler: () => Record<string, (...a: unknown[]) => Promise<Record<string, unknown>>> };

const TYPE = 'pulumi-nodejs:dynamic/zeek-mgmt:ZeekCluster';
const AGENT = `agent-${os.hostname() || 'localhost'}`;

interface Registered {
  name: string;
  type: string;
  inputs: Record<string, unknown>;
  checked: Record<string, unknown>;
}

let registered: Registered[] = [];
let mockErrors: Error[] = [];

const SECRET_SIG = '4dabf18193072939515e22adb298388d';

/** Secrets reach a provider that does not accept them (the dynamic provider) unwrapped; the mock monitor hands them over wrapped. */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

async function useMocks(config: Record<string, string> = {}, secretKeys: string[] = []): Promise<void> {
  registered = [];
  mockErrors = [];
  pulumi.runtime.setAllConfig(config, secretKeys);
  await pulumi.runtime.setMocks({
    async newResource(args) {
      if (args.type !== TYPE) return { id: `${args.name}-id`, state: args.inputs };
      const text = args.inputs.__provider;
      assert.equal(typeof text, 'string', 'the resource carries its serialized provider');
      const provider = requireFromString(text as string).handler();
      const r = await provider.check({}, unwrapSecrets(args.inputs)) as { inputs: Record<string, unknown>; failures?: Array<{ property: string; reason: string }> };
      if (r.failures && r.failures.length > 0) {
        const err = new Error(`check failed: ${r.failures.map((f) => f.reason).join('; ')}`);
        mockErrors.push(err);
        throw err;
      }
      registered.push({ name: args.name, type: args.type, inputs: args.inputs, checked: r.inputs });
      const checked = r.inputs as { instances: object; nodes: object };
      return {
        id: '127.0.0.1:2149',
        state: { ...r.inputs, configurationId: 'mock-config', deployed: { id: 'mock-config', instances: checked.instances, nodes: checked.nodes }, results: {}, nodeStatus: {} },
      };
    },
    call: (args) => args.inputs,
  }, 'zeek-mgmt', 'test', false);
}

/** The output's value; fails with the mock engine's errors rather than waiting forever. */
function valueOf<T>(o: Pulumi.Output<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`output never resolved: ${mockErrors.map((e) => e.message).join('; ') || 'no error recorded'}`)), 5000);
    o.apply((v) => { clearTimeout(timer); resolve(v); return v; });
  });
}

function isSecret<T>(o: Pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(o);
}

describe('ZeekCluster programs (pulumi.runtime.setMocks)', function () {
  this.timeout(20000);

  it('mini: one ZeekCluster whose nodes are a map keyed by node name, controller defaulted', async () => {
    await useMocks();
    const { miniCluster } = await import('../examples/mini');
    const cluster = miniCluster();
    assert.deepEqual(await valueOf(cluster.deployed.apply((d) => Object.keys(d.nodes))), ['logger', 'manager', 'worker-01', 'worker-02']);
    assert.equal(registered.length, 1);
    assert.equal(registered[0].type, TYPE);
    assert.deepEqual(registered[0].inputs.nodes, {
      manager: { role: 'manager' },
      logger: { role: 'logger' },
      'worker-01': { role: 'worker', interface: 'lo' },
      'worker-02': { role: 'worker', interface: 'eth0' },
    });
    assert.equal(registered[0].inputs.controller, undefined, 'no stack configuration: the provider applies 127.0.0.1:2149');
    assert.deepEqual(registered[0].checked.controller, { host: '127.0.0.1', port: 2149 });
    assert.deepEqual((registered[0].checked.nodes as Record<string, object>)['worker-02'], { instance: AGENT, role: 'WORKER', interface: 'eth0' });
    assert.equal(await valueOf(cluster.configurationId), 'mock-config');
  });

  it('takes the controller from stack configuration and keeps the key passphrase secret', async () => {
    await useMocks({
      'zeek-mgmt:controller': '[::1]:2249',
      'zeek-mgmt:certificate': '/etc/zeek/client.pem',
      'zeek-mgmt:keyfile': '/etc/zeek/client.key',
      'zeek-mgmt:passphrase': 'correct horse',
    }, ['zeek-mgmt:passphrase']);
    const { miniCluster } = await import('../examples/mini');
    const cluster = miniCluster('tls');
    await valueOf(cluster.configurationId);
    assert.deepEqual(registered[0].inputs.controller, { host: '::1', port: 2249, tls: { certificate: '/etc/zeek/client.pem', keyfile: '/etc/zeek/client.key' } });
    // What the engine receives: the passphrase wrapped as a secret (so it is encrypted in
    // the state, and the engine keeps the same-named output secret), the nodes in clear.
    assert.deepEqual(registered[0].inputs.keyPassphrase, { [SECRET_SIG]: '1b47061264138c4ac30d75fd1eb44270', value: 'correct horse' });
    assert.ok(!JSON.stringify(registered[0].inputs.nodes).includes(SECRET_SIG), 'only the passphrase is secret, so previews show the nodes');
    assert.equal((registered[0].checked as { keyPassphrase: string }).keyPassphrase, 'correct horse');
    assert.equal(await isSecret(cluster.nodes), false);
  });

  it('full: the documentation\'s full configuration passes the controller\'s validation', async () => {
    await useMocks();
    const { fullCluster } = await import('../examples/full');
    const nodes = await valueOf(fullCluster().deployed.apply((d) => d.nodes));
    assert.deepEqual(Object.keys(nodes), ['logger', 'manager', 'proxy1', 'proxy2', 'worker1', 'worker2', 'worker3', 'worker4']);
    assert.deepEqual(nodes.worker4, { instance: 'agent-testbox', role: 'WORKER', interface: 'eth3' });
    assert.deepEqual(registered[0].checked.instances, { 'agent-testbox': {} });
  });

  it('sensors: instances and workers from an inventory of hosts and interfaces', async () => {
    await useMocks();
    const { sensorCluster, EXAMPLE_SENSORS } = await import('../examples/sensors');
    const cluster = sensorCluster('sensors', EXAMPLE_SENSORS);
    const nodes = await valueOf(cluster.deployed.apply((d) => d.nodes));
    assert.deepEqual(Object.keys(nodes).sort(), [
      'logger', 'manager', 'proxy',
      'worker-sensor-a-eth0', 'worker-sensor-a-eth1',
      'worker-sensor-b-ens1f0-1', 'worker-sensor-b-ens1f0-2',
    ]);
    assert.deepEqual(nodes['worker-sensor-b-ens1f0-2'], { instance: 'agent-sensor-b', role: 'WORKER', interface: 'ens1f0', cpu_affinity: 1 });
    assert.deepEqual(nodes.manager, { instance: 'agent-sensor-a', role: 'MANAGER' });
    assert.deepEqual(registered[0].checked.instances, { 'agent-sensor-a': {}, 'agent-sensor-b': { host: '10.0.0.12', listen_port: 2151 } });
  });

  it('sensors: reads the inventory from stack configuration, and refuses a bad one', async () => {
    await useMocks({ 'zeek-mgmt:sensors': JSON.stringify([{ host: 'probe1', interfaces: ['eno1'] }]) });
    const { sensorCluster, clusterFromSensors } = await import('../examples/sensors');
    const nodes = await valueOf(sensorCluster().deployed.apply((d) => d.nodes));
    assert.deepEqual(Object.keys(nodes), ['logger', 'manager', 'proxy', 'worker-probe1-eno1']);
    assert.throws(() => clusterFromSensors([]), /the sensor list is empty/);
    assert.throws(() => clusterFromSensors([{ host: 'a', interfaces: [] }]), /sensor a lists no interfaces/);
    assert.throws(() => clusterFromSensors([{ host: 'a', interfaces: ['x'] }, { host: 'a', interfaces: ['y'] }]), /sensor a is listed twice/);
  });

  it('ini: deploys an existing .ini file, whose nodes check() spells out for the diff display', async () => {
    await useMocks();
    const { iniCluster, DEFAULT_INI } = await import('../examples/from-ini');
    const cluster = iniCluster();
    const nodes = await valueOf(cluster.deployed.apply((d) => d.nodes));
    assert.deepEqual(Object.keys(nodes), ['logger', 'manager', 'worker-01', 'worker-02']);
    assert.deepEqual(registered[0].inputs, { iniFile: DEFAULT_INI, __provider: registered[0].inputs.__provider });
    assert.deepEqual(Object.keys(registered[0].checked.nodes as object), ['logger', 'manager', 'worker-01', 'worker-02']);
  });

  it('index.ts: the program Pulumi.yaml runs picks the example from zeek-mgmt:example', async () => {
    await useMocks({ 'zeek-mgmt:example': 'sensors' });
    const index = path.join(__dirname, '..', 'examples', 'index.ts');
    delete require.cache[require.resolve(index)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const stack = require(index) as { deployedNodes: Pulumi.Output<Record<string, unknown>>; configurationId: Pulumi.Output<string> };
    assert.equal(await valueOf(stack.configurationId), 'mock-config');
    assert.ok(Object.keys(await valueOf(stack.deployedNodes)).includes('worker-sensor-a-eth1'));

    await useMocks({ 'zeek-mgmt:example': 'huge' });
    delete require.cache[require.resolve(index)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assert.throws(() => require(index), /zeek-mgmt:example is "huge"; choose one of mini, full, sensors, ini/);
  });

  it('the examples type-check with the project\'s tsconfig (Pulumi compiles TypeScript programs with type checking)', function () {
    this.timeout(60000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require('typescript') as typeof import('typescript');
    const root = path.join(__dirname, '..');
    const cfg = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, root);
    const files = ['index.ts', 'mini.ts', 'full.ts', 'sensors.ts', 'from-ini.ts'].map((f) => path.join(root, 'examples', f));
    const program = ts.createProgram(files, { ...parsed.options, noEmit: true, incremental: false });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    assert.deepEqual(problems, []);
  });

  it('a program with an invalid configuration fails at check, with the controller\'s message', async () => {
    await useMocks();
    const { ZeekCluster } = await import('../provider/zeek-cluster');
    const swallow = (): void => undefined; // the failed registration also rejects the resource's outputs
    process.on('unhandledRejection', swallow);
    try {
      const cluster = new ZeekCluster('clash', {
        nodes: { manager: { role: 'manager', port: 2300 }, logger: { role: 'logger', port: 2300 } },
      });
      cluster.urn.apply(() => undefined);
      for (let i = 0; i < 100 && mockErrors.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', swallow);
    }
    assert.equal(mockErrors.length, 1, 'registration must fail');
    assert.equal(registered.length, 0);
    assert.match(mockErrors[0].message, new RegExp(`multiple nodes on instance '${AGENT}' using port 2300/tcp`));
  });
});
