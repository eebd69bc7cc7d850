// A site change previewed through Pulumi's own dynamic-provider plugin over gRPC (as
// `pulumi preview` drives it): Check hashes the site and puts its per-file digests in the
// inputs (what `pulumi preview --diff` displays, file by file); Diff of a change to the site
// alone is DIFF_SOME without replacement; Update deploys it; a bad site fails Check.

import { strict as assert } from 'node:assert';
import { DIFF_CHANGES as DIFF, DynamicProviderPlugin, Props } from '../provider/plugin-client';
import { pluginWithLiveCluster } from './helpers/provider-plugin';

const URN = 'urn:pulumi:ci::zeek-mgmt::pulumi-nodejs:dynamic/zeek-mgmt:ZeekCluster::sensors';

describe('ZeekCluster site preview through the dynamic-provider plugin', function () {
  this.timeout(45000);
  const t = pluginWithLiveCluster();

  const check = (olds: Props, news: Props): ReturnType<DynamicProviderPlugin['check']> => t.plugin.check(URN, olds, { ...news, __provider: t.providerText });
  const program = (local: string, extra: Record<string, string> = {}): Props => ({
    controller: { host: t.cluster.host, port: t.cluster.port },
    nodes: { manager: { role: 'manager' }, 'worker-01': { role: 'worker', interface: 'lo' } },
    site: { files: { 'local.zeek': local, ...extra } },
  });

  it('check, create, a site-only change as DIFF_SOME with its files in the inputs, update; a bad site fails check', async () => {
    await t.plugin.configure({ 'zeek-mgmt:controller': `${t.cluster.host}:${t.cluster.port}` });
    const first = await check({}, program('const site_answer = 1 &redef;\n'));
    assert.deepEqual(first.failures, []);
    assert.deepEqual(Object.keys(first.inputs.site.manifest), ['local.zeek']);
    assert.match(first.inputs.site.hash, /^sha256:[0-9a-f]{64}$/);
    const created = await t.plugin.create(URN, first.inputs);
    const id = created.id;
    assert.equal(created.properties.siteStatus[t.cluster.agentName], 'ok');

    const same = await check(first.inputs, program('const site_answer = 1 &redef;\n'));
    assert.equal((await t.plugin.diff(URN, id, created.properties, same.inputs)).changes, DIFF.DIFF_NONE);

    const changed = await check(same.inputs, program('const site_answer = 2 &redef;\n', { 'networks.zeek': '# nets\n' }));
    assert.deepEqual(Object.keys(changed.inputs.site.manifest), ['local.zeek', 'networks.zeek']);
    assert.notEqual(changed.inputs.site.manifest['local.zeek'], first.inputs.site.manifest['local.zeek']);
    assert.notEqual(changed.inputs.site.hash, first.inputs.site.hash);
    assert.deepEqual(await t.plugin.diff(URN, id, created.properties, changed.inputs), { changes: DIFF.DIFF_SOME, replaces: [], deleteBeforeReplace: false });
    const updated = await t.plugin.update(URN, id, created.properties, changed.inputs);
    assert.equal(updated.site.hash, changed.inputs.site.hash);
    assert.match(updated.deployed.nodes.manager.env.ZEEK_MGMT_SITE, /^sha256:/);

    const bad = await check(changed.inputs, program('x', { '../escape.zeek': 'x' }));
    assert.equal(bad.failures.length, 1);
    assert.match(bad.failures[0].reason, /leaves the site directory/);
  });
});
