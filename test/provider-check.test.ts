// The provider's check and diff (which need no controller), and the proof that Pulumi's
// closure serializer accepts the provider and that the serialized text works on its own.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkInputs, pendingChanges, zeekClusterProvider as provider } from '../provider/dynamic-provider';
import { ClusterOutputs, UNKNOWN } from '../provider/inputs';
import { PROVIDER_MODULES, serializableProvider } from '../provider/serializable-provider';
import { parseConfigurationIni } from '../sdk/config/configuration-from-ini';
import { validateConfiguration } from '../sdk/validation/configuration';

const DOCS = '/work/shared/reference/zeek-docs/frameworks/management';
const MINI_INI = fs.readFileSync(path.join(__dirname, '..', 'examples', 'clusters', 'mini.ini'), 'utf8');
const AGENT = `agent-${os.hostname() || 'localhost'}`;

const MINI_TYPED = {
  nodes: {
    manager: { role: 'manager' },
    logger: { role: 'Logger' },
    'worker-01': { role: 'WORKER', interface: 'lo' },
    'worker-02': { role: 'worker', interface: 'eth0' },
  },
};

/** Outputs as create() would leave them after the controller assigned ports 2200/2201 and metrics ports. */
function outputsAfterDeploy(news: Record<string, unknown>): ClusterOutputs {
  const checked = checkInputs(news).inputs!;
  const nodes = JSON.parse(JSON.stringify(checked.nodes));
  nodes.manager.port = 2200;
  nodes.logger.port = 2201;
  Object.values(nodes).forEach((n, i) => { (n as { metrics_port: number }).metrics_port = 9000 + i; });
  const instances = Object.fromEntries(Object.keys(checked.instances).map((k) => [k, { host: '127.0.0.1' }]));
  return { ...checked, configurationId: 'c1', deployed: { id: 'c1', instances, nodes }, results: {}, nodeStatus: {} };
}

