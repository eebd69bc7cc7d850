// Every zeek-client command, and plan/apply/drift, against a live `zeek-mgmt run`
// (Supervisor, controller, agent and emulated cluster nodes) started by the test.
// Outputs are compared with the transcripts in the Zeek docs (their host name replaced
// by ours; ids, pids and auto-assigned ports compared by shape).

import { strict as assert } from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CLI_MAIN, cleanEnv, cli, CliResult, HOST_AGENT, LiveCluster, reference, shape, startCluster, tempDir, transcriptOutput,
} from './cli-harness';

// The docs' mini cluster sniffs eth0 on worker-02; where there is none, lo stands in.
const IFACE = fs.existsSync('/sys/class/net/eth0') ? 'eth0' : 'lo';
const localize = (text: string): string => text.replace(/eth0/g, IFACE);

function json(r: CliResult): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

describe('zeek-mgmt against a live zeek-mgmt run', function () {
  this.timeout(60000);
  let cluster: LiveCluster;
  let dir: string;
  const files: Record<string, string> = {};
  const z = (...args: string[]): Promise<CliResult> => cli(['--controller', cluster.controller, ...args]);
  const zIn = (input: string, ...args: string[]): Promise<CliResult> => cli(['--controller', cluster.controller, ...args], { input });

  before(async () => {
    cluster = await startCluster();
    dir = tempDir();
    files.mini = path.join(dir, 'mini-config.ini');
    fs.writeFileSync(files.mini, localize(reference('mini-config.ini')));
    files.broken = path.join(dir, 'mini-config-with-error.ini');
    fs.writeFileSync(files.broken, reference('mini-config-with-error.ini'));
    // The mini cluster with one more node and a changed worker.
    files.changed = path.join(dir, 'changed.ini');
    fs.writeFileSync(files.changed, localize(reference('mini-config.ini')).replace('interface = lo', 'interface = lo\nenv = ZEEK_TEST=1') + '\n[proxy]\nrole = proxy\n');
  });

  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('get-instances: the connected agent, keyed by name', async () => {
    const r = await z('get-instances');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r), { [HOST_AGENT]: { host: '127.0.0.1' } });
    assert.equal(r.stderr, '');
  });

  it('get-config before anything is staged: the controller\'s error, exit 1', async () => {
    const r = await z('get-config');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: no staged configuration available\n');
  });

  it('plan against nothing deployed: everything to add, exit 2', async () => {
    const r = await z('plan', files.mini);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /^Plan for .*mini-config\.ini against nothing deployed:\n/);
    assert.match(r.stdout, new RegExp(`\\+ instance ${HOST_AGENT}\\n`));
    assert.match(r.stdout, /\+ node worker-02\n {6}instance: ".*"\n {6}role: WORKER\n {6}interface: "(eth0|lo)"\n/);
    assert.match(r.stdout, /Plan: 5 to add, 0 to change, 0 to remove\.\n$/);
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour when stdout is not a terminal');
  });

  it('stage-config FILE, then get-config prints it as the transcript shows', async () => {
    const staged = await z('stage-config', files.mini);
    assert.equal(staged.code, 0, staged.stderr);
    const id = json(staged).results.id;
    assert.deepEqual(json(staged), { errors: [], results: { id } });
    const ini = await z('get-config');
    assert.equal(ini.code, 0, ini.stderr);
    assert.equal(ini.stdout.trimEnd() + '\n', localize(transcriptOutput('mini-deployment-get-config-staged.console')).trimEnd() + '\n');
    const asJson = await z('get-config', '--as-json');
    const expected = JSON.parse(localize(transcriptOutput('mini-deployment-get-config-staged-json.console')));
    // The transcript predates metrics_port; everything else is as zeek-client prints it.
    const got = json(asJson);
    for (const n of got.nodes) {
      assert.equal(n.metrics_port, null);
      delete n.metrics_port;
    }
    assert.deepEqual(got, { ...expected, id });
    assert.match(asJson.stdout, /^\{\n {2}"id": /, 'pretty-printed with sorted keys');
    const toFile = path.join(dir, 'got.ini');
    const f = await z('get-config', '-f', toFile);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.stdout, '');
    assert.equal(fs.readFileSync(toFile, 'utf8'), ini.stdout);
    const compact = await z('--set', 'client.pretty_json=no', 'get-config', '--as-json');
    assert.deepEqual(JSON.parse(compact.stdout), JSON.parse(asJson.stdout));
    assert.match(compact.stdout, /^\{"id": "[^"]+", "instances": \[\{"name": ".*"\}\], "nodes": \[\{"cpu_affinity": null, "env": \{\}, /);
  });

  it('deploy-config FILE: per-node results, as in the transcript', async () => {
    const r = await z('deploy-config', files.mini);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const expected = JSON.parse(localize(transcriptOutput('mini-deployment.console')));
    const got = json(r);
    assert.deepEqual(got, { ...expected, results: { ...expected.results, id: got.results.id } });
  });

  it('get-config --deployed: with the ports the controller assigned', async () => {
    const r = await z('get-config', '--deployed');
    assert.equal(r.code, 0, r.stderr);
    const expected = localize(transcriptOutput('mini-deployment-get-config-deployed.console'))
      .replace('port = 2201', `port = ${cluster.brokerStartPort + 1}`)
      .replace('port = 2200', `port = ${cluster.brokerStartPort}`);
    // Newer Zeek also assigns metrics ports; the transcript predates them.
    assert.equal(r.stdout.replace(/^metrics_port = \d+\n/gm, '').trimEnd() + '\n', expected.trimEnd() + '\n');
    assert.match(r.stdout, /^metrics_port = \d+$/m);
  });

  it('get-nodes: every node per instance, shaped as in the transcript', async () => {
    const r = await z('get-nodes');
    assert.equal(r.code, 0, r.stderr);
    const got = json(r);
    const expected = JSON.parse(transcriptOutput('mini-deployment-get-nodes.console'));
    const nodes = got.results[HOST_AGENT];
    const ref = expected.results[HOST_AGENT];
    for (const name of ['logger', 'manager', 'worker-01', 'worker-02']) {
      assert.ok(nodes[name], `${name} is reported`);
      const withoutMetrics = { ...nodes[name] };
      assert.equal(typeof withoutMetrics.metrics_port, 'number');
      delete withoutMetrics.metrics_port;
      assert.deepEqual(shape(withoutMetrics), shape(ref[name]), name);
      assert.equal(nodes[name].state, 'RUNNING');
    }
    assert.equal(nodes.manager.port, cluster.brokerStartPort);
    assert.equal(nodes.logger.port, cluster.brokerStartPort + 1);
    const agent = Object.values<any>(nodes).find((n) => n.mgmt_role === 'AGENT');
    const controller = Object.values<any>(nodes).find((n) => n.mgmt_role === 'CONTROLLER');
    assert.deepEqual(shape(agent), shape(ref['agent-testbox'.replace('agent-testbox', HOST_AGENT)] ?? ref[HOST_AGENT]));
    assert.deepEqual(Object.keys(controller).sort(), ['cluster_role', 'mgmt_role', 'pid', 'port', 'state']);
    assert.deepEqual(got.errors, []);
  });

  it('get-id-value: values per node; Zeek\'s doubles keep their fraction', async () => {
    const r = await z('get-id-value', 'Cluster::node');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r), {
      errors: [],
      results: { logger: 'logger', manager: 'manager', 'worker-01': 'worker-01', 'worker-02': 'worker-02' },
    });
    const one = await z('get-id-value', 'Log::default_rotation_interval', 'worker-01');
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /"worker-01": "1\.0 day"\n/, 'intervals render as Zeek describes them; a worker rotates daily');
    assert.deepEqual(Object.keys(json(one).results), ['worker-01']);
  });

  it('plan with the deployed file: no changes, exit 0 (auto-assigned ports do not count)', async () => {
    const r = await z('plan', files.mini);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^No changes\. .*mini-config\.ini matches the deployed configuration [0-9a-f-]+\.\n$/);
    const j = await z('plan', '--json', files.mini);
    assert.equal(j.code, 0);
    assert.equal(json(j).has_changes, false);
    assert.deepEqual(json(j).changes, []);
  });

  it('plan with a changed file: node and field changes, exit 2; --json lists them', async () => {
    const r = await z('plan', files.changed);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /\+ node proxy\n {6}instance: ".*"\n {6}role: PROXY\n/);
    assert.match(r.stdout, /~ node worker-01\n {6}env: \{\} -> \{"ZEEK_TEST": "1"\}\n/);
    assert.match(r.stdout, /Plan: 1 to add, 1 to change, 0 to remove\.\n$/);
    const colored = await cli(['--controller', cluster.controller, 'plan', files.changed], { env: { FORCE_COLOR: '1' } });
    assert.match(colored.stdout, /\x1b\[32m {2}\+ node proxy\x1b\[39m/);
    const j = await z('plan', '--json', files.changed);
    assert.equal(j.code, 2);
    const plan = json(j);
    assert.deepEqual(plan.summary, { add: 1, update: 1, remove: 0 });
    assert.deepEqual(plan.changes.map((c: any) => [c.action, c.kind, c.name]), [['add', 'node', 'proxy'], ['update', 'node', 'worker-01']]);
    assert.deepEqual(plan.changes[1].fields, [{ field: 'env', before: {}, after: { ZEEK_TEST: '1' } }]);
  });

  it('drift: in sync with the deployed file (exit 0), drifted against the changed one (exit 2)', async () => {
    const same = await z('drift', files.mini, '--format', 'json');
    assert.equal(same.code, 0, same.stdout + same.stderr);
    const report = json(same);
    assert.equal(report.in_sync, true);
    assert.deepEqual(report.differences, []);
    assert.equal(report.nodes.manager.running.state, 'RUNNING');
    assert.equal(report.nodes.manager.deployed.port, cluster.brokerStartPort);
    assert.equal(report.configurations.staged.id, report.configurations.deployed.id);

    const md = await z('drift', files.changed);
    assert.equal(md.code, 2, md.stderr);
    assert.match(md.stdout, /^## Zeek cluster drift: drifted \(2 differences\)\n/);
    assert.match(md.stdout, /\| proxy \| PROXY @ .* \| - \| - \| - \| \*\*drifted\*\* \|/);
    assert.match(md.stdout, /- `node worker-01` \(desired vs deployed\): env \{\} deployed, \{"ZEEK_TEST": "1"\} in .*changed\.ini/);
    const noFile = await z('drift');
    assert.equal(noFile.code, 0, noFile.stdout);
    assert.match(noFile.stdout, /in sync/);
  });

  it('apply: stages and deploys only what changes, with deploy-config\'s JSON', async () => {
    const before = json(await z('get-config', '--deployed', '--as-json')).id;
    const r = await z('apply', files.changed);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const got = json(r);
    assert.notEqual(got.results.id, before);
    assert.deepEqual(Object.keys(got.results.nodes), ['logger', 'manager', 'proxy', 'worker-01', 'worker-02']);
    assert.ok(Object.values<any>(got.results.nodes).every((n) => n.success === true && n.instance === HOST_AGENT));
    assert.equal((await z('plan', files.changed)).code, 0);

    const again = await z('-vv', 'apply', files.changed);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(json(again).results.id, got.results.id, 'nothing new was staged or deployed');
    assert.match(again.stderr, /info: No changes: .*changed\.ini matches the deployed configuration/);
    // Without -v: the plan says so, and the outcome says nothing was deployed.
    const quiet = await z('apply', files.changed);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.match(quiet.stderr, /^No changes\. .*changed\.ini matches the deployed configuration/);
    assert.ok(quiet.stderr.endsWith('info: no changes, nothing deployed\n'), quiet.stderr);
    const asJson = await z('apply', '--json', files.changed);
    assert.equal(asJson.code, 0, asJson.stderr);
    const doc = json(asJson);
    assert.equal(doc.deployed, false);
    assert.equal(doc.plan.has_changes, false);
    assert.equal(doc.result.results.id, got.results.id);
    assert.ok(asJson.stderr.endsWith('info: no changes, nothing deployed\n'), asJson.stderr);
    assert.equal(json(await z('get-config', '--deployed', '--as-json')).id, got.results.id);
  });

  it('a mistyped key: plan, apply and drift warn on stderr by default, zeek-client\'s stage-config only with -v; --strict refuses it', async () => {
    const typo = path.join(dir, 'typo.ini');
    fs.writeFileSync(typo, fs.readFileSync(files.changed, 'utf8').replace('interface = lo', 'interfac = lo'));
    const warning = 'warning: ignoring unexpected keys: interfac\n';
    const plan = await z('plan', typo);
    assert.equal(plan.code, 2, plan.stderr);
    assert.ok(plan.stderr.startsWith(warning), plan.stderr);
    assert.match(plan.stdout, /interface: "lo" -> unset/);
    const drift = await z('drift', typo);
    assert.equal(drift.code, 2, drift.stderr);
    assert.ok(drift.stderr.startsWith(warning), drift.stderr);
    const before = json(await z('get-config', '--deployed', '--as-json')).id;
    const strict = await z('apply', '--strict', typo);
    assert.equal(strict.code, 1);
    assert.equal(strict.stdout, '');
    assert.equal(strict.stderr, 'error: configuration has errors (strict), not sending: section [worker-01]: unexpected keys: interfac\n');
    assert.equal(json(await z('get-config', '--deployed', '--as-json')).id, before, 'nothing was deployed');
    const staged = await z('stage-config', typo);
    assert.equal(staged.code, 0, staged.stderr);
    assert.equal(staged.stderr, '', 'zeek-client\'s command keeps zeek-client\'s warning level');
    assert.ok((await z('-v', 'stage-config', typo)).stderr.startsWith(warning));
    // Back to what the apply test deployed.
    assert.equal((await z('stage-config', files.changed)).code, 0);
  });

  it('apply --json of a change: the plan, deployed: true and deploy-config\'s result', async () => {
    const r = await z('apply', '--json', files.mini);
    assert.equal(r.code, 0, r.stderr);
    const doc = json(r);
    assert.equal(doc.deployed, true);
    assert.ok(doc.plan.summary.remove >= 1, JSON.stringify(doc.plan));
    assert.ok(Object.values<any>(doc.result.results.nodes).every((n) => n.success === true));
    assert.equal(doc.result.results.id, json(await z('get-config', '--deployed', '--as-json')).id);
    assert.doesNotMatch(r.stderr, /^Plan for/, 'with --json the plan is only in the document');
    assert.ok(r.stderr.endsWith(`info: deployed ${files.mini}\n`), r.stderr);
    assert.equal((await z('apply', files.changed)).code, 0);
  });

  it('drift: a staged configuration that is not deployed', async () => {
    assert.equal((await z('stage-config', files.mini)).code, 0);
    const r = await z('drift', '--format', 'json');
    assert.equal(r.code, 2);
    const report = json(r);
    assert.deepEqual(report.differences.map((d: any) => [d.subject, d.compared]), [['node proxy', 'staged'], ['node worker-01', 'staged']]);
    assert.equal(report.differences[0].message, 'deployed but not staged');
  });

  it('deploy: deploys the staged configuration', async () => {
    const r = await z('deploy');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(Object.keys(json(r).results.nodes), ['logger', 'manager', 'worker-01', 'worker-02']);
    assert.equal((await z('drift', files.mini)).code, 0);
  });

  it('restart: all nodes, or the named ones; an unknown node is an error', async () => {
    const all = await z('restart');
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(json(all), { errors: [], results: { logger: true, manager: true, 'worker-01': true, 'worker-02': true } });
    const some = await z('restart', 'worker-01', 'nope');
    assert.equal(some.code, 1);
    assert.deepEqual(json(some), { errors: [{ error: 'unknown cluster node', source: 'nope' }], results: { 'worker-01': true } });
  });

  it('deploy-config with a failing node: its stdout/stderr, exit 1 (transcript)', async () => {
    const r = await z('deploy-config', files.broken);
    assert.equal(r.code, 1);
    const got = json(r);
    const expected = JSON.parse(localize(transcriptOutput('mini-deployment-error.console')));
    // The transcript predates Zeek 8.0, whose supervised nodes place this error at their
    // parameters (seen with Zeek 8.0.9 here; test/real-zeek-clients.test.ts).
    const bad = expected.results.nodes['worker-02'];
    bad.stderr = bad.stderr.replace(/^fatal error: /, 'fatal error in <params>, line 1: ');
    assert.deepEqual(got.results.nodes['worker-02'], bad);
    assert.deepEqual(shape(got), shape({ ...expected, errors: got.errors.map(() => '') }));
  });

  it('stage-config - reads the configuration from stdin', async () => {
    const r = await zIn(reference('mini-config.ini').replace(/eth0/g, 'lo'), 'stage-config', '-');
    assert.equal(r.code, 0, r.stderr);
    const ini = await z('get-config');
    assert.match(ini.stdout, /\[worker-02\]\ninstance = .*\nrole = WORKER\ninterface = lo\n/);
  });

  it('monitor: reports the controller\'s events until interrupted (exit 0)', async () => {
    const proc: ChildProcess = spawn(process.execPath, [CLI_MAIN, '--controller', cluster.controller, 'monitor'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      // Wait until the monitor has peered (it logs nothing at default verbosity), then cause traffic.
      const deadline = Date.now() + 10000;
      while (!out.includes('get_instances_response') && Date.now() < deadline) {
        await z('get-instances');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(out, /^received "Management::Controller::API::get_instances_response\(reqid: <class 'zeekclient\.brokertypes\.String'>, result: <class 'zeekclient\.brokertypes\.Vector'>\)"$/m);
    } finally {
      proc.kill('SIGINT');
    }
    assert.equal(await exited, 0);
  });
});

describe('zeek-mgmt against a live controller (zeek-mgmt run controller)', function () {
  this.timeout(30000);
  let cluster: LiveCluster;
  const z = (...args: string[]): Promise<CliResult> => cli(['--controller', cluster.controller, ...args]);

  before(async () => {
    cluster = await startCluster({ controllerOnly: true, settings: ['Management::Request::timeout_interval=1 sec'] });
  });

  after(async () => {
    await cluster?.stop();
  });

  it('test-timeout: the controller lets the request time out', async () => {
    const r = await z('test-timeout', '--with-state');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r), { error: 'request timed out', success: false });
  });

  it('get-instances without agents: an empty object', async () => {
    const r = await z('get-instances');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{}\n');
  });

  it('get-nodes without agents: the controller\'s error, exit 1', async () => {
    const r = await z('get-nodes');
    assert.equal(r.code, 1);
    assert.deepEqual(json(r), { errors: [{ error: 'no instances connected', source: null }], results: {} });
  });

  it('zeek-mgmt run ends cleanly on Ctrl-C (SIGINT reaches the Supervisor, not the CLI\'s own handler)', async () => {
    const exited = new Promise<number | null>((resolve) => cluster.proc.once('exit', (code) => resolve(code)));
    process.kill(cluster.pid, 'SIGINT');
    assert.equal(await exited, 0);
    assert.match(cluster.output(), /received SIGINT, stopping/);
    assert.match(cluster.output(), /stopped/);
  });
});
