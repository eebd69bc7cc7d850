// The real zeek-client against our controller (`zeek-mgmt run`).
//
// zeek-client is Python and cannot be installed from the registries CI reaches, so this
// suite runs only where one is available: set ZEEK_CLIENT to the command that runs it
// (e.g. ZEEK_CLIENT="python3 /path/to/zeek-client/zeek-client", with its websocket module
// installed), or have `zeek-client` on the PATH or beside the zeek that findZeek() finds
// (Zeek's own install). Otherwise it is skipped, and says so.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalCluster, startLocalCluster } from '../provider/local-cluster';
import { makeCa, makeTestCerts, TestCerts } from './helpers/certs';
import { ControllerProcess, startControllerProcess } from './helpers/controller-process';
import { findZeek, findZeekClient } from './helpers/real-zeek';

const REFERENCE = path.resolve(__dirname, '../../shared/reference/zeek-docs/frameworks/management');

describe('the real zeek-client against zeek-mgmt', function () {
  this.timeout(60000);
  const zc = findZeekClient(findZeek());
  let cluster: LocalCluster;
  let dir: string;

  before(async function () {
    if (zc === null) {
      console.log('      (skipped: no zeek-client; set ZEEK_CLIENT to run these)');
      this.skip();
    }
    cluster = await startLocalCluster();
    dir = cluster.dir;
  });

  after(async () => {
    if (cluster) await cluster.stop();
  });

  function run(...args: string[]): { status: number | null; json: any; stdout: string; stderr: string } {
    const [cmd, ...pre] = zc as string[];
    const r = spawnSync(cmd, [...pre, '--controller', `127.0.0.1:${cluster.port}`, ...args], { encoding: 'utf8', timeout: 30000 });
    let json: any = null;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      // .ini output or nothing
    }
    return { status: r.status, json, stdout: r.stdout, stderr: r.stderr };
  }

  it('get-instances lists our agent', () => {
    const r = run('get-instances');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(Object.keys(r.json), [cluster.agentName]);
  });

  it('deploy-config deploys the documentation\'s mini config, in the transcript\'s shape', () => {
    const cfg = path.join(dir, 'cluster.cfg');
    fs.writeFileSync(cfg, fs.readFileSync(path.join(REFERENCE, 'mini-config.ini'), 'utf8').replace('eth0', 'lo'));
    const r = run('deploy-config', cfg);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(r.json.errors, []);
    assert.deepEqual(Object.keys(r.json.results.nodes).sort(), ['logger', 'manager', 'worker-01', 'worker-02']);
    for (const n of Object.values<any>(r.json.results.nodes)) assert.deepEqual(n, { instance: cluster.agentName, success: true });
  });

  it('get-nodes shows the four nodes RUNNING, with the agent and the controller', () => {
    const r = run('get-nodes');
    assert.equal(r.status, 0, r.stderr);
    const nodes = r.json.results[cluster.agentName];
    for (const name of ['logger', 'manager', 'worker-01', 'worker-02']) assert.equal(nodes[name].state, 'RUNNING', name);
    assert.equal(nodes[cluster.agentName].mgmt_role, 'AGENT');
    assert.ok(Object.values<any>(nodes).some((n) => n.mgmt_role === 'CONTROLLER'));
  });

  it('get-config prints the staged and deployed configurations as .ini', () => {
    const staged = run('get-config');
    assert.equal(staged.status, 0, staged.stderr);
    assert.match(staged.stdout, /^\[instances\]\n/);
    assert.match(staged.stdout, /\[manager\]\ninstance = .*\nrole = MANAGER\n/);
    const deployed = run('get-config', '--deployed');
    assert.match(deployed.stdout, /\[manager\]\ninstance = .*\nrole = MANAGER\nport = \d+\n/);
  });

  it('get-id-value and restart answer per node', () => {
    const v = run('get-id-value', 'LogAscii::use_json');
    assert.equal(v.status, 0, v.stderr);
    assert.deepEqual(v.json.results, { logger: false, manager: false, 'worker-01': false, 'worker-02': false });
    const r = run('restart', 'manager');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.json, { errors: [], results: { manager: true } });
  });

  it('stage-config reports validation errors and exits 1', () => {
    const bad = path.join(dir, 'bad.cfg');
    fs.writeFileSync(bad, '[manager]\nrole = manager\nport = 2300\n\n[proxy]\nrole = proxy\nport = 2300\n');
    const r = run('stage-config', bad);
    assert.equal(r.status, 1);
    assert.ok(r.json.errors.length > 0);
  });
});

describe('the real zeek-client against zeek-mgmt over wss://', function () {
  this.timeout(60000);
  const zc = findZeekClient(findZeek());
  let certs: TestCerts;
  let ctl: ControllerProcess | undefined;

  before(async function () {
    if (zc === null) {
      console.log('      (skipped: no zeek-client; set ZEEK_CLIENT to run these)');
      this.skip();
    }
    certs = makeTestCerts();
    ctl = await startControllerProcess({
      settings: { 'Management::Controller::tls_options_websocket': { cert_file: certs.serverCert, key_file: certs.serverKey, ca_file: certs.caCert } },
    });
  });

  after(async () => {
    await ctl?.stop();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  // zeek-client spends one peering attempt on connecting and one on the Broker handshake.
  function run(ssl: Record<string, string>, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const [cmd, ...pre] = zc as string[];
    const sets = Object.entries(ssl).flatMap(([k, v]) => ['--set', `ssl.${k}=${v}`]);
    const r = spawnSync(cmd, [...pre, '--controller', `127.0.0.1:${ctl!.wsPort}`, '--set', 'client.peering_attempts=2', ...sets, ...args], { encoding: 'utf8', timeout: 30000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('get-instances with ssl.enable, a client certificate, key and CA', () => {
    const r = run({ enable: 'true', certificate: certs.clientCert, keyfile: certs.clientKey, cafile: certs.caCert }, 'get-instances');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {});
  });

  it('refuses a controller certificate that its CA did not sign, and a missing client certificate', () => {
    const otherCa = makeCa(certs.dir, 'other-ca');
    const wrongCa = run({ enable: 'true', certificate: certs.clientCert, keyfile: certs.clientKey, cafile: otherCa }, 'get-instances');
    assert.notEqual(wrongCa.status, 0);
    assert.match(wrongCa.stderr, /certificate verify failed/);
    const noCert = run({ enable: 'true' }, 'get-instances');
    assert.notEqual(noCert.status, 0);
    assert.match(noCert.stderr, /certificate required|alert/i);
  });
});