describe('ZeekCluster provider: check', () => {
  it('turns the mini .ini (text or file) and its typed twin into the same canonical nodes map', async () => {
    const fromText = await provider.check({}, { iniText: MINI_INI });
    assert.equal(fromText.failures, undefined);
    const expected = {
      logger: { instance: AGENT, role: 'LOGGER' },
      manager: { instance: AGENT, role: 'MANAGER' },
      'worker-01': { instance: AGENT, role: 'WORKER', interface: 'lo' },
      'worker-02': { instance: AGENT, role: 'WORKER', interface: 'eth0' },
    };
    assert.deepEqual(fromText.inputs.nodes, expected);
    assert.deepEqual(fromText.inputs.instances, { [AGENT]: {} });
    assert.deepEqual(fromText.inputs.controller, { host: '127.0.0.1', port: 2149 });
    assert.equal(fromText.inputs.iniText, MINI_INI);

    const fromFile = await provider.check({}, { iniFile: path.join(DOCS, 'mini-config.ini') });
    assert.deepEqual(fromFile.inputs.nodes, expected);
    const typed = await provider.check({}, MINI_TYPED);
    assert.deepEqual(typed.inputs.nodes, expected);
    assert.deepEqual(Object.keys(typed.inputs.nodes), Object.keys(expected), 'nodes keyed and ordered by name');
  });

  it('keeps every .ini field of a node (ports, scripts, env, cpu_affinity, options)', async () => {
    const r = await provider.check({}, {
      controller: { host: '10.1.2.3', port: 2249, tls: {} },
      instances: { 'agent-a': { host: '10.0.0.5', listen_port: 2151 } },
      nodes: {
        manager: { instance: 'agent-a', role: 'manager', port: 3000, metrics_port: 9100, scripts: ['policy/misc/loaded-scripts', 'site/local'], env: { B: '2', A: 'x y' }, cpu_affinity: 3, options: { 'Log::default_rotation_interval': '1hr' } },
      },
    });
    assert.equal(r.failures, undefined);
    assert.deepEqual(r.inputs.instances, { 'agent-a': { host: '10.0.0.5', listen_port: 2151 } });
    assert.deepEqual(r.inputs.nodes.manager, {
      instance: 'agent-a', role: 'MANAGER', port: 3000, metrics_port: 9100, scripts: ['policy/misc/loaded-scripts', 'site/local'],
      env: { A: 'x y', B: '2' }, cpu_affinity: 3, options: { 'Log::default_rotation_interval': '1hr' },
    });
    assert.deepEqual(r.inputs.controller, { host: '10.1.2.3', port: 2249, tls: {} });
  });

  it("returns the controller's validation errors, word for word, as check failures", async () => {
    const news = {
      instances: { 'agent-a': { host: '10.0.0.5', listen_port: 2151 } },
      nodes: {
        manager: { instance: 'agent-a', role: 'manager', port: 2151 },
        logger: { instance: 'agent-a', role: 'logger', port: 2300 },
        proxy: { instance: 'agent-a', role: 'proxy', port: 2300 },
        worker: { instance: 'agent-b', role: 'worker', interface: 'eth0' },
        'agent-a': { instance: 'agent-a', role: 'worker', interface: 'eth1' },
      },
    };
    const r = await provider.check({}, news);
    const config = parseConfigurationIni(`[instances]
agent-a = 10.0.0.5:2151
[manager]
instance = agent-a
role = manager
port = 2151
[logger]
instance = agent-a
role = logger
port = 2300
[proxy]
instance = agent-a
role = proxy
port = 2300
[worker]
instance = agent-b
role = worker
interface = eth0
[agent-a]
instance = agent-a
role = worker
interface = eth1
`);
    const expected = validateConfiguration(config);
    assert.equal(expected.length, 4, expected.join('\n'));
    assert.deepEqual(r.failures, expected.map((reason) => ({ property: '', reason })));
    assert.ok(expected.includes("node 'manager' port 2151/tcp conflicts with agent port on instance 'agent-a'"));
    assert.ok(expected.includes("multiple nodes on instance 'agent-a' using port 2300/tcp"));
    assert.ok(expected.includes("node 'worker' has undeclared instance name 'agent-b'"));
    assert.ok(expected.includes('node and instance names collide: agent-a'));
  });

  it('names the input that is wrong: shape, role, port, .ini syntax, missing file, sources', async () => {
    const shape = await provider.check({}, { nodes: { w: { role: 'sniffer', port: 70000, interface: 'eth0' } }, colour: 'blue' });
    assert.deepEqual(shape.failures, [
      { property: 'nodes', reason: 'nodes.w.role: role "sniffer" is invalid' },
      { property: 'nodes', reason: 'nodes.w.port: Too big: expected number to be <=65535' },
      { property: '', reason: 'Unrecognized key: "colour"' },
    ]);
    const mixed = await provider.check({}, { nodes: { m: { role: 'manager' }, w: { role: 'worker', instance: 'agent-x' } } });
    assert.deepEqual(mixed.failures, [{ property: 'nodes', reason: 'either all or no nodes must state instances (node "m" names none, node "w" names "agent-x")' }]);
    const ini = await provider.check({}, { iniText: '[manager]\nrole = boss\n' });
    assert.equal(ini.failures?.length, 1);
    assert.equal(ini.failures![0].property, 'iniText');
    assert.match(ini.failures![0].reason, /^<iniText>, line \d+, section \[manager\].*boss/);
    const missing = await provider.check({}, { iniFile: '/nonexistent/cluster.ini' });
    assert.equal(missing.failures![0].property, 'iniFile');
    assert.match(missing.failures![0].reason, /cannot read cluster configuration "\/nonexistent\/cluster.ini": ENOENT/);
    const none = await provider.check({}, { controller: { host: 'h' } });
    assert.match(none.failures![0].reason, /^no cluster configuration: give the cluster configuration as nodes/);
    const both = await provider.check({}, { ...MINI_TYPED, iniText: MINI_INI });
    assert.match(both.failures![0].reason, /^more than one cluster configuration/);
  });

  it('passes inputs that are not known yet (preview) through unchecked', async () => {
    const news = { nodes: { manager: { role: 'manager', port: UNKNOWN } }, __provider: 'text' };
    const r = await provider.check({}, news);
    assert.equal(r.failures, undefined);
    assert.equal(r.inputs, news);
  });
});

