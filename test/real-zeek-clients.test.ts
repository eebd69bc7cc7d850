// Our clients against Zeek's own controller and agent (issue 11, part 2): the real
// `zeek -j policy/frameworks/management/controller policy/frameworks/management/agent`
// with real Zeek cluster nodes sniffing `lo`. Every zeek-client command of the
// documentation is run with zeek-client and with zeek-mgmt against the same Zeek, and the
// two must print the same (pids and ids masked) and exit alike. Then zeek-mgmt's own
// plan / apply / drift and the ZeekCluster provider run against that Zeek.
//
// Needs a zeek binary ($ZEEK, PATH or /opt/zeek/bin/zeek, see ../shared/tools/build-zeek.sh)
// and zeek-client ($ZEEK_CLIENT or next to zeek); skipped with a one-line reason otherwise.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkInputs, zeekClusterProvider as provider } from '../provider/dynamic-provider';
import { CheckedInputs, ClusterOutputs } from '../provider/inputs';
import { REFERENCE_DIR } from './cli-harness';
import { findZeek, findZeekClient, RealZeekManagement, startRealZeek } from './helpers/real-zeek';
import { maskPidsAndIds, miniConfigOnLo, restartGivesManagerNewPid, sideBySide, skipUnlessZeek, waitForInstance } from './helpers/side-by-side';

describe('zeek-mgmt against Zeek\'s own controller and agent', function () {
  this.timeout(120000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let z: RealZeekManagement;
  let files: Record<string, string>;
  // Both clients against Zeek's controller: the same output (pids and ids masked) and exit code.
  const s = sideBySide(zc ?? [], () => z.wsPort, { mask: maskPidsAndIds });
  const { ours, zeekClient, same } = s;

  before(async function () {
    skipUnlessZeek(this, zeek, zc);
    z = await startRealZeek(zeek!);
    const mini = miniConfigOnLo();
    const withError = fs.readFileSync(path.join(REFERENCE_DIR, 'mini-config-with-error.ini'), 'utf8').replace(/eth0/g, 'lo');
    files = {
      mini: path.join(z.dir, 'mini-config.ini'),
      withError: path.join(z.dir, 'mini-config-with-error.ini'),
      bad: path.join(z.dir, 'bad.ini'),
      small: path.join(z.dir, 'small.ini'),
    };
    fs.writeFileSync(files.mini, mini);
    fs.writeFileSync(files.withError, withError);
    fs.writeFileSync(files.bad, '[manager]\nrole = manager\nport = 2300\n\n[proxy]\nrole = proxy\nport = 2300\n');
    fs.writeFileSync(files.small, '[manager]\nrole = manager\n\n[logger]\nrole = logger\n\n[worker-01]\nrole = worker\ninterface = lo\n');
    // The agent peers with the controller a moment after start.
    await waitForInstance(s, z.agentName, () => `Zeek's agent, under its controller:\n${fs.readFileSync(path.join(z.dir, 'zeek.out'), 'utf8')}`);
  });

  after(async () => {
    await z?.stop();
  });

  it('deploy-config of the mini configuration (workers on lo), then get-nodes: the same as zeek-client', async () => {
    const r = await ours('deploy-config', files.mini);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).errors, []);
    // zeek-client deploys it once more: the same answer, with a new id.
    await same('deploy-config', files.mini);
    const nodes = JSON.parse((await same('get-nodes')).stdout).results[z.agentName];
    for (const n of ['logger', 'manager', 'worker-01', 'worker-02']) assert.equal(nodes[n].state, 'RUNNING', n);
  });

  it('get-instances and get-config in all its forms', async () => {
    await same('get-instances');
    for (const form of [[], ['--deployed'], ['--as-json'], ['--deployed', '--as-json']]) await same('get-config', ...form);
  });

  it('get-id-value, answered by the real nodes', async () => {
    const node = JSON.parse((await same('get-id-value', 'Cluster::node')).stdout);
    assert.deepEqual(node.results, { logger: 'logger', manager: 'manager', 'worker-01': 'worker-01', 'worker-02': 'worker-02' });
    await same('get-id-value', 'Log::default_rotation_interval');
    await same('get-id-value', 'LogAscii::use_json', 'manager', 'worker-01');
    await same('get-id-value', 'No::such_id');
  });

  it('restart manager gives the manager a new pid', () => restartGivesManagerNewPid(s, z.agentName));

  it('stage-config with errors, and the failing-node deploy of mini-config-with-error.ini', async () => {
    await same('stage-config', files.bad);
    const r = await ours('deploy-config', files.withError);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.errors, ['request timed out']);
    assert.equal(out.results.nodes['worker-02'].success, false);
    assert.match(out.results.nodes['worker-02'].stderr, /problem with interface not-a-valid-interface \(pcap_error: No such device exists \(pcap_activate\)\)/);
    const theirs = zeekClient('deploy-config', files.withError);
    assert.equal(theirs.code, 1);
    assert.deepEqual(Object.keys(JSON.parse(theirs.stdout)), Object.keys(out));
  });

  it('plan, apply and drift', async () => {
    const applied = await ours('apply', files.mini);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const plan = await ours('plan', files.mini);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /^No changes\./);
    const inSync = await ours('drift', files.mini);
    assert.equal(inSync.code, 0, inSync.stdout + inSync.stderr);
    // An operator deploys something else with zeek-client: plan and drift see it.
    const oob = zeekClient('deploy-config', files.small);
    assert.equal(oob.code, 0, oob.stdout);
    assert.equal((await ours('plan', files.mini)).code, 2);
    assert.equal((await ours('drift', files.mini)).code, 2);
  });

  it('the ZeekCluster provider: create, diff, update, read after an out-of-band deploy, delete', async () => {
    const controller = { host: '127.0.0.1', port: z.wsPort, peeringAttempts: 3, peeringRetryDelaySecs: 0.5 };
    const checked = (nodes: Record<string, unknown>): CheckedInputs => {
      const r = checkInputs({ controller, nodes });
      assert.deepEqual(r.failures, []);
      return r.inputs!;
    };
    const mini = { manager: { role: 'manager' }, logger: { role: 'logger' }, 'worker-01': { role: 'worker', interface: 'lo' }, 'worker-02': { role: 'worker', interface: 'lo' } };
    const created = await provider.create(checked(mini));
    const outs = created.outs as ClusterOutputs;
    assert.deepEqual(Object.keys(outs.deployed.nodes), ['logger', 'manager', 'worker-01', 'worker-02']);
    assert.equal(outs.deployed.nodes.manager.port, z.brokerStartPort);
    assert.deepEqual(await provider.diff(created.id, outs, checked(mini)), { changes: false });
    const bigger = { ...mini, 'worker-03': { role: 'worker', interface: 'lo' } };
    assert.deepEqual(await provider.diff(created.id, outs, checked(bigger)), { changes: true });
    const updated = (await provider.update(created.id, outs, checked(bigger))).outs as ClusterOutputs;
    assert.equal(updated.results['worker-03']?.success, true);
    assert.equal(zeekClient('deploy-config', files.small).code, 0);
    const read = await provider.read(created.id, updated);
    assert.deepEqual(Object.keys((read.props as ClusterOutputs).deployed.nodes), ['logger', 'manager', 'worker-01']);
    assert.deepEqual(await provider.diff(created.id, read.props as ClusterOutputs, checked(bigger)), { changes: true });
    await provider.delete(created.id, read.props as ClusterOutputs);
    const after = JSON.parse((await ours('get-config', '--deployed', '--as-json')).stdout);
    assert.deepEqual(after.nodes ?? [], []);
  });
});
