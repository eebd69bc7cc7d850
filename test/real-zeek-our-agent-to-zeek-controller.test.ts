// Our agent -> Zeek's controller (issue 12, point 3, the agent dialing): Zeek's own
// `zeek -j policy/frameworks/management/controller` listens on its 2150-equivalent, and
// `zeek-mgmt run agent` (our Supervisor, emulated nodes) finds it the way Zeek's agent
// does: Management::Agent::controller keeps its default (127.0.0.1, the controller's
// listen port), and the port comes from ZEEK_CONTROLLER_PORT. Our agent peers in native
// Broker over anonymous TLS and checks in with notify_agent_hello naming that peering's
// endpoint id, which Zeek's controller looks up among its peers. Then deploy-config,
// get-nodes, get-id-value, restart and get-config --deployed pass through zeek-client and
// zeek-mgmt against Zeek's controller, which must print the same (pids and ids masked).
//
// Needs zeek ($ZEEK, PATH or /opt/zeek/bin/zeek) and zeek-client; skipped otherwise.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findZeek, findZeekClient, RealZeekManagement, startRealZeek } from './helpers/real-zeek';
import { maskPidsAndIds, NodeRow, miniConfigOnLo, restartGivesManagerNewPid, sideBySide, skipUnlessZeek, waitForInstance } from './helpers/side-by-side';
import { RunHandle, startRun, tempDir } from './run-support';

const AGENT = 'agent-ours';

describe('our agent under Zeek\'s own controller (native Broker, the agent connects)', function () {
  this.timeout(180000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let z: RealZeekManagement | undefined;
  let agent: RunHandle | undefined;
  let dir: string;
  let ini: string;
  const s = sideBySide(zc ?? [], () => z!.wsPort, { timeoutMs: 90_000, mask: maskPidsAndIds });
  const { ours, same } = s;

  before(async function () {
    skipUnlessZeek(this, zeek, zc);
    z = await startRealZeek(zeek!, { components: ['controller'] });
    dir = tempDir('zeek-mgmt-to-zeek-controller-');
    agent = await startRun({ roles: ['agent'], agentName: AGENT, stateDir: dir, env: { ZEEK_CONTROLLER_PORT: `${z.controllerPort}/tcp` } });
    ini = path.join(dir, 'mini-on-our-agent.ini');
    fs.writeFileSync(ini, miniConfigOnLo({ name: AGENT }));
    await waitForInstance(s, AGENT, () => `our agent, under Zeek's controller:\n${agent!.stdout()}${agent!.stderr()}`);
  });

  after(async () => {
    if (z) await ours('deploy-config', '/dev/null').catch(() => undefined);
    if (agent) await agent.stop();
    await z?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Zeek\'s controller lists our agent as connected to it (host, no port)', async () => {
    assert.deepEqual(JSON.parse((await same('get-instances')).stdout), { [AGENT]: { host: '127.0.0.1' } });
  });

  it('deploy-config through Zeek\'s controller starts our emulated nodes', async () => {
    const r = await ours('deploy-config', ini);
    assert.equal(r.code, 0, r.stdout + r.stderr + agent!.stdout() + agent!.stderr());
    const out = JSON.parse(r.stdout) as { errors: unknown[]; results: { nodes: Record<string, { success: boolean; instance: string }> } };
    assert.deepEqual(out.errors, []);
    assert.deepEqual(Object.keys(out.results.nodes).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    for (const n of Object.values(out.results.nodes)) assert.deepEqual([n.success, n.instance], [true, AGENT]);
    await same('deploy-config', ini);
  });

  it('get-nodes: our agent and its nodes, RUNNING', async () => {
    const ns = JSON.parse((await same('get-nodes')).stdout).results[AGENT] as Record<string, NodeRow>;
    for (const n of ['logger', 'manager', 'worker-01', 'worker-02']) assert.equal(ns[n]?.state, 'RUNNING', n);
    assert.equal(ns[AGENT]?.mgmt_role, 'AGENT');
  });

  it('get-id-value, answered by our emulated nodes through Zeek\'s controller', async () => {
    const node = JSON.parse((await same('get-id-value', 'Cluster::node')).stdout);
    assert.deepEqual(node.results, { logger: 'logger', manager: 'manager', 'worker-01': 'worker-01', 'worker-02': 'worker-02' });
    const rot = JSON.parse((await same('get-id-value', 'Log::default_rotation_interval')).stdout);
    assert.deepEqual(rot.results, { logger: '1.0 hr', manager: '1.0 day', 'worker-01': '1.0 day', 'worker-02': '1.0 day' });
    await same('get-id-value', 'No::such_id');
  });

  it('restart manager gives the manager a new pid', () => restartGivesManagerNewPid(s, AGENT));

  it('get-config --deployed, plain and as JSON', async () => {
    const deployed = JSON.parse((await same('get-config', '--deployed', '--as-json')).stdout) as { instances: unknown[]; nodes: Array<{ name: string; instance: string }> };
    assert.deepEqual(deployed.instances, [{ name: AGENT, host: '127.0.0.1' }]);
    assert.deepEqual(deployed.nodes.map((n) => [n.name, n.instance]).sort(), [['logger', AGENT], ['manager', AGENT], ['worker-01', AGENT], ['worker-02', AGENT]]);
    await same('get-config', '--deployed');
  });
});
