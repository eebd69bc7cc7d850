// Native Broker links with certificates (Broker::ssl_cafile, ssl_certificate, ssl_keyfile;
// ssl_capath), between `zeek-mgmt run controller` and `zeek-mgmt run agent`: as in Broker,
// with any of them set both sides present a certificate and verify the other's against
// the CAs; an agent whose certificate another CA signed, or that peers over plain TCP,
// never gets in, and the controller says why. Unreadable files stop the process with the
// setting's name. (Zeek's own agent with the same settings: real-zeek-agent-tls.test.ts.)

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WebSocket } from 'ws';
import { ControllerClient } from '../sdk/client/controller-client';
import { instancesOf } from '../sdk/client/result-data';
import { brokerTls } from '../sdk/broker/native/tls';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { allocatePorts, RunHandle, RunPorts, runText, startRun, stopRuns, tempDir, waitFor } from './run-support';

const ssl = (c: TestCerts, who: 'server' | 'client', viaCapath = false): string[] => [
  viaCapath ? `Broker::ssl_capath=${c.dir}` : `Broker::ssl_cafile=${c.caCert}`,
  `Broker::ssl_certificate=${who === 'server' ? c.serverCert : c.clientCert}`,
  `Broker::ssl_keyfile=${who === 'server' ? c.serverKey : c.clientKey}`,
];

