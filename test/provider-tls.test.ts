// The provider's controller connection over wss:// to a controller that requires client
// certificates: TLS settings from the inputs or from the stack configuration (configure),
// and a passphrase-protected key file unlocked by the (secret) key passphrase.
// No agent is needed: deploying the empty configuration (delete) completes at once.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { zeekClusterProvider as provider } from '../provider/dynamic-provider';
import { ControllerClient } from '../sdk/client/controller-client';
import { configurationOf } from '../sdk/client/result-data';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { ControllerProcess, startControllerProcess } from './helpers/controller-process';

describe('ZeekCluster provider over TLS', function () {
  this.timeout(20000);
  let certs: TestCerts;
  let ctl: ControllerProcess | undefined;
  let encryptedKey: string;

  before(async () => {
    certs = makeTestCerts();
    encryptedKey = path.join(certs.dir, 'client-encrypted.key');
    execFileSync('openssl', ['pkey', '-in', certs.clientKey, '-aes256', '-passout', 'pass:correct horse', '-out', encryptedKey], { stdio: 'pipe' });
    ctl = await startControllerProcess({
      settings: { 'Management::Controller::tls_options_websocket': { cert_file: certs.serverCert, key_file: certs.serverKey, ca_file: certs.caCert } },
    });
  });

  after(async () => {
    await ctl?.stop();
    await provider.configure({ config: { get: () => undefined, require: (k: string) => { throw new Error(k); } } });
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  const deployedId = async (): Promise<string | undefined> => {
    const c = await ControllerClient.connect({
      host: '127.0.0.1', port: ctl!.wsPort, peeringAttempts: 1,
      tls: { certificate: certs.clientCert, keyfile: certs.clientKey, cafile: certs.caCert },
    });
    try {
      return configurationOf(await c.getConfiguration(true))?.id;
    } finally {
      await c.close();
    }
  };

  it('connects with the TLS inputs and an encrypted key unlocked by keyPassphrase', async () => {
    const controller = { host: '127.0.0.1', port: ctl!.wsPort, peeringAttempts: 1, tls: { certificate: certs.clientCert, keyfile: encryptedKey, cafile: certs.caCert } };
    await provider.delete(`127.0.0.1:${ctl!.wsPort}`, { controller, keyPassphrase: 'correct horse' });
    const first = await deployedId();
    assert.match(first ?? '', /^[0-9a-f-]{36}$/, 'the empty configuration was deployed over wss://');

    // Without the passphrase the key cannot be read: a clear error, nothing sent.
    await assert.rejects(provider.delete(`127.0.0.1:${ctl!.wsPort}`, { controller }), (e: Error) => /bad decrypt|passphrase|decrypt/i.test(e.message));
    // Without a client certificate the controller refuses the handshake.
    await assert.rejects(provider.delete(`127.0.0.1:${ctl!.wsPort}`, { controller: { ...controller, tls: {} } }));
    assert.equal(await deployedId(), first);
  });

  it('gives up at once on plain ws:// against the wss:// controller, as zeek-client does, instead of spending every attempt', async () => {
    const controller = { host: '127.0.0.1', port: ctl!.wsPort, peeringAttempts: 5, peeringRetryDelaySecs: 0.2 };
    await assert.rejects(provider.delete(`127.0.0.1:${ctl!.wsPort}`, { controller }), (e: Error) => {
      assert.doesNotMatch(e.message, /failed after \d+ attempt/, 'a TLS mismatch is not worth retrying');
      assert.match(e.message, new RegExp(`controller at 127\\.0\\.0\\.1:${ctl!.wsPort}: .*set the controller's tls settings`));
      return true;
    });
  });

  it('takes TLS settings and the passphrase from the stack configuration (configure)', async () => {
    const stack: Record<string, string> = {
      'zeek-mgmt:controller': `127.0.0.1:${ctl!.wsPort}`,
      'zeek-mgmt:certificate': certs.clientCert,
      'zeek-mgmt:keyfile': encryptedKey,
      'zeek-mgmt:cafile': certs.caCert,
      'zeek-mgmt:passphrase': 'correct horse',
    };
    await provider.configure({ config: { get: (k: string) => stack[k], require: (k: string) => stack[k] } });
    const checked = await provider.check({}, { nodes: {} });
    assert.deepEqual(checked.inputs.controller, {
      host: '127.0.0.1', port: ctl!.wsPort, tls: { certificate: certs.clientCert, keyfile: encryptedKey, cafile: certs.caCert },
    });
    assert.equal(checked.inputs.keyPassphrase, undefined, 'the stack passphrase is not copied into the state');
    const before = await deployedId();
    // An import (no recorded properties): the controller comes from the id, TLS and passphrase from the stack.
    await provider.delete(`127.0.0.1:${ctl!.wsPort}`, {});
    assert.notEqual(await deployedId(), before);
    assert.deepEqual(await provider.read(`127.0.0.1:${ctl!.wsPort}`, {}), { id: '' }, 'the empty configuration is no cluster');
  });
});
