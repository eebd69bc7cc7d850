// Our controller -> Zeek's agent (issue 12, point 2): Zeek's own
// `zeek -j policy/frameworks/management/agent` (its Supervisor, real zeek cluster nodes
// sniffing lo) listens on its 2151-equivalent with Management::Agent::controller at
// 0.0.0.0, so that the controller connects to it. `zeek-mgmt run controller` is given a
// configuration whose [instances] names that agent as host:port, connects to it in native
// Broker over anonymous TLS (as Zeek's controller does, Broker::peer), and deploys. Then
// get-nodes, get-id-value, restart and get-config --deployed pass through zeek-client and
// through zeek-mgmt, which must print the same (pids and ids masked).
//
// Needs zeek ($ZEEK, PATH or /opt/zeek/bin/zeek) and zeek-client; skipped otherwise.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findZeek, findZeekClient, RealZeekManagement, startRealZeek } from './helpers/real-zeek';
import { maskPidsAndIds, miniConfigOnLo, NodeRow, restartGivesManagerNewPid, sideBySide, skipUnlessZeek } from './helpers/side-by-side';
import { RunHandle, startRun, tempDir } from './run-support';

const AGENT = 'agent-zeek';

describe('our controller deploys through Zeek\'s own agent (native Broker, the controller connects)', function () {
  this.timeout(180000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let z: RealZeekManagement | undefined;
  let ctl: RunHandle | undefined;
  let dir: string;
  let ini: string;
  const s = sideBySide(zc ?? [], () => ctl!.ports.websocket, { timeoutMs: 90_000, mask: maskPidsAndIds });
  const { ours, same } = s;

  before(async function () {
    skipUnlessZeek(this, zeek, zc);
    z = await startRealZeek(zeek!, {
      components: ['agent'], agentName: AGENT,
      redefs: ['Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]'],
    });
    dir = tempDir('zeek-mgmt-to-zeek-agent-');
    ctl = await startRun({ roles: ['controller'], stateDir: dir, extra: ['Management::Request::timeout_interval=30 secs'] });
    // The documentation's mini configuration, all on Zeek's agent, which the controller dials.
    ini = path.join(dir, 'mini-on-zeek-agent.ini');
    fs.writeFileSync(ini, miniConfigOnLo({ name: AGENT, instanceLine: `${AGENT} = 127.0.0.1:${z.agentPort}` }));
  });

  after(async () => {
    if (ctl) {
      await ours('deploy-config', '/dev/null').catch(() => undefined);
      await ctl.stop();
    }
    await z?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploy-config: the controller connects to Zeek\'s agent and its real nodes come up', async () => {
    const r = await ours('deploy-config', ini);
    assert.equal(r.code, 0, r.stdout + r.stderr + ctl!.stderr());
    const out = JSON.parse(r.stdout) as { errors: unknown[]; results: { nodes: Record<string, { success: boolean; instance: string }> } };
    assert.deepEqual(out.errors, []);
    assert.deepEqual(Object.keys(out.results.nodes).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    for (const n of Object.values(out.results.nodes)) assert.deepEqual([n.success, n.instance], [true, AGENT]);
    // The instance is the one we dial; Zeek's agent announced itself under its own name.
    assert.deepEqual(JSON.parse((await same('get-instances')).stdout), { [AGENT]: { host: '127.0.0.1', port: z!.agentPort } });
    // zeek-client deploys it once more: the same answer, with a new id.
    await same('deploy-config', ini);
  });

  it('get-nodes: real zeek processes under Zeek\'s Supervisor', async () => {
    const ns = JSON.parse((await same('get-nodes')).stdout).results[AGENT] as Record<string, NodeRow>;
    for (const n of ['logger', 'manager', 'worker-01', 'worker-02']) {
      assert.equal(ns[n]?.state, 'RUNNING', n);
      assert.match(fs.readFileSync(`/proc/${ns[n].pid}/cmdline`, 'utf8'), /zeek/, n);
    }
    // Zeek's agent lists itself too.
    assert.equal(ns[AGENT]?.mgmt_role, 'AGENT');
  });

  it('get-id-value, answered by the real nodes through Zeek\'s agent', async () => {
    const node = JSON.parse((await same('get-id-value', 'Cluster::node')).stdout);
    assert.deepEqual(node.results, { logger: 'logger', manager: 'manager', 'worker-01': 'worker-01', 'worker-02': 'worker-02' });
    await same('get-id-value', 'Log::default_rotation_interval');
    await same('get-id-value', 'No::such_id');
  });

  it('restart manager gives the manager a new pid', () => restartGivesManagerNewPid(s, AGENT));

  it('get-config --deployed, plain and as JSON', async () => {
    const deployed = JSON.parse((await same('get-config', '--deployed', '--as-json')).stdout) as { instances: unknown[]; nodes: Array<{ name: string; instance: string }> };
    assert.deepEqual(deployed.instances, [{ name: AGENT, host: '127.0.0.1', port: z!.agentPort }]);
    assert.deepEqual(deployed.nodes.map((n) => [n.name, n.instance]).sort(), [['logger', AGENT], ['manager', AGENT], ['worker-01', AGENT], ['worker-02', AGENT]]);
    await same('get-config', '--deployed');
  });
});
