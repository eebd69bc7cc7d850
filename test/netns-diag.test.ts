// `zeek-mgmt diag` across hosts (issue 24 point 6): a controller host and two sensor hosts,
// network namespaces on one bridge (test/helpers/netns.ts), each sensor with its own
// `zeek-mgmt run agent` and emulated nodes, the agents connecting to the controller in
// native Broker over TLS with certificates. A node on a remote sensor crashes (it fails at
// start-up as Zeek fails on an interface that does not exist, again and again), another is
// killed with SIGKILL; `zeek-mgmt diag`, run on the controller's host, shows both: stderr
// line, exit status or signal, restart count. A sensor cut off the network is named, with
// the other sensor's answer intact, after the controller's request timeout.

import * as assert from 'node:assert/strict';
import { ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { createHosts, Hosts, NetnsHost, netnsSkipReason } from './helpers/netns';
import { REPO, RUN_JS, tempDir, waitFor } from './run-support';

const CLI_JS = path.join(REPO, 'dist/cli/zeek-mgmt.js');
const CONTROLLER_PORT = 2150;
const WS_PORT = 2149;
const AGENT_PORT = 2151;
/** The controller's request timeout; the agents' is shorter, so a deploy's answer reaches it in time. */
const CONTROLLER_TIMEOUT_S = 4;
const AGENT_TIMEOUT_S = 2;
const BAD_INTERFACE = 'zmdiag0';

describe('zeek-mgmt diag across network namespaces (issue 24 point 6)', function () {
  this.timeout(60000);
  const skip = netnsSkipReason() ?? (fs.existsSync(RUN_JS) && fs.existsSync(CLI_JS) ? null : 'build first (npm run build)');
  let hosts: Hosts;
  let certs: TestCerts;
  let dir = '';
  const procs = new Map<string, { child: ChildProcess; out: () => string }>();

  const tls = (): string[] => [`Broker::ssl_cafile=${certs.caCert}`, `Broker::ssl_certificate=${certs.serverCert}`, `Broker::ssl_keyfile=${certs.serverKey}`];
  const start = (host: NetnsHost, args: string[]): void => {
    const child = hosts.exec(host, [process.execPath, RUN_JS, ...args]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    procs.set(host.name, { child, out: () => out });
  };
  /** `zeek-mgmt ARGS` run on the controller's host. */
  const cli = (args: string[], input?: string): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('ip', ['netns', 'exec', hosts.controller.ns, process.execPath, CLI_JS, '--controller', `127.0.0.1:${WS_PORT}`, ...args], { encoding: 'utf8', timeout: 30000, input });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const diagJson = (args: string[] = []): any => {
    const r = cli(['diag', '--json', ...args]);
    assert.ok(r.status === 0 || r.status === 2 || r.status === 1, `diag: ${r.status} ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  before(async function () {
    if (skip) {
      console.log(`      skipped: ${skip}`);
      this.skip();
    }
    hosts = await createHosts(2);
    certs = makeTestCerts(hosts.all().map((h) => h.addr));
    dir = tempDir('zeek-mgmt-netns-diag-');
    const ctl = path.join(dir, 'controller');
    start(hosts.controller, [
      'controller', `Management::state_dir=${ctl}`, `Management::spool_dir=${ctl}/spool`,
      `Management::Controller::default_port=${CONTROLLER_PORT}/tcp`, `Management::Controller::default_port_websocket=${WS_PORT}/tcp`,
      'Management::connect_retry=0.2 secs', `Management::Request::timeout_interval=${CONTROLLER_TIMEOUT_S} secs`, ...tls(),
    ]);
    for (const s of hosts.sensors) {
      const d = path.join(dir, s.name);
      start(s, [
        'agent', `Management::state_dir=${d}`, `Management::spool_dir=${d}/spool`,
        'Broker::default_port=9999/tcp', `Management::Agent::default_port=${AGENT_PORT}/tcp`,
        `Management::Agent::name=${s.name}`, 'Management::Agent::node_runtime=EMULATED', 'Management::connect_retry=0.2 secs',
        `Management::Request::timeout_interval=${AGENT_TIMEOUT_S} secs`,
        `Management::Agent::controller=[$address="${hosts.controller.addr}", $bound_port=${CONTROLLER_PORT}/tcp]`, ...tls(),
      ]);
    }
    await waitFor('both agents at the controller', () => {
      const r = cli(['get-instances']);
      return r.status === 0 && Object.keys(JSON.parse(r.stdout)).length === 2;
    }, 30000, 300);
    const ini = [
      '[instances]', 'sensor-1', 'sensor-2', '',
      '[manager]', 'instance = sensor-1', 'role = manager', '',
      '[worker-1]', 'instance = sensor-1', 'role = worker', 'interface = lo', '',
      '[worker-2]', 'instance = sensor-2', 'role = worker', 'interface = lo', '',
      '[worker-3]', 'instance = sensor-2', 'role = worker', `interface = ${BAD_INTERFACE}`, '',
    ].join('\n');
    const r = cli(['deploy-config', '-'], ini);
    // worker-3 never checks in: the deployment says so.
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /worker-3/);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const [n, p] of procs) console.log(`--- ${n} output:\n${p.out().slice(-2000)}`);
  });

  after(async () => {
    await hosts?.teardown();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  it('shows, on the controller\'s host, a remote node that keeps crashing: its stderr line, exit status, growing restarts', async () => {
    const r = cli(['diag', 'worker-3']);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /^\[worker-3\]\ninstance: +sensor-2 \(WORKER\)$/m);
    assert.match(r.stdout, /^last exit: +exit status 1, at /m);
    assert.ok(r.stdout.includes(`fatal error in <params>, line 1: problem with interface ${BAD_INTERFACE}`), r.stdout);
    const first = Number(/restarts since deployment: (\d+)/.exec(r.stdout)![1]);
    await waitFor('worker-3 restarted once more', () => diagJson(['worker-3']).results['sensor-2']['worker-3'].restarts > first, 20000, 500);
  });

  it('a remote node killed by a signal: the signal, the new pid get-nodes shows, the other sensor untouched', async () => {
    const before = diagJson();
    assert.deepEqual(before.errors, []);
    const w2 = before.results['sensor-2']['worker-2'];
    assert.equal(w2.state, 'RUNNING');
    assert.ok(hosts.pids(hosts.sensors[1]).includes(w2.pid), 'worker-2 runs on sensor-2');
    process.kill(w2.pid, 'SIGKILL');
    const after = await waitFor('worker-2 running again', () => {
      const d = diagJson(['worker-2']).results['sensor-2']['worker-2'];
      return d.state === 'RUNNING' && d.pid !== w2.pid ? d : null;
    }, 20000, 300);
    assert.equal(after.last_exit.signal, 'SIGKILL');
    assert.equal(after.restarts, 1);
    const nodes = JSON.parse(cli(['get-nodes']).stdout).results;
    assert.equal(nodes['sensor-2']['worker-2'].pid, after.pid);
    const text = cli(['diag', 'worker-2']).stdout;
    assert.match(text, /^last exit: +killed by signal SIGKILL, at .* UTC after /m);
    const s1 = diagJson().results['sensor-1'];
    for (const n of ['manager', 'worker-1']) {
      assert.equal(s1[n].pid, before.results['sensor-1'][n].pid, n);
      assert.equal(s1[n].last_exit, null, n);
    }
  });

  it('a sensor cut off the network is named after the controller\'s timeout; the other still answers', async () => {
    hosts.linkDown(hosts.sensors[1]);
    try {
      const r = cli(['diag', '--json']);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      const j = JSON.parse(r.stdout);
      assert.deepEqual(j.errors, [{ source: 'sensor-2', error: `instance 'sensor-2' did not answer ZeekMgmt::Agent::API::get_node_diagnostics_request within ${CONTROLLER_TIMEOUT_S} s` }]);
      assert.deepEqual(Object.keys(j.results), ['sensor-1']);
      assert.equal(j.results['sensor-1'].manager.state, 'RUNNING');
    } finally {
      hosts.linkUp(hosts.sensors[1]);
    }
  });
});
