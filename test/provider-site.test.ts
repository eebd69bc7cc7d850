// The provider's `site` input against a live cluster (emulated nodes): check() hashes the
// site and refuses a bad one; create deploys it (get-id-value answers its value); diff of
// a change to the site alone is an update, previewed per file; update deploys it; an
// out-of-band edit on the agent's disk shows in read's siteStatus, and the next update
// repairs it.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkInputs, pendingChanges, zeekClusterProvider as provider } from '../provider/dynamic-provider';
import { CheckedInputs, ClusterOutputs } from '../provider/inputs';
import { ControllerClient } from '../sdk/client/controller-client';
import { LiveCluster, startLiveCluster } from './helpers/provider-cluster';

function checked(news: Record<string, unknown>): CheckedInputs {
  const r = checkInputs(news);
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  return r.inputs!;
}

describe('ZeekCluster provider with a site', function () {
  this.timeout(60000);
  let cluster: LiveCluster;
  let siteDir: string;
  const inputs = (site: Record<string, unknown>): Record<string, unknown> => ({
    controller: { host: cluster.host, port: cluster.port, peeringAttempts: 3, peeringRetryDelaySecs: 0.2 },
    nodes: { manager: { role: 'manager' }, 'worker-01': { role: 'worker', interface: 'lo' } },
    site,
  });
  const value = async (id: string): Promise<Record<string, string>> => {
    const c = await ControllerClient.connect({ host: cluster.host, port: cluster.port, peeringAttempts: 3 });
    try {
      return Object.fromEntries((await c.getIdValue(id)).map((r) => [r.node ?? '', r.success && r.data?.type === 'string' ? r.data.value : `error: ${r.error}`]));
    } finally {
      await c.close();
    }
  };

  before(async () => {
    cluster = await startLiveCluster();
    siteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zeek-mgmt-provider-site-'));
    fs.writeFileSync(path.join(siteDir, 'local.zeek'), '@load ./answer\nredef site_answer = 7;\n');
    fs.writeFileSync(path.join(siteDir, 'answer.zeek'), 'const site_answer = 1 &redef;\n');
  });

  after(async () => {
    await cluster?.stop();
    fs.rmSync(siteDir, { recursive: true, force: true });
  });

  it('check refuses a site with a path that leaves it, or both dir and files', () => {
    const r = checkInputs({ nodes: { manager: { role: 'manager' } }, site: { files: { '../x.zeek': 'x' } } });
    assert.match(r.failures.map((f) => `${f.property}: ${f.reason}`).join('\n'), /^site: site file refused: path "..\/x.zeek" leaves the site directory/);
    const both = checkInputs({ nodes: { manager: { role: 'manager' } }, site: { dir: '/tmp', files: {} } });
    assert.match(both.failures[0]?.reason ?? '', /exactly one of dir/);
  });

  it('create, a site-only change previewed per file, update, out-of-band edit seen by read and repaired', async () => {
    const first = checked(inputs({ dir: siteDir, roles: { worker: ['answer'] } }));
    assert.match(first.site!.hash, /^sha256:[0-9a-f]{64}$/);
    const created = await provider.create(first);
    const outs = created.outs as ClusterOutputs;
    assert.deepEqual(outs.siteStatus, { [cluster.agentName]: 'ok' });
    assert.deepEqual(await value('site_answer'), { manager: '7', 'worker-01': '7' });
    assert.deepEqual(outs.deployed.nodes['worker-01'].scripts, ['local', 'answer']);

    // The same inputs: no change.
    assert.deepEqual(pendingChanges(outs as never, checked(inputs({ dir: siteDir, roles: { worker: ['answer'] } }))), []);
    // The site alone changes: an update, with the files listed.
    fs.writeFileSync(path.join(siteDir, 'local.zeek'), '@load ./answer\nredef site_answer = 8;\n');
    fs.writeFileSync(path.join(siteDir, 'networks.zeek'), 'redef Site::local_nets += { 10.0.0.0/8 };\n');
    const second = checked(inputs({ dir: siteDir, roles: { worker: ['answer'] } }));
    const lines = pendingChanges(outs as never, second);
    assert.deepEqual(lines, [`~ site ${first.site!.hash} -> ${second.site!.hash}`, '+ site file networks.zeek', '~ site file local.zeek']);
    const d = await provider.diff(created.id, outs as never, second as never);
    assert.equal(d.changes, true);
    assert.equal(d.replaces, undefined);

    const updated = (await provider.update(created.id, outs as never, second as never)).outs as ClusterOutputs;
    assert.deepEqual(await value('site_answer'), { manager: '8', 'worker-01': '8' });

    // Out of band: the agent's copy is edited.
    const hex = second.site!.hash.slice('sha256:'.length);
    fs.appendFileSync(path.join(cluster.dir, 'nodes', cluster.agentName, 'sites', hex, 'local.zeek'), 'redef site_answer = 99;\n');
    const read = await provider.read(created.id, updated as never);
    const readOuts = read.props as ClusterOutputs;
    assert.deepEqual(readOuts.siteStatus, { [cluster.agentName]: 'modified' });
    assert.deepEqual(pendingChanges(readOuts as never, second), [`~ site on instance ${cluster.agentName}: modified`]);
    const repaired = (await provider.update(created.id, readOuts as never, second as never)).outs as ClusterOutputs;
    assert.deepEqual(repaired.siteStatus, { [cluster.agentName]: 'ok' });

    // A directory changed between preview and update is refused rather than deployed unseen.
    fs.writeFileSync(path.join(siteDir, 'local.zeek'), 'redef site_answer = 9;\n');
    await assert.rejects(provider.create(second), /changed since the preview/);
    assert.deepEqual(await value('site_answer'), { manager: '8', 'worker-01': '8' });
  });
});
