// Zeek's own agent peering with our controller over Broker's TLS with certificates: the
// real `zeek -j policy/frameworks/management/agent` given Broker::ssl_cafile,
// ssl_certificate and ssl_keyfile (Zeek's Supervisor and nodes inherit them) peers
// natively with our controller, which has the same CA and its own certificate; both verify
// the other. Then the mini configuration deploys on real Zeek nodes, and get-nodes is the
// same through zeek-client and zeek-mgmt. An agent whose certificate another CA signed is
// refused by our controller, as Broker refuses it. And the other direction: Zeek's
// controller, with its own certificate, connects to our agent's port and deploys.
//
// Needs a zeek binary ($ZEEK, PATH or /opt/zeek/bin/zeek) and zeek-client; skipped with a
// one-line reason otherwise.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePorts } from '../provider/free-ports';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { ControllerProcess, startControllerProcess } from './helpers/controller-process';
import { findZeek, findZeekClient, RealZeekManagement, startRealZeek } from './helpers/real-zeek';
import { miniConfigOnLo, sideBySide, skipUnlessZeek, waitForInstance } from './helpers/side-by-side';
import { startZeekAgentUnderOurs, stopZeekAgentUnderOurs } from './helpers/zeek-agent-under-ours';
import { RunHandle, runText, startRun, stopRuns } from './run-support';

const zeekSsl = (c: TestCerts): string[] => [
  `Broker::ssl_cafile=${c.caCert}`, `Broker::ssl_certificate=${c.clientCert}`, `Broker::ssl_keyfile=${c.clientKey}`,
];

describe('Zeek\'s agent peering with our controller over TLS with certificates (Broker::ssl_*)', function () {
  this.timeout(180_000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let certs: TestCerts;
  let otherCa: TestCerts;
  let ctl: ControllerProcess;
  let z: RealZeekManagement | undefined;
  let foreign: RealZeekManagement | undefined;
  const started: { ctl?: ControllerProcess; z?: RealZeekManagement } = {};
  const s = sideBySide(zc ?? [], () => started.ctl!.wsPort);

  before(async function () {
    skipUnlessZeek(this, zeek, zc);
    certs = makeTestCerts();
    otherCa = makeTestCerts();
    ({ ctl, z } = await startZeekAgentUnderOurs(zeek!, s, started, {
      settings: { sslCafile: certs.caCert, sslCertificate: certs.serverCert, sslKeyfile: certs.serverKey },
      redefs: zeekSsl(certs), what: 'with certificates',
    }));
  });

  after(async () => {
    await foreign?.stop();
    await stopZeekAgentUnderOurs(s, started);
    for (const c of [certs, otherCa]) if (c) fs.rmSync(c.dir, { recursive: true, force: true });
  });

  it('checked in over verified TLS', () => {
    assert.ok(ctl.logEntries().some((e) => /agent port: native Broker peer \S+ over TLS with a verified certificate/.test(e.message)));
  });

  it('deploys the mini configuration on real Zeek nodes (which peer with Zeek\'s agent over the same TLS); get-nodes the same through both clients', async () => {
    const mini = path.join(z!.dir, 'mini-config.ini');
    fs.writeFileSync(mini, miniConfigOnLo());
    const r = await s.ours('deploy-config', mini);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).errors, []);
    const all = JSON.parse((await s.same('get-nodes')).stdout).results[z!.agentName] as Record<string, { state: string; pid: number }>;
    for (const n of ['logger', 'manager', 'worker-01', 'worker-02']) assert.equal(all[n].state, 'RUNNING', n);
  });

  it('refuses Zeek\'s agent when another CA signed its certificate', async () => {
    const before = ctl.logEntries().filter((e) => /native Broker TLS handshake failed/.test(e.message)).length;
    foreign = await startRealZeek(zeek!, {
      components: ['agent'], agentName: 'agent-foreign', env: { ZEEK_CONTROLLER_PORT: `${ctl.agentPort}/tcp` }, redefs: zeekSsl(otherCa),
    });
    const until = Date.now() + 30_000;
    while (ctl.logEntries().filter((e) => /native Broker TLS handshake failed/.test(e.message)).length === before) {
      assert.ok(Date.now() < until, 'the controller never saw the foreign agent\'s handshake');
      await new Promise((res) => setTimeout(res, 250));
    }
    await new Promise((res) => setTimeout(res, 2000));
    const names = Object.keys(JSON.parse((await s.ours('get-instances')).stdout) as object);
    assert.deepEqual(names, [z!.agentName]);
  });
});

describe('Zeek\'s controller connecting to our agent over TLS with certificates (Broker::ssl_*)', function () {
  this.timeout(180_000);
  const zeek = findZeek();
  const zc = findZeekClient(zeek);
  let certs: TestCerts;
  let agent: RunHandle | undefined;
  let z: RealZeekManagement | undefined;
  const s = sideBySide(zc ?? [], () => z!.wsPort);

  before(async function () {
    skipUnlessZeek(this, zeek, zc);
    certs = makeTestCerts();
    // Our agent listens only (Management::Agent::controller at 0.0.0.0), with the CA and its certificate.
    agent = await startRun({
      roles: ['agent'],
      extra: [
        'Management::Agent::controller=[$address="0.0.0.0", $bound_port=0/unknown]',
        `Broker::ssl_cafile=${certs.caCert}`, `Broker::ssl_certificate=${certs.clientCert}`, `Broker::ssl_keyfile=${certs.clientKey}`,
      ],
    });
    z = await startRealZeek(zeek!, {
      components: ['controller'],
      redefs: [`Broker::ssl_cafile=${certs.caCert}`, `Broker::ssl_certificate=${certs.serverCert}`, `Broker::ssl_keyfile=${certs.serverKey}`],
    });
  });

  after(async () => {
    await z?.stop();
    if (agent) await stopRuns([agent], [agent.stateDir]);
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  it('deploy-config through Zeek\'s controller: it peers with our agent over verified TLS, and the nodes run', async () => {
    const config = path.join(z!.dir, 'ours.ini');
    fs.writeFileSync(config, miniConfigOnLo({ name: agent!.agentName, instanceLine: `${agent!.agentName} = 127.0.0.1:${agent!.ports.agent}` }));
    const r = s.zeekClient('deploy-config', config);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}\n${fs.readFileSync(path.join(z!.dir, 'zeek.out'), 'utf8')}\n${runText(agent!)}`);
    assert.deepEqual(JSON.parse(r.stdout).errors, []);
    assert.match(runText(agent!), /native Broker peer \S+ over TLS with a verified certificate/);
    const all = JSON.parse((await s.same('get-nodes')).stdout).results[agent!.agentName] as Record<string, { state: string }>;
    for (const n of ['logger', 'manager', 'worker-01', 'worker-02']) assert.equal(all[n].state, 'RUNNING', n);
  });
});
