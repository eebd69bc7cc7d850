// The built zeek-mgmt CLI over wss://, end to end: a real controller process serving TLS
// on its WebSocket port (client certificates required), a real `zeek-mgmt run agent`
// with emulated nodes connecting to it, and the CLI run as a child process with
// zeek-client's [ssl] settings (--set, a settings file, ZEEK_CLIENT_CONFIG_FILE,
// ZEEK_CLIENT_CONFIG_SETTINGS). Then the mistakes an operator makes, each answered at
// once (zeek-client does not retry them) with zeek-client's error line naming the
// problem, and a second pair of controllers for the server-name check, Broker's
// unverified default mode and TLS against a plain controller.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, CliResult, freePortRange, tempDir } from './cli-harness';
import { makeCa, makeTestCerts, TestCerts } from './helpers/certs';
import { ControllerProcess, startControllerProcess } from './helpers/controller-process';
import { RunHandle, startRun, waitFor } from './run-support';

const AGENT = 'agent-tls';

function json(r: CliResult): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** A failed command: exit 1, nothing on stdout, one error line on stderr (returned). */
function failure(r: CliResult): string {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}; stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: [^\n]+\n$/, r.stderr);
  return r.stderr.slice('error: '.length, -1);
}

describe('zeek-mgmt over wss:// against a controller that requires client certificates', function () {
  this.timeout(30_000);
  let certs: TestCerts;
  let otherCa: string;
  let ctl: ControllerProcess | undefined;
  let agent: RunHandle | undefined;
  let dir: string;
  let remote: string;
  let ssl: string[];
  // Few, quick retries: a failure that is (wrongly) retried still ends within the test's time.
  const z = (args: string[], env?: Record<string, string>, throughNode = false): Promise<CliResult> =>
    cli(['--controller', remote, '--set', 'client.peering_retry_delay_secs=0.2', ...args], { env, throughNode });

  before(async () => {
    certs = makeTestCerts();
    otherCa = makeCa(certs.dir, 'other-ca');
    const [brokerStart, metricsStart] = [await freePortRange(4), await freePortRange(4)];
    ctl = await startControllerProcess({
      settings: {
        'Management::Controller::tls_options_websocket': { cert_file: certs.serverCert, key_file: certs.serverKey, ca_file: certs.caCert },
        'Management::Controller::auto_assign_broker_start_port': `${brokerStart}/tcp`,
        'Management::Controller::auto_assign_metrics_start_port': `${metricsStart}/tcp`,
      },
    });
    remote = `127.0.0.1:${ctl.wsPort}`;
    ssl = ['--set', 'ssl.enable=true', '--set', `ssl.certificate=${certs.clientCert}`, '--set', `ssl.keyfile=${certs.clientKey}`, '--set', `ssl.cafile=${certs.caCert}`];
    // The agent peers with the controller on its (plain) agent port, as Zeek's agents do.
    agent = await startRun({
      roles: ['agent'], agentName: AGENT,
      extra: [`Management::Agent::controller=[$address="127.0.0.1", $bound_port=${ctl.agentPort}/tcp]`],
    });
    dir = tempDir('zeek-mgmt-cli-tls-');
    await waitFor('the agent at the controller, seen by the CLI over wss://', async () => {
      const r = await z([...ssl, '--set', 'client.peering_attempts=1', 'get-instances']);
      return r.code === 0 && r.stdout.includes(AGENT);
    });
  });

  after(async () => {
    const left = (await agent?.stop()) ?? [];
    await ctl?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (agent) fs.rmSync(agent.stateDir, { recursive: true, force: true });
    if (ctl) fs.rmSync(ctl.dir, { recursive: true, force: true });
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no process of the agent outlived it');
  });

  it('get-instances with the [ssl] settings given by --set', async () => {
    const r = await z([...ssl, 'get-instances']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r), { [AGENT]: { host: '127.0.0.1' } });
    assert.equal(r.stderr, '');
  });

  it('deploy-config of a small .ini over wss://; get-nodes and get-config --deployed show it', async () => {
    const ini = path.join(dir, 'cluster.ini');
    fs.writeFileSync(ini, `[instances]\n${AGENT}\n\n[manager]\ninstance = ${AGENT}\nrole = manager\n\n[worker-01]\ninstance = ${AGENT}\nrole = worker\ninterface = lo\n`);
    const staged = await z([...ssl, 'stage-config', ini]);
    assert.equal(staged.code, 0, staged.stderr);
    const stagedId = json(staged).results.id;
    assert.deepEqual(json(staged), { errors: [], results: { id: stagedId } });

    const deployed = await z([...ssl, 'deploy-config', ini]);
    assert.equal(deployed.code, 0, deployed.stdout + deployed.stderr);
    const d = json(deployed);
    assert.deepEqual(d.errors, []);
    assert.deepEqual(d.results.nodes, {
      manager: { instance: AGENT, success: true },
      'worker-01': { instance: AGENT, success: true },
    });

    const nodes = await z([...ssl, 'get-nodes']);
    assert.equal(nodes.code, 0, nodes.stderr);
    const byName = json(nodes).results[AGENT];
    assert.equal(byName.manager.cluster_role, 'MANAGER');
    assert.equal(byName.manager.state, 'RUNNING');
    assert.equal(typeof byName.manager.pid, 'number');
    assert.equal(byName['worker-01'].cluster_role, 'WORKER');
    assert.equal(byName['worker-01'].state, 'RUNNING');
    assert.equal(byName[AGENT].mgmt_role, 'AGENT');

    const cfg = await z([...ssl, 'get-config', '--deployed']);
    assert.equal(cfg.code, 0, cfg.stderr);
    assert.match(cfg.stdout, new RegExp(`^\\[instances\\]\\n${AGENT}\\n`));
    assert.match(cfg.stdout, new RegExp(`\\n\\[manager\\]\\ninstance = ${AGENT}\\nrole = MANAGER\\nport = \\d+\\n`));
    assert.match(cfg.stdout, /\n\[worker-01\]\n(.+\n)*role = WORKER\n(.+\n)*interface = lo\n/);
  });

  it('[ssl] settings from a settings file (-c, ZEEK_CLIENT_CONFIG_FILE) and from ZEEK_CLIENT_CONFIG_SETTINGS', async () => {
    const file = path.join(dir, 'zeek-client.cfg');
    fs.writeFileSync(file, `[controller]\nhost = 127.0.0.1\nport = ${ctl!.wsPort}\n\n[ssl]\nenable = yes\ncertificate = ${certs.clientCert}\nkeyfile = ${certs.clientKey}\ncafile = ${certs.caCert}\n`);
    for (const r of [
      await cli(['-c', file, 'get-instances']),
      await cli(['get-instances'], { env: { ZEEK_CLIENT_CONFIG_FILE: file } }),
      await z(['get-instances'], {
        ZEEK_CLIENT_CONFIG_SETTINGS: `ssl.enable=on 'ssl.certificate=${certs.clientCert}' 'ssl.keyfile=${certs.clientKey}' 'ssl.cafile=${certs.caCert}'`,
      }),
    ]) {
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(json(r), { [AGENT]: { host: '127.0.0.1' } });
    }
  });

  it('a CA that did not sign the controller\'s certificate: certificate verify failed', async () => {
    const msg = failure(await z([...ssl, '--set', `ssl.cafile=${otherCa}`, 'get-instances']));
    // The controller sends its CA along (OpenSSL completes the chain from its trust store), hence "self-signed ... in chain".
    assert.match(msg, new RegExp(`^socket TLS error in connect\\(\\) with controller ${remote}: \\[SSL: CERTIFICATE_VERIFY_FAILED\\] certificate verify failed: `
      + '(self-signed certificate in certificate chain|unable to get local issuer certificate|unable to verify the first certificate)$'));
  });

  it('a client certificate without cafile: the controller is checked against the default CAs, and refused', async () => {
    const msg = failure(await z(['--set', 'ssl.enable=true', '--set', `ssl.certificate=${certs.clientCert}`, '--set', `ssl.keyfile=${certs.clientKey}`, 'get-instances']));
    assert.match(msg, /^socket TLS error in connect\(\) with controller [^:]+:\d+: \[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: /);
  });

  it('a client certificate without cafile: NODE_EXTRA_CA_CERTS\'s CAs are trusted, the bin run as a program (its launcher) as with node', async () => {
    // A bundle as a system's CA file is: several certificates, the one that signed the controller's among them.
    const bundle = path.join(dir, 'extra-cas.pem');
    fs.writeFileSync(bundle, `${fs.readFileSync(otherCa, 'utf8')}${fs.readFileSync(certs.caCert, 'utf8')}`);
    const args = ['--set', 'ssl.enable=true', '--set', `ssl.certificate=${certs.clientCert}`, '--set', `ssl.keyfile=${certs.clientKey}`, 'get-instances'];
    for (const throughNode of [false, true]) {
      const trusted = await z(args, { NODE_EXTRA_CA_CERTS: bundle }, throughNode);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.deepEqual(json(trusted), { [AGENT]: { host: '127.0.0.1' } });
      assert.equal(trusted.stderr, '');
      // Only a CA that did not sign it: refused, as without the variable.
      assert.match(failure(await z(args, { NODE_EXTRA_CA_CERTS: otherCa }, throughNode)), /\[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: /);
    }
  });

  it('no client certificate: the controller demands one (tlsv13 alert certificate required)', async () => {
    const refusals = (): number => ctl!.logEntries().filter((e) => /TLS handshake failed: .*peer did not return a certificate/.test(e.message)).length;
    const before = refusals();
    const msg = failure(await z(['--set', 'ssl.enable=true', '--set', `ssl.cafile=${certs.caCert}`, 'get-instances']));
    assert.equal(msg, `socket TLS error in connect() with controller ${remote}: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required`);
    await waitFor('the controller to log the refused handshake', () => refusals() === before + 1, 2000, 20);
  });

  it('a missing certificate, key or CA file: named before any connection is made', async () => {
    const missing = path.join(dir, 'missing.pem');
    const cases: Array<[string, string]> = [
      ['certificate', `SSL certificate file "${missing}" not found`],
      ['keyfile', `SSL private key file "${missing}" not found`],
      ['cafile', `SSL trusted CAs file "${missing}" not found`],
      ['capath', `SSL trusted CAs path "${missing}" not found`],
    ];
    const handshakesBefore = ctl!.logEntries().filter((e) => /TLS handshake failed/.test(e.message)).length;
    for (const [key, problem] of cases) {
      const r = await z([...ssl, '--set', `ssl.${key}=${missing}`, '-vv', 'get-instances']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `error: cannot configure connection to ${remote}: ${problem}\n`, key);
    }
    assert.equal(ctl!.logEntries().filter((e) => /TLS handshake failed/.test(e.message)).length, handshakesBefore);
  });

  it('a key that does not belong to the certificate: key values mismatch', async () => {
    const msg = failure(await z([...ssl, '--set', `ssl.keyfile=${certs.serverKey}`, 'get-instances']));
    assert.equal(msg, `socket TLS error in connect() with controller ${remote}: [X509: KEY_VALUES_MISMATCH] key values mismatch`);
  });

  it('plain ws:// (ssl.enable off, or the deprecated ssl.disable): connection lost, at once, with the likely cause', async () => {
    const expected = `websocket error in connect() with controller ${remote}: Connection to remote host was lost. (the controller closed the connection without answering: if it serves wss://, set ssl.enable=true)`;
    assert.equal(failure(await z(['get-instances'])), expected);
    assert.equal(failure(await z([...ssl, '--set', 'ssl.enable=false', 'get-instances'])), expected);
    // With the default 10 peering attempts, and every log line: one attempt, no retry.
    const r = await z(['--set', 'ssl.disable=true', '-vvv', 'get-instances']);
    assert.equal(r.code, 1);
    const lines = r.stderr.trimEnd().split('\n');
    assert.deepEqual(lines, [
      "warning: The ssl.disable setting is deprecated and ignored. Controller connections now default to plaintext. Use ssl.enabled to enable encryption. See 'zeek-client show-settings' for details.",
      `info: connecting to controller ${remote}`,
      `error: ${expected}`,
    ]);
  });
});

describe('zeek-mgmt over wss://: the controller\'s name, Broker\'s unverified mode, TLS against plain ws://', function () {
  this.timeout(20_000);
  let certs: TestCerts;
  let misnamed: ControllerProcess | undefined;
  let plain: ControllerProcess | undefined;

  before(async () => {
    certs = makeTestCerts();
    // A certificate from the right CA, but issued to another name (the client's: CN=client, no subjectAltName).
    [misnamed, plain] = await Promise.all([
      startControllerProcess({ settings: { tlsWebsocket: { certFile: certs.clientCert, keyFile: certs.clientKey } } }),
      startControllerProcess(),
    ]);
  });

  after(async () => {
    await misnamed?.stop();
    await plain?.stop();
    for (const c of [misnamed, plain]) if (c) fs.rmSync(c.dir, { recursive: true, force: true });
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  const z = (port: number, ...args: string[]): Promise<CliResult> =>
    cli(['--controller', `127.0.0.1:${port}`, '--set', 'client.peering_retry_delay_secs=0.2', ...args]);

  it('with a client certificate, a controller certificate issued to another name is refused', async () => {
    const msg = failure(await z(misnamed!.wsPort, '--set', 'ssl.enable=true', '--set', `ssl.certificate=${certs.clientCert}`, '--set', `ssl.keyfile=${certs.clientKey}`, '--set', `ssl.cafile=${certs.caCert}`, 'get-instances'));
    assert.match(msg, /^socket TLS error in connect\(\) with controller 127\.0\.0\.1:\d+: \[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: .*127\.0\.0\.1.*/);
  });

  it('ssl.enable without a client certificate is Broker\'s default mode: encrypted, the controller not verified (cafile alone does not verify)', async () => {
    for (const extra of [[], ['--set', `ssl.cafile=${makeCa(certs.dir, 'unrelated-ca')}`]]) {
      const r = await z(misnamed!.wsPort, '--set', 'ssl.enable=true', ...extra, 'get-instances');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(json(r), {});
    }
  });

  it('wss:// against a plain ws:// controller: the TLS handshake fails at once, with the likely cause', async () => {
    const r = await z(plain!.wsPort, '--set', 'ssl.enable=true', '-vvv', 'get-instances');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.deepEqual(r.stderr.trimEnd().split('\n'), [
      `info: connecting to controller 127.0.0.1:${plain!.wsPort}`,
      `error: socket TLS error in connect() with controller 127.0.0.1:${plain!.wsPort}: TLS/SSL connection has been closed (EOF) (the controller closed the connection during the TLS handshake: if it serves plain ws://, set ssl.enable=false)`,
    ]);
  });
});
