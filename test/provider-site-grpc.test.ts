// A site change previewed through Pulumi's own dynamic-provider plugin over gRPC (as
// `pulumi preview` drives it): Check hashes the site and puts its per-file digests in the
// inputs (what `pulumi preview --diff` displays, file by file); Diff of a change to the site
// alone is DIFF_SOME without replacement; Update deploys it; a bad site fails Check.

import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { DIFF_CHANGES as DIFF, DynamicProviderPlugin, Props } from '../provider/plugin-client';
import { serializableProvider } from '../provider/serializable-provider';
import { LiveCluster, startLiveCluster } from './helpers/provider-cluster';

const URN = 'urn:pulumi:ci::zeek-mgmt::pulumi-nodejs:dynamic/zeek-mgmt:ZeekCluster::sensors';

describe('ZeekCluster site preview through the dynamic-provider plugin', function () {
  this.timeout(45000);
  let cluster: LiveCluster;
  let plugin: DynamicProviderPlugin | undefined;
  let providerText: string;

  before(async () => {
    const pulumi = require('@pulumi/pulumi');
    providerText = (await pulumi.runtime.serializeFunction(() => serializableProvider, { allowSecrets: false })).text;
    cluster = await startLiveCluster();
    plugin = await DynamicProviderPlugin.start(path.resolve(__dirname, '..'));
  });

  after(async () => {
    await plugin?.stop();
    await cluster?.stop();
  });

  const check = (olds: Props, news: Props): ReturnType<DynamicProviderPlugin['check']> => plugin!.check(URN, olds, { ...news, __provider: providerText });
  const program = (local: string, extra: Record<string, string> = {}): Props => ({
    controller: { host: cluster.host, port: cluster.port },
    nodes: { manager: { role: 'manager' }, 'worker-01': { role: 'worker', interface: 'lo' } },
    site: { files: { 'local.zeek': local, ...extra } },
  });

  it('check, create, a site-only change as DIFF_SOME with its files in the inputs, update; a bad site fails check', async () => {
    await plugin!.configure({ 'zeek-mgmt:controller': `${cluster.host}:${cluster.port}` });
    const first = await check({}, program('const site_answer = 1 &redef;\n'));
    assert.deepEqual(first.failures, []);
    assert.deepEqual(Object.keys(first.inputs.site.manifest), ['local.zeek']);
    assert.match(first.inputs.site.hash, /^sha256:[0-9a-f]{64}$/);
    const created = await plugin!.create(URN, first.inputs);
    const id = created.id;
    assert.equal(created.properties.siteStatus[cluster.agentName], 'ok');

    const same = await check(first.inputs, program('const site_answer = 1 &redef;\n'));
    assert.equal((await plugin!.diff(URN, id, created.properties, same.inputs)).changes, DIFF.DIFF_NONE);

    const changed = await check(same.inputs, program('const site_answer = 2 &redef;\n', { 'networks.zeek': '# nets\n' }));
    assert.deepEqual(Object.keys(changed.inputs.site.manifest), ['local.zeek', 'networks.zeek']);
    assert.notEqual(changed.inputs.site.manifest['local.zeek'], first.inputs.site.manifest['local.zeek']);
    assert.notEqual(changed.inputs.site.hash, first.inputs.site.hash);
    assert.deepEqual(await plugin!.diff(URN, id, created.properties, changed.inputs), { changes: DIFF.DIFF_SOME, replaces: [], deleteBeforeReplace: false });
    const updated = await plugin!.update(URN, id, created.properties, changed.inputs);
    assert.equal(updated.site.hash, changed.inputs.site.hash);
    assert.match(updated.deployed.nodes.manager.env.ZEEK_MGMT_SITE, /^sha256:/);

    const bad = await check(changed.inputs, program('x', { '../escape.zeek': 'x' }));
    assert.equal(bad.failures.length, 1);
    assert.match(bad.failures[0].reason, /leaves the site directory/);
  });
});
