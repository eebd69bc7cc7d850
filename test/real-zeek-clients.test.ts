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
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkInputs, zeekClusterProvider as provider } from '../provider/dynamic-provider';
import { CheckedInputs, ClusterOutputs } from '../provider/inputs';
import { cli, CliResult, REFERENCE_DIR } from './cli-harness';
import { findZeek, findZeekClient, RealZeekManagement, startRealZeek } from './helpers/real-zeek';

const MASKS: Array<[RegExp, string]> = [
  [/"pid": \d+/g, '"pid": <pid>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<id>'],
];
const mask = (t: string): string => MASKS.reduce((s, [re, to]) => s.replace(re, to), t);

describe('zeek-mgmt against Zeek\'s own controller and agent', function () {
  this.timeout(120000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let z: RealZeekManagement;
  let files: Record<string, string>;

  before(async function () {
    if (zeek === null || zc === null) {
      console.log(`      (skipped: ${zeek === null ? 'no zeek binary; set ZEEK or run ../shared/tools/build-zeek.sh' : 'no zeek-client; set ZEEK_CLIENT'})`);
      this.skip();
    }
    z = await startRealZeek(zeek);
    const mini = fs.readFileSync(path.join(REFERENCE_DIR, 'mini-config.ini'), 'utf8').replace(/eth0/g, 'lo');
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
    const until = Date.now() + 60000;
    for (;;) {
      const r = await ours('get-instances');
      if (r.code === 0 && z.agentName in JSON.parse(r.stdout)) break;
      if (Date.now() > until) throw new Error(`Zeek's agent never reached its controller: ${r.stdout}${r.stderr}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  });

  after(async () => {
    await z?.stop();
  });

  const controllerArgs = (): string[] => ['--controller', `127.0.0.1:${z.wsPort}`];

  function zeekClient(...args: string[]): CliResult {
    const [cmd, ...pre] = zc as string[];
    const r = spawnSync(cmd, [...pre, ...controllerArgs(), ...args], { encoding: 'utf8', timeout: 60000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function ours(...args: string[]): Promise<CliResult> {
    return cli([...controllerArgs(), ...args], { timeoutMs: 60000 });
  }

  /** Runs a command with both clients and requires the same output and exit code. */
  async function same(...args: string[]): Promise<CliResult> {
    const theirs = zeekClient(...args);
    const mine = await ours(...args);
    assert.equal(mine.code, theirs.code, `${args.join(' ')}: exit ${mine.code} vs zeek-client's ${theirs.code}\n${mine.stderr}`);
    assert.equal(mask(mine.stdout), mask(theirs.stdout), `${args.join(' ')}: stdout differs`);
    assert.equal(mine.stderr, theirs.stderr, `${args.join(' ')}: stderr differs`);
    return mine;
  }

  const pidOf = async (node: string): Promise<number> => {
    const r = await ours('get-nodes');
    return JSON.parse(r.stdout).results[z.agentName][node].pid;
  };

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

  it('restart manager gives the manager a new pid', async () => {
    const before = await pidOf('manager');
    const r = await ours('restart', 'manager');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { errors: [], results: { manager: true } });
    // Zeek's Supervisor answers once the restart is under way; the new process shows up shortly.
    const until = Date.now() + 20000;
    while ((await pidOf('manager')) === before) {
      assert.ok(Date.now() < until, 'the manager kept its pid');
      await new Promise((res) => setTimeout(res, 250));
    }
    await same('restart', 'manager');
  });

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
