// The provider through Pulumi's own dynamic-provider plugin (@pulumi/pulumi/cmd/dynamic-provider),
// started as a real child process and driven over its gRPC ResourceProvider protocol the way
// the Pulumi engine drives it: Configure with the stack configuration, then Check, Diff,
// Create, Read, Update and Delete, each carrying the serialized provider in `__provider`.
// The plugin is plain node, so it loads the compiled provider from dist/ (npm test builds).

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DIFF_CHANGES as DIFF, DynamicProviderPlugin, initFailureOf, Props } from '../provider/plugin-client';
import { PROVIDER_MODULES } from '../provider/serializable-provider';
import { BAD_INTERFACE } from './helpers/provider-cluster';
import { pluginWithLiveCluster } from './helpers/provider-plugin';

const CLI_MAIN = path.resolve(__dirname, '../dist/cli/main.js');
const URN = 'urn:pulumi:ci::zeek-mgmt::pulumi-nodejs:dynamic/zeek-mgmt:ZeekCluster::sensors';

/** The compiled provider (what the plugin loads) must be at least as new as its sources. */
function assertCompiledProviderCurrent(): void {
  const src = path.resolve(__dirname, '../provider');
  const out = path.dirname(PROVIDER_MODULES.compiled);
  for (const f of fs.readdirSync(src).filter((x) => x.endsWith('.ts'))) {
    const js = path.join(out, f.replace(/\.ts$/, '.js'));
    if (!fs.existsSync(js)) throw new Error(`${js} is missing: run "npm run build" first (npm test does)`);
    if (fs.statSync(path.join(src, f)).mtimeMs > fs.statSync(js).mtimeMs) throw new Error(`${js} is older than provider/${f}: run "npm run build" first (npm test does)`);
  }
}

