// Zeek's own agent under our controller (issue 12, point 1): the real
// `zeek -j policy/frameworks/management/agent` (Zeek's agent with Zeek's own Supervisor and
// real Zeek cluster nodes sniffing lo), told its controller by ZEEK_CONTROLLER_PORT as
// Zeek's agent/config.zeek reads it, peers with our controller's agent port over native
// Broker (anonymous TLS, Zeek's default). The documentation's sequence then runs through
// zeek-client and through zeek-mgmt against our controller, and both print the same.
//
// Needs a zeek binary ($ZEEK, PATH or /opt/zeek/bin/zeek) and zeek-client; skipped with a
// one-line reason otherwise.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControllerProcess } from './helpers/controller-process';
import { findZeek, findZeekClient, RealZeekManagement } from './helpers/real-zeek';
import { restartGivesManagerNewPid, sideBySide, skipUnlessZeek } from './helpers/side-by-side';
import { startZeekAgentUnderOurs, stopZeekAgentUnderOurs } from './helpers/zeek-agent-under-ours';

describe('Zeek\'s agent peering natively with our controller', function () {
  this.timeout(180_000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let ctl: ControllerProcess;
  let z: RealZeekManagement;
  let mini: string;

  // Both clients against our controller: the same output (pids masked) and exit code.
  const started: { ctl?: ControllerProcess; z?: RealZeekManagement } = {};
  const s = sideBySide(zc ?? [], () => started.ctl!.wsPort);
  const { ours, zeekClient, same } = s;

  before(async function () {
    skipUnlessZeek(this, zeek, zc);
    ({ ctl, z, mini } = await startZeekAgentUnderOurs(zeek!, s, started));
  });

  after(async () => {
    await stopZeekAgentUnderOurs(s, started);
  });

  it('checked in over native Broker with anonymous TLS', () => {
    assert.ok(ctl.logEntries().some((e) => /agent port: native Broker peer \S+ over TLS/.test(e.message)), 'the controller logged a native TLS peering');
    assert.ok(ctl.logEntries().some((e) => new RegExp(`rx Management::Agent::API::notify_agent_hello ${z.agentName} \\S+ T`).test(e.message)));
  });

  it('deploy-config of the mini configuration (workers on lo) starts real Zeek nodes; get-nodes the same through both clients', async () => {
    const r = await ours('deploy-config', mini);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const res = JSON.parse(r.stdout) as { errors: unknown[]; results: { nodes: Record<string, { success: boolean; instance: string }> } };
    assert.deepEqual(res.errors, []);
    assert.deepEqual(Object.keys(res.results.nodes).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    for (const n of Object.values(res.results.nodes)) assert.deepEqual([n.success, n.instance], [true, z.agentName]);
    // zeek-client deploys it again: the same answer shape.
    const theirs = zeekClient('deploy-config', mini);
    assert.equal(theirs.code, 0, theirs.stdout + theirs.stderr);
    assert.deepEqual(Object.keys(JSON.parse(theirs.stdout).results.nodes).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    const all = JSON.parse((await same('get-nodes')).stdout).results[z.agentName] as Record<string, { state: string; pid: number }>;
    for (const n of ['logger', 'manager', 'worker-01', 'worker-02']) {
      assert.equal(all[n].state, 'RUNNING', n);
      assert.match(fs.readFileSync(`/proc/${all[n].pid}/cmdline`, 'utf8'), /zeek\0/, `${n} is a real zeek process`);
    }
  });

  it('get-id-value, answered by the real nodes through Zeek\'s agent', async () => {
    const node = JSON.parse((await same('get-id-value', 'Cluster::node')).stdout);
    assert.deepEqual(node, { errors: [], results: { logger: 'logger', manager: 'manager', 'worker-01': 'worker-01', 'worker-02': 'worker-02' } });
    await same('get-id-value', 'Log::default_rotation_interval', 'manager', 'logger');
    const bad = await same('get-id-value', 'No::such_id', 'manager');
    assert.equal(bad.code, 1);
  });

  it('restart manager gives the manager a new pid', () => restartGivesManagerNewPid(s, z.agentName));

  it('get-config --deployed, in both forms, the same through both clients', async () => {
    const ini = (await same('get-config', '--deployed')).stdout;
    assert.match(ini, new RegExp(`\\[instances\\]\\n${z.agentName}\\n`));
    assert.match(ini, new RegExp(`\\[worker-02\\]\\ninstance = ${z.agentName}\\nrole = WORKER\\ninterface = lo\\n`));
    await same('get-config', '--deployed', '--as-json');
  });
});
