// Who may command the cluster, with real `zeek-mgmt run` processes: the Supervisor's
// control port answers only the agent it started (a secret handed over in the agent's
// environment, checked on the WebSocket upgrade); another local process that sends a
// create_request is refused, logged, and starts no node, while the legitimate agent keeps
// deploying; the secret is on no command line and reaches no other child; an agent started
// by hand gets in with the secret file; and `run` warns when the client port listens
// beyond loopback without TLS client certificates.

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { parseConfigurationIni } from '../sdk/config/configuration-from-ini';
import { B } from '../sdk/broker/data';
import { eventToData } from '../sdk/broker/event';
import { encodeDataMessage } from '../sdk/broker/messages';
import { generateSecret, SECRET_ENV, SECRET_FILE_ENV } from '../framework/supervisor/control-secret';
import { SupervisorControl } from '../framework/supervisor/events';
import { nodeConfig, nodeConfigToData } from '../framework/supervisor/records';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { alive, allocatePorts, descendants, freePorts, REPO, RunHandle, startRun, tempDir, waitFor } from './run-support';

const AGENT_JS = path.join(REPO, 'dist/framework/agent/main.js');
const SDK_CLIENT_JS = path.join(REPO, 'dist/sdk/transport/endpoint-client.js');

const readOr = (file: string): string => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
const environ = (pid: number): Record<string, string> => {
  try {
    return Object.fromEntries(fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  } catch {
    return {};
  }
};
const cmdline = (pid: number): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

/**
 * Another local process: a separate node program that connects to the Supervisor port with
 * the SDK's own client (optionally with a header), subscribes and publishes a well-formed
 * create_request for node "intruder" whose process would write a marker file. Prints what happened.
 */
async function intruder(port: number, marker: string, headers?: Record<string, string>): Promise<string> {
  // A node "intruder" whose process would write the marker file (emulated node or not, its env runs it: NODE_OPTIONS).
  const script = path.join(os.tmpdir(), `zeek-mgmt-intruder-${process.pid}.js`);
  fs.writeFileSync(script, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'pwned');\n`);
  const cfg = nodeConfig('intruder', { env: { NODE_OPTIONS: `--require ${script}` } });
  const msg = encodeDataMessage('zeek/supervisor', eventToData({ name: SupervisorControl.create_request, args: [B.str('evil'), nodeConfigToData(cfg)] }));
  const program = `
    const { EndpointClient } = require(${JSON.stringify(SDK_CLIENT_JS)});
    EndpointClient.connect({ host: '127.0.0.1', port: ${port}, topics: ['zeek/supervisor'], attempts: 1, headers: JSON.parse(process.env.HEADERS) })
      .then((c) => {
        c.sendRaw(process.env.MSG);
        setTimeout(() => { console.log('CONNECTED'); process.exit(0); }, 500);
      }, (err) => { console.log('REFUSED ' + err.message); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', MSG: msg, HEADERS: JSON.stringify(headers ?? {}) } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  await new Promise((r) => child.once('exit', r));
  return out.trim();
}

/** Sends an upgrade request without a secret and, in the same write, a handshake and a create_request frame; returns the response. */
async function pipelinedUpgrade(port: number): Promise<string> {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  const frame = (text: string): Buffer => {
    const p = Buffer.from(text);
    const mask = Buffer.from([1, 2, 3, 4]);
    const head = p.length < 126 ? Buffer.from([0x81, 0x80 | p.length]) : Buffer.from([0x81, 0x80 | 126, p.length >> 8, p.length & 255]);
    return Buffer.concat([head, mask, Buffer.from(p.map((b, i) => b ^ mask[i & 3]))]);
  };
  const create = JSON.stringify({ type: 'data-message', topic: 'zeek/supervisor', '@data-type': 'vector', data: [
    { '@data-type': 'count', data: 1 }, { '@data-type': 'count', data: 1 }, { '@data-type': 'vector', data: [
      { '@data-type': 'string', data: 'SupervisorControl::create_request' },
      { '@data-type': 'vector', data: [{ '@data-type': 'string', data: 'evil2' }, { '@data-type': 'vector', data: [{ '@data-type': 'string', data: 'intruder2' }] }] }] }] });
  sock.write(Buffer.concat([
    Buffer.from(`GET /v1/messages/json HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`),
    frame('["zeek/supervisor"]'), frame(create),
  ]));
  let got = '';
  sock.on('data', (d) => (got += d.toString('latin1')));
  await new Promise((r) => { sock.once('close', r); sock.once('error', r); });
  return got;
}

function iniConfig(agent: string): ReturnType<typeof parseConfigurationIni> {
  return parseConfigurationIni(`[instances]\n${agent} =\n\n[manager]\ninstance = ${agent}\nrole = manager\n\n[worker-01]\ninstance = ${agent}\nrole = worker\ninterface = lo\n`, { hostname: os.hostname() });
}

describe('zeek-mgmt run: the Supervisor answers only its own agent', function () {
  this.timeout(60000);
  let run: RunHandle;
  let client: ControllerClient;
  const agentName = 'agent-secured';
  const marker = path.join(os.tmpdir(), `zeek-mgmt-intruder-${process.pid}`);

  before(async () => {
    fs.rmSync(marker, { force: true });
    run = await startRun({ agentName });
    client = await ControllerClient.connect({ port: run.ports.websocket, peeringAttempts: 30, peeringRetryDelaySecs: 0.3 });
    await waitFor('the agent to check in', async () => {
      const r = await client.getInstances();
      return r.data?.type === 'vector' && r.data.value.length === 1;
    });
  });

  after(async () => {
    fs.rmSync(marker, { force: true });
    fs.rmSync(path.join(os.tmpdir(), `zeek-mgmt-intruder-${process.pid}.js`), { force: true });
    await client?.close().catch(() => undefined);
    if (run) {
      const left = await run.stop();
      fs.rmSync(run.stateDir, { recursive: true, force: true });
      assert.deepEqual(left, [], `processes outlived zeek-mgmt run: ${left.join(', ')}`);
    }
  });

  const agentPid = (): number => {
    const pid = run.snapshot().find((p) => cmdline(p).includes('framework/agent/main.js'));
    assert.ok(pid, 'the agent process');
    return pid;
  };

  it('refuses another local process that sends a create_request, logs it, and starts no node', async () => {
    const before = run.snapshot();
    const nodesDir = path.join(run.stateDir, 'nodes');
    const dirsBefore = fs.readdirSync(nodesDir).sort();
    const noHeader = await intruder(run.ports.supervisor, marker);
    assert.match(noHeader, /^REFUSED .*Unexpected server response: 401/);
    const wrong = await intruder(run.ports.supervisor, marker, { Authorization: `Bearer ${generateSecret()}` });
    assert.match(wrong, /^REFUSED .*401/);
    const raw = await pipelinedUpgrade(run.ports.supervisor);
    assert.match(raw, /^HTTP\/1\.1 401 Unauthorized\r\n/);
    assert.ok(!raw.includes('\r\n\r\n\x81'), 'no WebSocket frame came back');
    // Logged on the Supervisor's stderr, with the connecting socket's owner.
    const uid = process.getuid!();
    await waitFor('three refusal log lines', () => (run.stderr().match(/warning supervisor: refused connection from 127\.0\.0\.1:\d+: /g) ?? []).length >= 3);
    assert.match(run.stderr(), new RegExp(`refused connection from 127\\.0\\.0\\.1:\\d+: no Authorization header \\(the Supervisor answers only its own agent\\) \\(the connecting socket belongs to uid ${uid}\\)`));
    assert.match(run.stderr(), /refused connection from 127\.0\.0\.1:\d+: a wrong secret/);
    // No node: no directory, no process, no marker, nothing new in the Supervisor's status.
    await new Promise((r) => setTimeout(r, 1500)); // a node would have been started at once; give it time to show
    assert.deepEqual(fs.readdirSync(nodesDir).sort(), dirsBefore);
    assert.equal(fs.existsSync(marker), false);
    const now = run.snapshot();
    assert.deepEqual(now.filter((p) => !before.includes(p) && !cmdline(p).includes('snapshot')), [], 'no new process below zeek-mgmt run');
    for (const p of now) assert.ok(!['intruder', 'intruder2'].includes(environ(p).CLUSTER_NODE ?? ''), `pid ${p} is an intruder's node`);
    const nodes = await client.getNodes();
    assert.deepEqual(nodes.flatMap((r) => r.data?.type === 'vector' ? r.data.value : []).length, 2, 'only the agent and the controller');
  });

  it('the legitimate agent still deploys, and the secret stays with it', async () => {
    const pidBefore = agentPid();
    assert.equal((await client.stageConfiguration(iniConfig(agentName)))[0].success, true);
    const results = await client.deploy();
    assert.deepEqual(results.filter((r) => r.node !== null).map((r) => [r.node, r.success]).sort(), [['manager', true], ['worker-01', true]]);
    assert.equal(agentPid(), pidBefore);
    const secret = environ(pidBefore)[SECRET_ENV];
    assert.ok(secret && secret.length >= 43, 'the agent got the secret in its environment');
    for (const p of [run.pid, ...run.snapshot()]) {
      assert.ok(!cmdline(p).includes(secret), `the secret is on the command line of pid ${p}`);
      if (p !== pidBefore) assert.equal(environ(p)[SECRET_ENV], undefined, `pid ${p} (${cmdline(p).slice(0, 80)}) inherited the secret`);
    }
  });
});

describe('zeek-mgmt run: the Supervisor secret from a file, and agents started by hand', function () {
  this.timeout(60000);
  let dir: string;
  const runs: RunHandle[] = [];
  const pids: number[] = [];

  beforeEach(() => { dir = tempDir('zeek-mgmt-secret-'); });
  afterEach(async () => {
    for (const p of pids.splice(0)) {
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const r of runs.splice(0)) {
      const left = await r.stop();
      fs.rmSync(r.stateDir, { recursive: true, force: true });
      assert.deepEqual(left, []);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a secret file other users can read', async () => {
    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, `${generateSecret()}\n`, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const r = await startRun({ roles: ['agent'], env: { [SECRET_FILE_ENV]: file } });
    runs.push(r);
    await new Promise((res) => (r.proc.exitCode !== null ? res(null) : r.proc.once('exit', res)));
    assert.equal(r.proc.exitCode, 1);
    assert.equal(r.stderr(), `error: the Supervisor secret file ${file} is accessible to other users (mode 0644); chmod 600 it\n`);
  });

  it('an agent started by hand gets in with the secret file, and is refused without it', async () => {
    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, `${generateSecret()}\n`, { mode: 0o600 });
    const r = await startRun({ roles: ['agent'], env: { [SECRET_FILE_ENV]: file } });
    runs.push(r);
    const ownAgentOut = path.join(r.stateDir, 'nodes', r.agentName, 'stdout');
    await waitFor('the Supervisor\'s own agent', () => /is live/.test(readOr(ownAgentOut)));
    const port = await freePorts(1);
    const agentArgs = [AGENT_JS, `Broker::default_port=${r.ports.supervisor}/tcp`, `Management::Agent::default_port=${port}/tcp`,
      'Management::Agent::name=agent-by-hand', `Management::state_dir=${r.stateDir}`, 'Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]'];
    const start = (env: NodeJS.ProcessEnv) => {
      const env2 = { ...process.env, ...env };
      delete env2[SECRET_ENV];
      if (!(SECRET_FILE_ENV in env)) delete env2[SECRET_FILE_ENV];
      const child = spawn(process.execPath, agentArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: env2 });
      pids.push(child.pid!);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      return { child, out: () => out };
    };
    const refused = start({});
    const code = await new Promise((res) => refused.child.once('exit', res));
    assert.equal(code, 1);
    assert.match(refused.out(), /fatal error: the supervisor at 127\.0\.0\.1:\d+ refused this agent \(HTTP 401\): no Supervisor secret; an agent started by hand needs ZEEK_MGMT_SUPERVISOR_SECRET_FILE/);
    const admitted = start({ [SECRET_FILE_ENV]: file });
    await waitFor('the hand-started agent to be live', () => /agent agent-by-hand is live/.test(admitted.out()));
    admitted.child.kill('SIGTERM');
    await new Promise((res) => admitted.child.once('exit', res));
    assert.equal(alive(admitted.child.pid!), false);
  });
});

describe('zeek-mgmt run: the client port warning', function () {
  this.timeout(60000);
  const runs: RunHandle[] = [];
  let certs: TestCerts | undefined;

  afterEach(async () => {
    for (const r of runs.splice(0)) {
      const left = await r.stop();
      fs.rmSync(r.stateDir, { recursive: true, force: true });
      assert.deepEqual(left, []);
    }
  });
  after(() => { if (certs) fs.rmSync(certs.dir, { recursive: true, force: true }); });

  /** Starts `run controller` and waits until the controller is live; returns its management log's warnings. */
  async function controllerRun(extra: string[], env: NodeJS.ProcessEnv = {}): Promise<{ run: RunHandle; warnings: string[] }> {
    const run = await startRun({ roles: ['controller'], extra, env, ports: await allocatePorts() });
    runs.push(run);
    const ctlDir = path.join(run.stateDir, 'nodes', `controller-${os.hostname()}`);
    await waitFor('the controller to be live', () => /controller is live/.test(readOr(path.join(ctlDir, 'stdout'))), 20000);
    // The log file is written apart from stdout. The controller logs its warning in the same
    // turn as its INFO "controller is live", so once that entry is in the file the warning is too.
    await waitFor('the controller\'s log to say it is live', () => /controller is live/.test(readOr(path.join(ctlDir, 'management.log'))), 20000);
    const warnings = readOr(path.join(ctlDir, 'management.log')).split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as { level: string; message: string }).filter((e) => e.level === 'WARNING').map((e) => e.message);
    return { run, warnings };
  }

  const WARNING = /the controller's client port 0\.0\.0\.0:(\d+) is reachable beyond loopback with (no TLS|TLS without client certificates): anyone who reaches it can deploy a configuration whose nodes' env and scripts run any code as this user\. Require client certificates with Management::Controller::tls_options_websocket=\[\$cert_file="server\.pem", \$key_file="server\.key", \$ca_file="ca\.pem", \$enable_peer_verification=T\]/;

  it('warns on stderr and in the controller\'s log when 2149 listens on every address without TLS', async () => {
    const { run, warnings } = await controllerRun([]);
    const m = WARNING.exec(run.stderr());
    assert.ok(m, `no warning on stderr: ${run.stderr()}`);
    assert.equal(Number(m[1]), run.ports.websocket);
    assert.equal(m[2], 'no TLS');
    assert.match(run.stderr(), /^\S+ warning supervisor: the controller's client port/m);
    assert.equal(warnings.filter((w) => WARNING.test(w)).length, 1, JSON.stringify(warnings));
  });

  it('warns about TLS without client certificates, and not once they are required or the port is on loopback', async () => {
    certs = makeTestCerts();
    const server = `$cert_file="${certs.serverCert}", $key_file="${certs.serverKey}"`;
    const plainTls = await controllerRun([`Management::Controller::tls_options_websocket=[${server}]`]);
    assert.equal(WARNING.exec(plainTls.run.stderr())?.[2], 'TLS without client certificates');
    assert.equal(plainTls.warnings.filter((w) => WARNING.test(w)).length, 1);
    // ca_file without enable_peer_verification=T: Zeek would not verify clients, so neither do we; still a warning.
    const noVerify = await controllerRun([`Management::Controller::tls_options_websocket=[${server}, $ca_file="${certs.caCert}", $enable_peer_verification=F]`]);
    assert.equal(WARNING.exec(noVerify.run.stderr())?.[2], 'TLS without client certificates');
    const required = await controllerRun([`Management::Controller::tls_options_websocket=[${server}, $ca_file="${certs.caCert}", $enable_peer_verification=T]`]);
    assert.doesNotMatch(required.run.stderr(), /client port/);
    assert.deepEqual(required.warnings, []);
    // The setting took effect: a TLS client without a certificate is refused by the controller.
    const refused = await ControllerClient.connect({ port: required.run.ports.websocket, peeringAttempts: 1, tls: {} }).then((c) => c.close().then(() => 'connected'), (e: Error) => e.message);
    assert.notEqual(refused, 'connected');
    const loopback = await controllerRun([], { ZEEK_CONTROLLER_WEBSOCKET_ADDR: '127.0.0.1' });
    assert.doesNotMatch(loopback.run.stderr(), /client port/);
    assert.deepEqual(loopback.warnings, []);
  });
});
