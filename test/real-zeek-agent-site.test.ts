// Zeek's own agent knows nothing of sites (issue 23, point 4): the real
// `zeek -j policy/frameworks/management/agent` with real nodes under our controller. A
// deploy with a site to its instance fails before anything stops, naming the instance; the
// nodes keep their pids; the same configuration without a site still deploys. Skipped
// without zeek and zeek-client.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControllerProcess } from './helpers/controller-process';
import { findZeek, findZeekClient, RealZeekManagement } from './helpers/real-zeek';
import { sideBySide, skipUnlessZeek } from './helpers/side-by-side';
import { startZeekAgentUnderOurs, stopZeekAgentUnderOurs } from './helpers/zeek-agent-under-ours';

describe('Zeek\'s agent and a deployment with a site', function () {
  this.timeout(180_000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let ctl: ControllerProcess;
  let z: RealZeekManagement;
  let mini: string;
  let site: string;
  const started: { ctl?: ControllerProcess; z?: RealZeekManagement } = {};
  const s = sideBySide(zc ?? [], () => started.ctl!.wsPort);
  const { ours } = s;

  before(async function () {
    skipUnlessZeek(this, zeek, zc);
    ({ ctl, z, mini } = await startZeekAgentUnderOurs(zeek!, s, started));
    site = path.join(z.dir, 'zeek-site');
    fs.mkdirSync(site);
    fs.writeFileSync(path.join(site, 'local.zeek'), 'const site_answer = 42 &redef;\n');
  });

  after(async () => {
    await stopZeekAgentUnderOurs(s, started);
  });

  it('refuses the site before anything stops, naming the instance; without a site it deploys', async () => {
    const first = await ours('deploy-config', mini);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const pids = async (): Promise<Record<string, number>> => {
      const r = await ours('get-nodes');
      const all = JSON.parse(r.stdout).results[z.agentName] as Record<string, { pid: number; cluster_role?: string }>;
      return Object.fromEntries(Object.entries(all).filter(([, n]) => n.cluster_role).map(([k, n]) => [k, n.pid]));
    };
    const before = await pids();
    assert.equal(Object.keys(before).length, 4);
    const r = await ours('deploy-config', '--site', site, mini);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const errors = (JSON.parse(r.stdout) as { errors: string[] }).errors;
    assert.equal(errors.length, 1, r.stdout);
    assert.match(errors[0], new RegExp(`^instance '${z.agentName}' cannot take the site sha256:[0-9a-f]{64}: its agent does not announce site support`));
    assert.deepEqual(await pids(), before);
    const again = await ours('deploy-config', mini);
    assert.equal(again.code, 0, again.stdout + again.stderr);
  });
});
