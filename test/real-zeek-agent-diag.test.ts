// Zeek's own agent knows nothing of node diagnostics (issue 24 point 6): the real
// `zeek -j policy/frameworks/management/agent` with real nodes under our controller. It
// never announces diag-v1, so `zeek-mgmt diag` names its instance at once as not reporting
// them, sends it nothing it would have to drop, and the agent stays as it was (get-nodes
// through zeek-client and zeek-mgmt alike). Skipped without zeek and zeek-client.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePorts } from '../provider/free-ports';
import { ControllerProcess, startControllerProcess } from './helpers/controller-process';
import { findZeek, findZeekClient, RealZeekManagement, startRealZeek } from './helpers/real-zeek';
import { miniConfigOnLo, sideBySide, skipUnlessZeek, waitForInstance } from './helpers/side-by-side';

describe('Zeek\'s agent and zeek-mgmt diag', function () {
  this.timeout(180_000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let ctl: ControllerProcess;
  let z: RealZeekManagement;
  const s = sideBySide(zc ?? [], () => ctl.wsPort);
  const { ours } = s;

  before(async function () {
    skipUnlessZeek(this, zeek, zc);
    const brokerStart = await freePorts(8);
    const metricsStart = await freePorts(8);
    // A request timeout far beyond the client's: an answer that came only at the timeout would not come in time.
    ctl = await startControllerProcess({ settings: { autoAssignBrokerStartPort: brokerStart, autoAssignMetricsStartPort: metricsStart, requestTimeoutMs: 120_000 } });
    z = await startRealZeek(zeek!, { components: ['agent'], env: { ZEEK_CONTROLLER_PORT: `${ctl.agentPort}/tcp` } });
    await waitForInstance(s, z.agentName, () => `Zeek's agent, under our controller:\n${fs.readFileSync(path.join(z.dir, 'zeek.out'), 'utf8')}`);
  });

  after(async () => {
    if (ctl && z) await ours('deploy-config', '/dev/null').catch(() => undefined);
    await z?.stop();
    await ctl?.stop();
    if (ctl) fs.rmSync(ctl.dir, { recursive: true, force: true });
  });

  it('names the instance as not reporting diagnostics, at once; the agent is unaffected', async () => {
    const mini = path.join(z.dir, 'mini-config.ini');
    fs.writeFileSync(mini, miniConfigOnLo());
    const deployed = await ours('deploy-config', mini);
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
    const before = await s.nodesOf(z.agentName);
    const r = await ours('--set', 'client.request_timeout_secs=15', 'diag', '--json');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      errors: [{ source: z.agentName, error: `instance '${z.agentName}' does not report node diagnostics: its agent does not announce diag-v1 (a Zeek agent?)` }],
      results: {},
    });
    const text = await ours('diag');
    assert.equal(text.code, 1);
    assert.match(text.stderr, new RegExp(`^error: instance '${z.agentName}' does not report node diagnostics`, 'm'));
    assert.equal(text.stdout, '');
    assert.deepEqual(await s.nodesOf(z.agentName), before);
    await s.same('get-nodes');
  });
});