describe('native Broker links with certificates (Broker::ssl_*)', function () {
  this.timeout(90000);
  let certs: TestCerts;
  let otherCa: TestCerts;
  const runs: RunHandle[] = [];
  const dirs: string[] = [];
  let client: ControllerClient | undefined;

  before(() => {
    certs = makeTestCerts();
    otherCa = makeTestCerts();
  });
  after(() => {
    for (const c of [certs, otherCa]) if (c) fs.rmSync(c.dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await client?.close().catch(() => undefined);
    client = undefined;
    await stopRuns(runs, dirs);
  });

  async function controller(extra: string[]): Promise<{ ports: RunPorts; dir: string; run: RunHandle }> {
    const ports = await allocatePorts();
    const dir = tempDir('zeek-mgmt-broker-tls-ctl-');
    dirs.push(dir);
    const run = await startRun({ roles: ['controller'], ports, stateDir: dir, extra });
    runs.push(run);
    client = await ControllerClient.connect({ port: ports.websocket, peeringAttempts: 40, peeringRetryDelaySecs: 0.3 });
    return { ports, dir, run };
  }

  async function agent(name: string, ctl: RunPorts, extra: string[]): Promise<{ dir: string; run: RunHandle }> {
    const dir = tempDir('zeek-mgmt-broker-tls-agent-');
    dirs.push(dir);
    const run = await startRun({
      roles: ['agent'], agentName: name, stateDir: dir, ports: { ...(await allocatePorts()), controller: ctl.controller, websocket: ctl.websocket },
      extra: [`Management::Agent::controller=[$address="127.0.0.1", $bound_port=${ctl.controller}/tcp]`, 'Management::connect_retry=0.3 secs', ...extra],
    });
    runs.push(run);
    return { dir, run };
  }

  const listed = async (name: string): Promise<boolean> => instancesOf(await client!.getInstances()).some((i) => i.name === name);

  for (const viaCapath of [false, true]) {
    it(`an agent whose certificate the CA signed checks in over verified TLS (CAs from ${viaCapath ? 'Broker::ssl_capath' : 'Broker::ssl_cafile'})`, async () => {
      const ctl = await controller(ssl(certs, 'server', viaCapath));
      await agent('agent-signed', ctl.ports, ssl(certs, 'client', viaCapath));
      await waitFor('the agent at the controller', () => listed('agent-signed'), 30000, 200);
      assert.match(runText(ctl.run), /native Broker peer \S+ over TLS with a verified certificate/);
    });
  }

  it('an agent whose certificate another CA signed, one without certificates, and one over plain TCP never get in', async () => {
    const ctl = await controller(ssl(certs, 'server'));
    const foreign = await agent('agent-foreign', ctl.ports, ssl(otherCa, 'client'));
    await agent('agent-anonymous', ctl.ports, []);
    await agent('agent-plain', ctl.ports, ['Broker::disable_ssl=T']);
    await waitFor('the refusals', () => {
      const log = runText(ctl.run);
      return /native Broker TLS handshake failed/.test(log) && /refused native Broker peering over plain TCP/.test(log) || undefined;
    }, 30000, 200);
    // Several retries later, still none of them.
    await new Promise((res) => setTimeout(res, 1500));
    assert.deepEqual(instancesOf(await client!.getInstances()).map((i) => i.name), []);
    // The foreign agent's side sees the controller's certificate refused too.
    assert.match(runText(foreign.run), /cannot connect to the controller/);
  });

  it('an unreadable certificate file stops the controller with the setting\'s name', async () => {
    const ports = await allocatePorts();
    const dir = tempDir('zeek-mgmt-broker-tls-bad-');
    dirs.push(dir);
    const missing = path.join(dir, 'no-such-cert.pem');
    const run = await startRun({ roles: ['controller'], ports, stateDir: dir, extra: [`Broker::ssl_cafile=${certs.caCert}`, `Broker::ssl_certificate=${missing}`, `Broker::ssl_keyfile=${certs.serverKey}`] });
    runs.push(run);
    await waitFor('the error', () => runText(run).includes(`Broker::ssl_certificate: cannot read ${missing}: ENOENT`) || undefined, 20000, 200);
  });
});

describe('brokerTls(): what Broker::disable_ssl and Broker::ssl_* make of a native link', () => {
  let certs: TestCerts;
  before(() => {
    certs = makeTestCerts();
  });
  after(() => fs.rmSync(certs.dir, { recursive: true, force: true }));
  const none = { cafile: '', capath: '', certificate: '', keyfile: '', passphrase: '' };

  it('plain TCP, anonymous TLS, or certificate files', () => {
    assert.equal(brokerTls(true, { ...none, cafile: certs.caCert }), false);
    assert.equal(brokerTls(false, none), true);
    const files = brokerTls(false, { ...none, cafile: certs.caCert, certificate: certs.serverCert, keyfile: certs.serverKey });
    assert.ok(typeof files === 'object');
    assert.deepEqual(files.ca, [fs.readFileSync(certs.caCert)]);
    assert.deepEqual(files.cert, fs.readFileSync(certs.serverCert));
  });

  it('a key that is not the certificate\'s, or a file that is no certificate, is an error naming the settings', () => {
    assert.throws(() => brokerTls(false, { ...none, cafile: certs.caCert, certificate: certs.serverCert, keyfile: certs.clientKey }), /^Error: Broker::ssl_certificate, ssl_keyfile, ssl_passphrase, ssl_cafile: .*key values mismatch/);
    assert.throws(() => brokerTls(false, { ...none, cafile: certs.serverKey, certificate: certs.serverCert, keyfile: certs.serverKey }), new RegExp(`^Error: Broker::ssl_cafile: no PEM certificate in ${certs.serverKey}$`));
    assert.throws(() => brokerTls(false, { ...none, cafile: certs.caCert, certificate: certs.caCert, keyfile: certs.serverKey }), /^Error: Broker::ssl_certificate, ssl_keyfile, ssl_passphrase, ssl_cafile: /);
    assert.throws(() => brokerTls(false, { ...none, capath: '/nonexistent-dir' }), /^Error: Broker::ssl_capath: cannot read \/nonexistent-dir: ENOENT/);
  });
});

describe('the controller\'s agent port with certificates set', function () {
  this.timeout(60000);
  it('lets no WebSocket JSON peer in (HTTP 401), since it could not present a certificate', async () => {
    const certs = makeTestCerts();
    const ports = await allocatePorts();
    const dir = tempDir('zeek-mgmt-broker-tls-ws-');
    const runs: RunHandle[] = [];
    try {
      runs.push(await startRun({ roles: ['controller'], ports, stateDir: dir, extra: ssl(certs, 'server') }));
      const client = await ControllerClient.connect({ port: ports.websocket, peeringAttempts: 40, peeringRetryDelaySecs: 0.3 });
      await client.close();
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${ports.controller}/v1/messages/json`);
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => reject(new Error('a WebSocket peer got in')));
        ws.on('error', () => undefined);
      });
      assert.equal(status, 401);
      await waitFor('the refusal in the log', () => /refused connection from 127\.0\.0\.1:\d+: Broker::ssl_\* certificates are set/.test(runText(runs[0])) || undefined, 10000, 100);
    } finally {
      await stopRuns(runs, [dir, certs.dir]);
    }
  });
});
