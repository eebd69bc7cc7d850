// TLS on the controller's WebSocket port: off by default; wss:// with a certificate and
// key; with a CA file, client certificates become mandatory.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControllerClient } from '../sdk/client/controller-client';
import { ClientTlsSettings } from '../sdk/transport/tls';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { ControllerProcess, startControllerProcess } from './helpers/controller-process';

describe('controller TLS', function () {
  this.timeout(20_000);
  let certs: TestCerts;
  let ctl: ControllerProcess | undefined;

  before(() => {
    certs = makeTestCerts();
  });

  after(() => {
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await ctl?.stop();
    ctl = undefined;
  });

  const connect = (port: number, tls?: ClientTlsSettings): Promise<ControllerClient> =>
    ControllerClient.connect({ host: '127.0.0.1', port, tls, peeringAttempts: 1, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 5 });

  it('serves wss:// with a certificate and key, and no longer plain ws://', async () => {
    ctl = await startControllerProcess({ settings: { tlsWebsocket: { certFile: certs.serverCert, keyFile: certs.serverKey } } });
    assert.match(ctl.stdout(), /websocket port 127\.0\.0\.1:\d+ \(TLS\)/);
    const c = await connect(ctl.wsPort, {});
    assert.equal((await c.getInstances()).success, true);
    await c.close();
    await assert.rejects(connect(ctl.wsPort));
  });

  it('requires a client certificate signed by the CA when one is configured', async () => {
    ctl = await startControllerProcess({
      settings: { 'Management::Controller::tls_options_websocket': { cert_file: certs.serverCert, key_file: certs.serverKey, ca_file: certs.caCert } },
    });
    await assert.rejects(connect(ctl.wsPort, {}));
    const c = await connect(ctl.wsPort, { certificate: certs.clientCert, keyfile: certs.clientKey, cafile: certs.caCert });
    assert.equal((await c.getInstances()).success, true);
    await c.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(ctl.logEntries().some((e) => /TLS handshake failed/.test(e.message)), 'the refused handshake is logged');
  });

  it('takes a client certificate file that also holds the key, without keyfile, as zeek-client does; one without a key is named', async () => {
    ctl = await startControllerProcess({
      settings: { 'Management::Controller::tls_options_websocket': { cert_file: certs.serverCert, key_file: certs.serverKey, ca_file: certs.caCert } },
    });
    const combined = path.join(certs.dir, 'client-with-key.pem');
    fs.writeFileSync(combined, Buffer.concat([fs.readFileSync(certs.clientCert), fs.readFileSync(certs.clientKey)]));
    const c = await connect(ctl.wsPort, { certificate: combined, cafile: certs.caCert });
    assert.equal((await c.getInstances()).success, true);
    await c.close();
    await assert.rejects(connect(ctl.wsPort, { certificate: certs.clientCert, cafile: certs.caCert }), (e: Error) => {
      assert.equal(e.message, `SSL certificate file "${certs.clientCert}" holds no private key, and no keyfile is set`);
      return true;
    });
  });

  it('reports missing certificate files at start-up and exits 1', async () => {
    await assert.rejects(startControllerProcess({ settings: { tlsWebsocket: { certFile: '/nonexistent.pem', keyFile: certs.serverKey } } }), /exited with 1.*SSL certificate file "\/nonexistent.pem" not found/s);
  });
});