describe('ZeekCluster provider: diff', () => {
  const olds = outputsAfterDeploy(MINI_TYPED);

  it('sees no change against the deployed configuration with controller-assigned ports and hosts', async () => {
    const news = checkInputs(MINI_TYPED).inputs!;
    assert.deepEqual(await provider.diff('127.0.0.1:2149', olds, news), { changes: false });
    // The same configuration as .ini text, roles in another case: still no change.
    assert.deepEqual(await provider.diff('127.0.0.1:2149', olds, checkInputs({ iniText: MINI_INI.replace('role = logger', 'role = LOGGER') }).inputs!), { changes: false });
  });

  it('reports an added worker, a changed field and a removed node, node by node', async () => {
    const news = checkInputs({
      nodes: {
        manager: { role: 'manager' },
        logger: { role: 'logger', port: 2300 },
        'worker-01': { role: 'worker', interface: 'lo' },
        'worker-03': { role: 'worker', interface: 'eth0' },
      },
    }).inputs!;
    assert.deepEqual(await provider.diff('127.0.0.1:2149', olds, news), { changes: true });
    assert.deepEqual(pendingChanges(olds as unknown as Record<string, unknown>, news), [
      '~ node logger: port 2201 -> 2300',
      '- node worker-02',
      '+ node worker-03',
    ]);
  });

  it('replaces the resource (delete first) for another controller, updates for other connection settings', async () => {
    const moved = checkInputs({ ...MINI_TYPED, controller: { port: 2249 } }).inputs!;
    assert.deepEqual(await provider.diff('127.0.0.1:2149', olds, moved), { changes: true, replaces: ['controller'], deleteBeforeReplace: true });
    const slower = checkInputs({ ...MINI_TYPED, controller: { requestTimeoutSecs: 60 } }).inputs!;
    assert.deepEqual(await provider.diff('127.0.0.1:2149', olds, slower), { changes: true });
    const pinned = checkInputs({ ...MINI_TYPED, configurationId: 'release-7' }).inputs!;
    assert.deepEqual(await provider.diff('127.0.0.1:2149', olds, pinned), { changes: true });
  });
});

describe('ZeekCluster provider: serialization', () => {
  it('is accepted by pulumi.runtime.serializeFunction, and the text works on its own', async function () {
    this.timeout(20000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
    const sf = await pulumi.runtime.serializeFunction(() => serializableProvider, { allowSecrets: false });
    // Only the package's path relative to the working directory is captured: no absolute
    // path (the state must load from another directory), no sdk code, no sockets, no secrets.
    assert.ok(sf.text.includes(`PACKAGE_FROM_CWD: ${JSON.stringify(PROVIDER_MODULES.packageFromCwd)}`), sf.text);
    assert.ok(!sf.text.includes(path.resolve(__dirname, '..')), 'no absolute path in the serialized provider');
    assert.ok(!/ControllerClient|WebSocket|zod/.test(sf.text), 'the implementation must not be serialized by value');
    assert.ok(sf.text.length < 10000, `serialized provider is ${sf.text.length} characters`);
    // Load it the way the dynamic-provider plugin does.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const requireFromString = require('require-from-string') as (code: string) => { handler: () => typeof serializableProvider };
    const loaded = requireFromString(sf.text).handler();
    const r = await loaded.check({}, { iniText: MINI_INI });
    assert.equal(r.failures, undefined);
    assert.equal(Object.keys(r.inputs.nodes).length, 4);
  });
});