describe('ZeekCluster through the dynamic-provider plugin over gRPC', function () {
  this.timeout(45000);
  const t = pluginWithLiveCluster(assertCompiledProviderCurrent);

  // The engine's calls; Check carries the serialized provider in `__provider`, as dynamic.Resource puts it there.
  const rpc = {
    configure: (config: Record<string, string>) => t.plugin.configure(config),
    check: (olds: Props, news: Props) => t.plugin.check(URN, olds, { ...news, __provider: t.providerText }),
    diff: (id: string, olds: Props, news: Props) => t.plugin.diff(URN, id, olds, news),
    create: (props: Props) => t.plugin.create(URN, props),
    read: (id: string, props: Props, inputs: Props) => t.plugin.read(URN, id, props, inputs),
    update: (id: string, olds: Props, news: Props) => t.plugin.update(URN, id, olds, news),
    delete: (id: string, props: Props) => t.plugin.delete(URN, id, props),
  };

  const program = (workers: string[]): Props => ({
    instances: { [t.cluster.agentName]: {} },
    nodes: {
      manager: { instance: t.cluster.agentName, role: 'manager' },
      logger: { instance: t.cluster.agentName, role: 'logger' },
      ...Object.fromEntries(workers.map((w) => [w, { instance: t.cluster.agentName, role: 'worker', interface: 'lo' }])),
    },
  });

  it('configure, check, create, diff, update, read after out-of-band drift, delete', async () => {
    assert.match(await t.plugin.getPluginInfo(), /^3\.248\./);
    // The stack configuration names the controller; the program does not.
    assert.equal(await rpc.configure({ 'zeek-mgmt:controller': `${t.cluster.host}:${t.cluster.port}`, 'zeek-mgmt:example': 'sensors' }), false, 'the dynamic provider takes secrets unwrapped');
    const id = `${t.cluster.host}:${t.cluster.port}`;

    // pulumi up, first run: Check, then Create.
    const first = await rpc.check({}, program(['worker-01', 'worker-02']));
    assert.deepEqual(first.failures, []);
    assert.deepEqual(first.inputs.controller, { host: t.cluster.host, port: t.cluster.port });
    assert.equal(first.inputs.__provider, t.providerText);
    const created = await rpc.create(first.inputs);
    assert.equal(created.id, id);
    assert.equal(created.properties.__provider, t.providerText, 'the plugin keeps the provider with the state');
    assert.deepEqual(Object.keys(created.properties.deployed.nodes), ['logger', 'manager', 'worker-01', 'worker-02']);
    assert.equal(created.properties.deployed.nodes.manager.port, t.cluster.brokerStartPort);
    assert.equal(created.properties.results['worker-02'].success, true);

    // pulumi preview, unchanged program: Check, Diff -> no change.
    const again = await rpc.check(first.inputs, program(['worker-01', 'worker-02']));
    assert.deepEqual((await rpc.diff(id, created.properties, again.inputs)).changes, DIFF.DIFF_NONE);

    // pulumi up with a third worker: Check, Diff -> some, Update.
    const grown = await rpc.check(again.inputs, program(['worker-01', 'worker-02', 'worker-03']));
    const d = await rpc.diff(id, created.properties, grown.inputs);
    assert.deepEqual(d, { changes: DIFF.DIFF_SOME, replaces: [], deleteBeforeReplace: false });
    const updated = await rpc.update(id, created.properties, grown.inputs);
    assert.deepEqual(Object.keys(updated.deployed.nodes), ['logger', 'manager', 'worker-01', 'worker-02', 'worker-03']);
    assert.equal(updated.__provider, t.providerText);

    // Another controller is a replacement, deleted before the new one is created.
    const moved = await rpc.check(grown.inputs, { ...program(['worker-01']), controller: { host: t.cluster.host, port: t.cluster.port + 1 } });
    assert.deepEqual(await rpc.diff(id, updated, moved.inputs), { changes: DIFF.DIFF_SOME, replaces: ['controller'], deleteBeforeReplace: true });

    // Someone deploys by hand; pulumi refresh: Read sees it, in properties and in inputs.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-oob-'));
    try {
      fs.writeFileSync(path.join(dir, 'c.ini'), `[instances]\n${t.cluster.agentName}\n\n[manager]\ninstance = ${t.cluster.agentName}\nrole = manager\n\n[worker-01]\ninstance = ${t.cluster.agentName}\nrole = worker\ninterface = lo\nenv = MODE=out-of-band\n`);
      await promisify(execFile)(process.execPath, [CLI_MAIN, '--controller', id, 'deploy-config', path.join(dir, 'c.ini')], { timeout: 20000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const refreshed = await rpc.read(id, updated, grown.inputs);
    assert.equal(refreshed.id, id);
    assert.deepEqual(Object.keys(refreshed.properties.deployed.nodes), ['manager', 'worker-01']);
    assert.deepEqual(refreshed.properties.deployed.nodes['worker-01'].env, { MODE: 'out-of-band' });
    assert.deepEqual(refreshed.inputs?.nodes, {
      manager: { instance: t.cluster.agentName, role: 'MANAGER' },
      'worker-01': { instance: t.cluster.agentName, role: 'WORKER', interface: 'lo', env: { MODE: 'out-of-band' } },
    });
    assert.equal(refreshed.properties.__provider, t.providerText);
    // The next preview (program unchanged) shows the drift as a change to undo.
    const afterRefresh = await rpc.check(refreshed.inputs!, program(['worker-01', 'worker-02', 'worker-03']));
    assert.equal((await rpc.diff(id, refreshed.properties, afterRefresh.inputs)).changes, DIFF.DIFF_SOME);

    // pulumi destroy: Delete deploys the empty configuration; a refresh then finds nothing.
    await rpc.delete(id, refreshed.properties);
    const gone = await rpc.read(id, refreshed.properties, refreshed.inputs!);
    assert.equal(gone.id, '');
  });

  it('the serialized provider holds no absolute path, and finds the zeek-mgmt package by name where its relative path leads nowhere', async () => {
    assert.ok(!t.providerText.includes(path.resolve(__dirname, '..')), 'no absolute path in the state');
    // A project directory whose node_modules links to this checkout: the text written here
    // (package at "" from the project) finds no dist/ there, and loads the package by name.
    // (test/package-install.test.ts moves a real installed project.)
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-linked-'));
    let other: DynamicProviderPlugin | undefined;
    try {
      fs.mkdirSync(path.join(project, 'node_modules'));
      fs.symlinkSync(path.resolve(__dirname, '..'), path.join(project, 'node_modules', 'zeek-mgmt'), 'dir');
      other = await DynamicProviderPlugin.start(project);
      await other.configure({ 'zeek-mgmt:controller': `${t.cluster.host}:${t.cluster.port}` });
      const r = await other.check(URN, {}, { ...program(['w1']), __provider: t.providerText });
      assert.deepEqual(r.failures, []);
      assert.deepEqual(Object.keys(r.inputs.nodes), ['logger', 'manager', 'w1']);
      fs.rmSync(path.join(project, 'node_modules'), { recursive: true });
      const err: any = await other.check(URN, {}, { ...program(['w2']), __provider: t.providerText }).then(() => null, (e: unknown) => e);
      assert.ok(err, 'without the package the provider cannot load');
      assert.match(err.details, /cannot find the ZeekCluster provider from .*install the zeek-mgmt package/);
    } finally {
      await other?.stop();
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it("check failures carry the controller's validation messages", async () => {
    const bad = program(['w1']);
    bad.nodes.manager.port = 2300;
    bad.nodes.logger.port = 2300;
    bad.nodes.w1.instance = 'agent-elsewhere';
    const r = await rpc.check({}, bad);
    assert.deepEqual(r.failures, [
      { property: '', reason: `multiple nodes on instance '${t.cluster.agentName}' using port 2300/tcp` },
      { property: '', reason: "node 'w1' has undeclared instance name 'agent-elsewhere'" },
    ].sort((a, b) => (a.reason < b.reason ? -1 : 1)));
  });

  it('a node that fails to launch fails Create as an initialisation error with its stderr', async () => {
    const p = program([]);
    p.nodes['worker-bad'] = { instance: t.cluster.agentName, role: 'worker', interface: BAD_INTERFACE };
    const { inputs } = await rpc.check({}, p);
    const err: any = await rpc.create(inputs).then(() => null, (e: unknown) => e);
    assert.ok(err, 'create must fail');
    assert.equal(err.code, 2, 'grpc status UNKNOWN');
    assert.match(err.details, new RegExp(`node 'worker-bad' on instance '${t.cluster.agentName}' failed: fatal error in <params>, line 1: problem with interface ${BAD_INTERFACE}`));
    // The engine reads ErrorResourceInitFailed from grpc-status-details-bin: the resource exists, with these outputs.
    const detail = initFailureOf(err);
    assert.ok(detail, 'the failure carries ErrorResourceInitFailed');
    assert.equal(detail.id, `${t.cluster.host}:${t.cluster.port}`);
    // One reason per failure: the node's, and (as with Zeek, whose agent gives up on a node that never checks in) possibly "request timed out".
    assert.ok(detail.reasons.some((r) => r.startsWith(`node 'worker-bad' on instance '${t.cluster.agentName}' failed: fatal error in <params>, line 1: problem with interface`)), detail.reasons.join('\n'));
    assert.ok(detail.reasons.every((r) => r.includes('worker-bad') || r.startsWith('request timed out')), detail.reasons.join('\n'));
    const props = detail.properties;
    assert.equal(props.results['worker-bad'].success, false);
    await rpc.delete(detail.id, { ...props, __provider: t.providerText });
  });

  it('a deployment waiting on an instance that never connects fails Create naming it and the connected agent', async () => {
    const p: Props = { instances: { 'agent-elsewhere': {} }, nodes: { manager: { instance: 'agent-elsewhere', role: 'manager' } } };
    const { inputs, failures } = await rpc.check({}, p);
    assert.deepEqual(failures, []);
    const err: any = await rpc.create(inputs).then(() => null, (e: unknown) => e);
    assert.ok(err, 'create must fail');
    // Zeek's text first, then the cause (the controller's Management::Request::timeout_interval, 10 s here).
    // Then the instance's nodes, with what the controller knows of them.
    const notSent = "node 'manager' on instance 'agent-elsewhere' failed: instance 'agent-elsewhere' (not connected) was not sent the configuration: the node was not deployed there";
    assert.match(err.details, new RegExp(`failed:\\n  request timed out: instance 'agent-elsewhere' is not connected \\(connected: ${t.cluster.agentName}\\)\\n  ${notSent.replace(/[()]/g, '\\$&')}$`));
    const detail = initFailureOf(err);
    assert.ok(detail, 'the failure carries ErrorResourceInitFailed');
    assert.deepEqual(detail.reasons, [`request timed out: instance 'agent-elsewhere' is not connected (connected: ${t.cluster.agentName})`, notSent]);
    await rpc.delete(detail.id, { ...detail.properties, __provider: t.providerText });
  });
});
